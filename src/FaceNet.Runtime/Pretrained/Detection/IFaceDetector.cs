using FaceNet.Runtime.Imaging;

namespace FaceNet.Runtime.Pretrained;

/// <summary>A face detector: boxes and scores for every face found in an image.</summary>
public interface IFaceDetector : IDisposable
{
    /// <summary>Short name for logs and cache keys, such as <c>tiny-416</c>.</summary>
    string Name { get; }

    /// <summary>Detects faces.</summary>
    /// <returns>Boxes in image pixels (pixel (x, y) centred at (x, y)), highest score first; empty when none.</returns>
    IReadOnlyList<ScoredBox> Detect(RgbImage image);
}
