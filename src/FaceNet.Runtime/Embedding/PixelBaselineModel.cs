using FaceNet.Runtime.Imaging;

namespace FaceNet.Runtime.Embedding;

/// <summary>
/// A fixed, non-learned baseline: the standardised pixels of a small centre crop, L2-normalised. Any
/// trained model must beat it on LFW to show that it learned something about faces.
/// </summary>
public sealed class PixelBaselineModel : IEmbeddingModel
{
    /// <summary>Creates the baseline at <paramref name="size"/> x <paramref name="size"/> pixels.</summary>
    public PixelBaselineModel(int size = 32, double centerCropFraction = ModelDefaults.CenterCropFraction)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 4);
        Preprocessing = new Preprocessing
        {
            InputHeight = size,
            InputWidth = size,
            Crop = CropMode.Center,
            CropFraction = centerCropFraction,
            Filter = ResizeFilter.Area,
            ChannelOrder = ChannelOrder.Rgb,
            Normalization = NormalizationMode.PerImageStandardization,
        };
        Preprocessing.Validate();
    }

    /// <inheritdoc />
    public string Name => $"pixels {Preprocessing.InputWidth}x{Preprocessing.InputHeight}";

    /// <inheritdoc />
    public string Checksum => $"pixels-{Preprocessing.InputWidth}x{Preprocessing.InputHeight}-crop{Preprocessing.CropFraction:R}";

    /// <inheritdoc />
    public int Dimension => Preprocessing.SampleSize;

    /// <inheritdoc />
    public Preprocessing Preprocessing { get; }

    /// <inheritdoc />
    public void Embed(ReadOnlySpan<float> batch, int count, Span<float> output)
    {
        int d = Dimension;
        for (int n = 0; n < count; n++)
        {
            ReadOnlySpan<float> x = batch.Slice(n * d, d);
            Span<float> y = output.Slice(n * d, d);
            double sum = 0;
            foreach (float v in x)
            {
                sum += (double)v * v;
            }

            // A constant crop standardises to all zeros, which has no direction. It maps to the first axis
            // so that the result stays finite and unit length.
            if (sum == 0)
            {
                y.Clear();
                y[0] = 1f;
                continue;
            }
            float inverse = (float)(1 / Math.Sqrt(sum));
            for (int i = 0; i < d; i++)
            {
                y[i] = x[i] * inverse;
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
    }
}
