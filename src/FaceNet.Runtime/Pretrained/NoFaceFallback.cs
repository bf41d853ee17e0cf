namespace FaceNet.Runtime.Pretrained;

/// <summary>What <see cref="FacePipeline"/> does with an image in which the detector finds no face.</summary>
public enum NoFaceFallback
{
    /// <summary>Throw <see cref="FaceNotFoundException"/>, so the caller reports the image and goes on.</summary>
    Fail,

    /// <summary>
    /// Assume the face fills the centre of the image: run the landmark network on the central box (half the
    /// width and half the height, centred) and align from those landmarks. Suits pre-cropped face sets such as
    /// LFW, whose faces sit in the middle of every image.
    /// </summary>
    CentreBox,
}
