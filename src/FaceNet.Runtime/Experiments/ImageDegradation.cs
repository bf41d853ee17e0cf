using FaceNet.Runtime.Imaging;
using SkiaSharp;

namespace FaceNet.Runtime.Experiments;

/// <summary>
/// Degrades decoded images in memory the way the FaceNet robustness study does: JPEG compression at a
/// given quality, and a lower resolution (shrink, then enlarge back to the original size, so the network
/// gets its usual input size but with less detail).
/// </summary>
public static class ImageDegradation
{
    private static readonly ImageDecoder Decoder = new();

    /// <summary>
    /// Encodes the image as JPEG at <paramref name="quality"/> with SkiaSharp and decodes it again. Pixels
    /// are rounded and clamped to 8 bits before encoding. The result has the same size.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="quality"/> is outside 1 to 100.</exception>
    /// <exception cref="InvalidOperationException">SkiaSharp failed to encode the image.</exception>
    public static RgbImage JpegRecompress(RgbImage image, int quality)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentOutOfRangeException.ThrowIfLessThan(quality, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(quality, 100);

        var info = new SKImageInfo(image.Width, image.Height, SKColorType.Rgba8888, SKAlphaType.Opaque);
        using var bitmap = new SKBitmap(info);
        Span<byte> target = bitmap.GetPixelSpan();
        float[] source = image.Pixels;
        for (int i = 0, j = 0; i < source.Length; i += RgbImage.Channels, j += 4)
        {
            target[j] = ToByte(source[i]);
            target[j + 1] = ToByte(source[i + 1]);
            target[j + 2] = ToByte(source[i + 2]);
            target[j + 3] = 255;
        }

        using SKData? encoded = bitmap.Encode(SKEncodedImageFormat.Jpeg, quality);
        if (encoded is null)
        {
            throw new InvalidOperationException(
                $"SkiaSharp failed to encode a {image.Width}x{image.Height} image as JPEG at quality {quality}.");
        }
        return Decoder.Decode(encoded.AsSpan(), $"JPEG re-encoding at quality {quality}");
    }

    /// <summary>
    /// Shrinks the image by <paramref name="scale"/> with area averaging (at least 1x1 pixel), then enlarges
    /// it back to its original size with bilinear interpolation. A scale of 1 or more returns a copy.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="scale"/> is not positive or not finite.</exception>
    public static RgbImage ReduceResolution(RgbImage image, double scale)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (!double.IsFinite(scale) || scale <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(scale), scale, "The resolution scale must be positive and finite.");
        }
        if (scale >= 1)
        {
            return image.Clone();
        }
        int smallWidth = Math.Max(1, (int)Math.Round(image.Width * scale));
        int smallHeight = Math.Max(1, (int)Math.Round(image.Height * scale));
        var small = new RgbImage(smallWidth, smallHeight);
        Resampler.Resize(image, 0, 0, image.Width, image.Height, ResizeFilter.Area, smallWidth, smallHeight,
            small.Pixels);
        var restored = new RgbImage(image.Width, image.Height);
        Resampler.Resize(small, 0, 0, smallWidth, smallHeight, ResizeFilter.Bilinear, image.Width, image.Height,
            restored.Pixels);
        return restored;
    }

    /// <summary>
    /// The shrink factor that gives the face crop the detail of a <paramref name="pixelCount"/>-pixel face at
    /// a network input of <paramref name="referenceInputSide"/> pixels, carried over to a network whose input
    /// is <paramref name="modelInputSide"/> pixels and whose crop is <paramref name="cropSide"/> source pixels.
    /// Example: the FaceNet study's 6,400 pixels (80x80) at NN1's 220-pixel input is 80/220 of the input
    /// side; for a 96-pixel model that is a 35-pixel face, so a 150-pixel crop shrinks by 35/150.
    /// </summary>
    public static double ScaleForPixelCount(int pixelCount, int referenceInputSide, int modelInputSide, double cropSide)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pixelCount, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(referenceInputSide, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(modelInputSide, 1);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(cropSide);
        double faceSide = Math.Sqrt(pixelCount) * modelInputSide / referenceInputSide;
        return faceSide / cropSide;
    }

    private static byte ToByte(float value) => (byte)Math.Clamp(MathF.Round(value), 0f, 255f);
}
