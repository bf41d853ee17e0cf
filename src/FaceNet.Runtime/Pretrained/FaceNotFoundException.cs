namespace FaceNet.Runtime.Pretrained;

/// <summary>The face detector found no face in an image.</summary>
public sealed class FaceNotFoundException : Exception
{
    /// <summary>Creates the exception for the image named <paramref name="imageName"/>.</summary>
    public FaceNotFoundException(string imageName, string detector)
        : base($"No face found in '{imageName}' by the {detector} detector; use a photo with a visible face, " +
            $"try the other detector ({OtherDetectorOption(detector)}), or for face crops such as LFW use " +
            "--detector centre (C#: the \"centre\" detector), which searches the central half of the image.")
    {
        ImageName = imageName;
    }

    /// <summary>
    /// The --detector option to try next: ssd after tiny, tiny after ssd, and after both the centre box, which
    /// always yields a face.
    /// </summary>
    private static string OtherDetectorOption(string detector) =>
        detector.Contains('+', StringComparison.Ordinal) ? "--detector centre, for face crops"
        : detector.StartsWith("ssd", StringComparison.Ordinal) ? "--detector tiny" : "--detector ssd";

    /// <summary>The image, as the caller named it.</summary>
    public string ImageName { get; }
}
