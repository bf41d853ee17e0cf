namespace FaceNet.Runtime.Imaging;

/// <summary>
/// A decoded image: <see cref="Height"/> x <see cref="Width"/> pixels stored row-major and interleaved
/// (HWC), three floats per pixel in the order R, G, B, on the 8-bit scale 0 to 255 (16-bit sources keep
/// their fractional steps). Colours are sRGB with alpha already composited away.
/// </summary>
public sealed class RgbImage
{
    /// <summary>Channels per pixel (R, G, B).</summary>
    public const int Channels = 3;

    /// <summary>Creates a black image of the given size.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Thrown when a dimension is not positive.</exception>
    public RgbImage(int width, int height)
        : this(width, height, new float[CheckedLength(width, height)])
    {
    }

    /// <summary>Wraps existing HWC RGB pixels without copying them.</summary>
    /// <exception cref="ArgumentException">Thrown when <paramref name="pixels"/> does not hold width*height*3 values.</exception>
    public RgbImage(int width, int height, float[] pixels)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        long expected = CheckedLength(width, height);
        if (pixels.Length != expected)
        {
            throw new ArgumentException(
                $"Pixel buffer has {pixels.Length} values but a {width}x{height} RGB image needs {expected}.",
                nameof(pixels));
        }
        Width = width;
        Height = height;
        Pixels = pixels;
    }

    /// <summary>Width in pixels.</summary>
    public int Width { get; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>Pixel values, HWC interleaved RGB: pixel (y, x) channel c is at <c>(y * Width + x) * 3 + c</c>.</summary>
    public float[] Pixels { get; }

    /// <summary>Returns channel <paramref name="channel"/> (0 = R, 1 = G, 2 = B) of pixel (x, y).</summary>
    public float this[int x, int y, int channel]
    {
        get => Pixels[(y * Width + x) * Channels + channel];
        set => Pixels[(y * Width + x) * Channels + channel] = value;
    }

    /// <summary>Returns a deep copy.</summary>
    public RgbImage Clone() => new(Width, Height, (float[])Pixels.Clone());

    private static int CheckedLength(int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        long length = (long)width * height * Channels;
        if (length > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(
                nameof(width), $"A {width}x{height} RGB image needs {length} floats, more than one array can hold.");
        }
        return (int)length;
    }
}
