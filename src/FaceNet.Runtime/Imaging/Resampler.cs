namespace FaceNet.Runtime.Imaging;

/// <summary>Separable resampling of HWC RGB pixels with the filters of <see cref="ResizeFilter"/>.</summary>
internal static class Resampler
{
    /// <summary>
    /// One output coordinate: the first source index and the weights (summing to 1) of consecutive source
    /// pixels. Sums are computed as <c>s0 + sum over k >= 1 of w_k * (s_k - s0)</c>, which equals the weighted
    /// mean but returns a constant region exactly, whatever the float rounding of the weights.
    /// </summary>
    private readonly record struct Taps(int First, float[] Weights);

    /// <summary>
    /// Resizes the region (<paramref name="left"/>, <paramref name="top"/>, <paramref name="width"/>,
    /// <paramref name="height"/>) of <paramref name="image"/> to <paramref name="outWidth"/> x
    /// <paramref name="outHeight"/>, writing HWC RGB into <paramref name="output"/>.
    /// </summary>
    public static void Resize(RgbImage image, int left, int top, int width, int height,
        ResizeFilter filter, int outWidth, int outHeight, Span<float> output)
    {
        Taps[] columns = BuildTaps(width, outWidth, filter);
        Taps[] rows = BuildTaps(height, outHeight, filter);
        float[] source = image.Pixels;

        // Horizontal pass into a (height x outWidth) buffer, then the vertical pass into the output.
        var horizontal = new float[height * outWidth * 3];
        for (int y = 0; y < height; y++)
        {
            int sourceRow = ((top + y) * image.Width + left) * 3;
            for (int ox = 0; ox < outWidth; ox++)
            {
                Taps taps = columns[ox];
                int baseIndex = sourceRow + taps.First * 3;
                float r = source[baseIndex], g = source[baseIndex + 1], b = source[baseIndex + 2];
                for (int k = 1; k < taps.Weights.Length; k++)
                {
                    int index = baseIndex + k * 3;
                    float weight = taps.Weights[k];
                    r += weight * (source[index] - source[baseIndex]);
                    g += weight * (source[index + 1] - source[baseIndex + 1]);
                    b += weight * (source[index + 2] - source[baseIndex + 2]);
                }
                int target = (y * outWidth + ox) * 3;
                horizontal[target] = r;
                horizontal[target + 1] = g;
                horizontal[target + 2] = b;
            }
        }

        int rowLength = outWidth * 3;
        for (int oy = 0; oy < outHeight; oy++)
        {
            Taps taps = rows[oy];
            Span<float> target = output.Slice(oy * rowLength, rowLength);
            ReadOnlySpan<float> baseRow = horizontal.AsSpan(taps.First * rowLength, rowLength);
            baseRow.CopyTo(target);
            for (int k = 1; k < taps.Weights.Length; k++)
            {
                float weight = taps.Weights[k];
                ReadOnlySpan<float> sourceRow = horizontal.AsSpan((taps.First + k) * rowLength, rowLength);
                for (int i = 0; i < rowLength; i++)
                {
                    target[i] += weight * (sourceRow[i] - baseRow[i]);
                }
            }
        }
    }

    private static Taps[] BuildTaps(int inSize, int outSize, ResizeFilter filter)
    {
        var taps = new Taps[outSize];
        double scale = (double)inSize / outSize;
        for (int o = 0; o < outSize; o++)
        {
            taps[o] = filter switch
            {
                ResizeFilter.Nearest => NearestTaps(o, scale, inSize),
                ResizeFilter.Bilinear => BilinearTaps(o, scale, inSize),
                ResizeFilter.Area => AreaTaps(o, scale, inSize),
                _ => throw new ArgumentOutOfRangeException(nameof(filter), filter, "Unknown resize filter."),
            };
        }
        return taps;
    }

    // Source index floor((o + 0.5) * scale): the pixel whose area contains the output pixel centre.
    private static Taps NearestTaps(int o, double scale, int inSize) =>
        new(Math.Min((int)Math.Floor((o + 0.5) * scale), inSize - 1), [1f]);

    // Output centre o + 0.5 maps to source coordinate (o + 0.5) * scale - 0.5, clamped to the edge pixels.
    private static Taps BilinearTaps(int o, double scale, int inSize)
    {
        double position = Math.Clamp((o + 0.5) * scale - 0.5, 0, inSize - 1);
        int first = (int)Math.Floor(position);
        if (first >= inSize - 1)
        {
            return new Taps(inSize - 1, [1f]);
        }
        float t = (float)(position - first);
        return new Taps(first, [1f - t, t]);
    }

    // Output pixel o covers source interval [o * scale, (o + 1) * scale); weights are overlaps / scale.
    private static Taps AreaTaps(int o, double scale, int inSize)
    {
        double start = o * scale;
        double end = Math.Min((o + 1) * scale, inSize);
        int first = (int)Math.Floor(start);
        int last = Math.Min((int)Math.Ceiling(end) - 1, inSize - 1);
        var weights = new float[last - first + 1];
        double total = 0;
        for (int i = first; i <= last; i++)
        {
            double overlap = Math.Min(end, i + 1) - Math.Max(start, i);
            weights[i - first] = (float)overlap;
            total += overlap;
        }
        for (int i = 0; i < weights.Length; i++)
        {
            weights[i] = (float)(weights[i] / total);
        }
        return new Taps(first, weights);
    }
}
