using FaceNet.Runtime.Imaging;

namespace FaceNet.Runtime.Pretrained;

/// <summary>Where the zero padding goes when a rectangle is padded to a square.</summary>
public enum SquarePadding
{
    /// <summary>All padding after the image: below a wide image, right of a tall one (the face detectors).</summary>
    AfterImage,

    /// <summary>
    /// Split around the image: <c>round(d / 2)</c> after and the rest before, for a size difference d
    /// (the landmark network; the half pixel of an odd d goes after).
    /// </summary>
    Centred,
}

/// <summary>
/// Builds network inputs the way TensorFlow.js image code does: zero padding of a region to a square, then
/// <c>tf.image.resizeBilinear</c> with <c>alignCorners = false</c> and <c>halfPixelCenters = false</c>, then
/// per-channel <c>(value - mean) / divisor</c>, written as planar CHW floats.
/// </summary>
public static class SquareInput
{
    /// <summary>
    /// Pads the region (<paramref name="left"/>, <paramref name="top"/>, <paramref name="width"/>,
    /// <paramref name="height"/>) of <paramref name="image"/> to a square of side max(width, height), resizes
    /// it to <paramref name="size"/> x <paramref name="size"/> and normalises it.
    /// </summary>
    /// <param name="image">Source pixels (HWC RGB, 0 to 255).</param>
    /// <param name="left">First column of the region.</param>
    /// <param name="top">First row of the region.</param>
    /// <param name="width">Region width in pixels.</param>
    /// <param name="height">Region height in pixels.</param>
    /// <param name="size">Side of the square output.</param>
    /// <param name="padding">Where the padding goes.</param>
    /// <param name="mean">Value subtracted per channel (R, G, B), after padding, so padded pixels become -mean / divisor.</param>
    /// <param name="divisor">Divisor applied after the subtraction.</param>
    /// <returns>3 x size x size floats, channel planes R, G, B.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The region is empty or leaves the image, or size is not positive.</exception>
    public static float[] Build(RgbImage image, int left, int top, int width, int height, int size,
        SquarePadding padding, ReadOnlySpan<float> mean, float divisor)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (width <= 0 || height <= 0 || left < 0 || top < 0 || left + width > image.Width ||
            top + height > image.Height)
        {
            throw new ArgumentOutOfRangeException(nameof(width),
                $"Region ({left}, {top}, {width}x{height}) is empty or outside the {image.Width}x{image.Height} image.");
        }
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        if (mean.Length != RgbImage.Channels)
        {
            throw new ArgumentException($"Mean has {mean.Length} values; pass one per channel (R, G, B).", nameof(mean));
        }

        int side = Math.Max(width, height);
        (int padLeft, int padTop) = PaddingBefore(width, height, padding);
        var output = new float[RgbImage.Channels * size * size];
        int plane = size * size;
        Axis[] rows = BuildAxis(side, size);
        Axis[] columns = BuildAxis(side, size);
        float[] pixels = image.Pixels;

        // Reads the padded square: square pixel (sx, sy) is region pixel (sx - padLeft, sy - padTop), or zero.
        float Read(int sx, int sy, int channel)
        {
            int x = sx - padLeft, y = sy - padTop;
            if (x < 0 || y < 0 || x >= width || y >= height)
            {
                return 0f;
            }
            return pixels[((top + y) * image.Width + left + x) * RgbImage.Channels + channel];
        }

        for (int oy = 0; oy < size; oy++)
        {
            Axis row = rows[oy];
            for (int ox = 0; ox < size; ox++)
            {
                Axis column = columns[ox];
                for (int c = 0; c < RgbImage.Channels; c++)
                {
                    double topLeft = Read(column.Low, row.Low, c);
                    double topRight = Read(column.High, row.Low, c);
                    double bottomLeft = Read(column.Low, row.High, c);
                    double bottomRight = Read(column.High, row.High, c);
                    double upper = topLeft + (topRight - topLeft) * column.Fraction;
                    double lower = bottomLeft + (bottomRight - bottomLeft) * column.Fraction;
                    float value = (float)(upper + (lower - upper) * row.Fraction);
                    output[c * plane + oy * size + ox] = (value - mean[c]) / divisor;
                }
            }
        }
        return output;
    }

    /// <summary>
    /// The padding placed before the image (left, top) when a width x height rectangle is padded to a square.
    /// </summary>
    public static (int Left, int Top) PaddingBefore(int width, int height, SquarePadding padding)
    {
        int difference = Math.Abs(width - height);
        if (padding == SquarePadding.AfterImage || difference == 0)
        {
            return (0, 0);
        }

        // TensorFlow.js puts Math.round(d / 2) after the image, which rounds .5 up, and the rest before.
        int after = (int)Math.Floor(difference / 2.0 + 0.5);
        int before = difference - after;
        return width < height ? (before, 0) : (0, before);
    }

    /// <summary>Source taps of one output index: the two neighbours and the weight of the higher one.</summary>
    private readonly record struct Axis(int Low, int High, double Fraction);

    // Output index o samples source coordinate o * in / out (no half-pixel shift), as resizeBilinear does
    // with both flags false. The upper neighbour is clamped to the last pixel.
    private static Axis[] BuildAxis(int inSize, int outSize)
    {
        var axis = new Axis[outSize];
        double ratio = (double)inSize / outSize;
        for (int o = 0; o < outSize; o++)
        {
            double source = o * ratio;
            int low = (int)Math.Floor(source);
            int high = Math.Min(inSize - 1, (int)Math.Ceiling(source));
            axis[o] = new Axis(low, high, source - low);
        }
        return axis;
    }
}
