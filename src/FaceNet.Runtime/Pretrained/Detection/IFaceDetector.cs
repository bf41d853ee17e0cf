using FaceNet.Runtime.Imaging;

namespace FaceNet.Runtime.Pretrained;

/// <summary>A face detector: boxes and scores for every face found in an image.</summary>
public interface IFaceDetector : IDisposable
{
    /// <summary>Short name for logs and cache keys, such as <c>tiny-416</c>.</summary>
    string Name { get; }

    /// <summary>Boxes with a score at or below this are dropped; face-api's default is 0.5 for both detectors.</summary>
    double ScoreThreshold { get; set; }

    /// <summary>Detects faces.</summary>
    /// <returns>Boxes in image pixels (pixel (x, y) centred at (x, y)), highest score first; empty when none.</returns>
    IReadOnlyList<ScoredBox> Detect(RgbImage image);
}
