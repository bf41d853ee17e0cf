using FaceNet.Runtime.Imaging;

namespace FaceNet.Runtime.Pretrained;

/// <summary>
/// A detector for images that are already face crops: it runs no network and returns one box, the central half
/// of the image (<see cref="FacePipeline.CentralBox"/>), with score 1. The landmark network then finds the face
/// inside that box.
/// </summary>
/// <remarks>
/// On LFW (faces centred in 250x250 thumbnails) this framing gives the landmark network more margin around the
/// face than either detector's boxes do. The pipeline scores higher with it than with detection (docs/pipeline.md).
/// NOTE: it never reports a missing face, so a blank image or a photo without a face still gets a descriptor. On photos whose face is not in the middle it aligns whatever is there.
/// </remarks>
public sealed class CentreBoxDetector : IFaceDetector
{
    /// <summary>The name the <c>--detector</c> option and cache keys use.</summary>
    public const string DetectorName = "centre";

    /// <inheritdoc />
    public string Name => DetectorName;

    /// <summary>Has no effect: the one box always has score 1.</summary>
    public double ScoreThreshold { get; set; } = 0.5;

    /// <inheritdoc />
    public IReadOnlyList<ScoredBox> Detect(RgbImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        return [new ScoredBox(FacePipeline.CentralBox(image.Width, image.Height), 1)];
    }

    /// <inheritdoc />
    public void Dispose()
    {
    }
}
