namespace FaceNet.Runtime.Imaging;

/// <summary>Limits and rules that <see cref="ImageDecoder"/> applies to every image.</summary>
public sealed record ImageDecodeOptions
{
    /// <summary>Default pixel-count limit: 50 megapixels (200 MB of 8-bit RGBA while decoding, then 600 MB as float RGB).</summary>
    public const long DefaultMaxPixels = 50_000_000;

    /// <summary>
    /// Largest accepted width * height. Larger images are rejected before any pixel memory is allocated,
    /// so a hostile header cannot exhaust memory.
    /// </summary>
    public long MaxPixels { get; init; } = DefaultMaxPixels;

    /// <summary>
    /// Grey level (0 to 255, used for R, G and B) that translucent pixels are composited over:
    /// <c>out = alpha * colour + (1 - alpha) * background</c>. The default is black (0).
    /// </summary>
    public float BackgroundLevel { get; init; }

    /// <summary>Whether to apply the EXIF orientation tag (values 1 to 8). On by default.</summary>
    public bool ApplyOrientation { get; init; } = true;
}
