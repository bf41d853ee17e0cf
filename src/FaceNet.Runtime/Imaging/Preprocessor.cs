namespace FaceNet.Runtime.Imaging;

/// <summary>
/// Applies a <see cref="Preprocessing"/> contract: decoded image in, one CHW float sample out, or a
/// whole NCHW batch written into a caller's buffer. Stateless after construction and safe to share
/// between threads.
/// </summary>
public sealed class Preprocessor
{
    /// <summary>Creates a preprocessor for a validated contract.</summary>
    /// <exception cref="ArgumentException">Thrown when the contract is invalid.</exception>
    public Preprocessor(Preprocessing contract)
    {
        ArgumentNullException.ThrowIfNull(contract);
        contract.Validate();
        Contract = contract;
    }

    /// <summary>The contract this preprocessor applies.</summary>
    public Preprocessing Contract { get; }

    /// <summary>Floats per sample: 3 * InputHeight * InputWidth.</summary>
    public int SampleSize => Contract.SampleSize;

    /// <summary>Returns the CHW sample (3, InputHeight, InputWidth) for <paramref name="image"/>.</summary>
    /// <exception cref="ArgumentException">Thrown when a pixel is NaN or infinite.</exception>
    public float[] Apply(RgbImage image)
    {
        var sample = new float[SampleSize];
        Apply(image, sample);
        return sample;
    }

    /// <summary>Writes the CHW sample for <paramref name="image"/> into <paramref name="destination"/>.</summary>
    /// <exception cref="ArgumentException">Thrown when <paramref name="destination"/> is not exactly
    /// <see cref="SampleSize"/> long or a pixel is NaN or infinite.</exception>
    public void Apply(RgbImage image, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (destination.Length != SampleSize)
        {
            throw new ArgumentException(
                $"Preprocess destination has {destination.Length} floats but one (3, {Contract.InputHeight}, " +
                $"{Contract.InputWidth}) sample needs {SampleSize}.", nameof(destination));
        }
        RejectNonFinite(image);

        (int left, int top, int width, int height) = CropRegion(image.Width, image.Height);
        int outHeight = Contract.InputHeight;
        int outWidth = Contract.InputWidth;
        var resized = new float[SampleSize];
        Resampler.Resize(image, left, top, width, height, Contract.Filter, outWidth, outHeight, resized);

        (double offset, double factor) = NormalizationFor(resized);
        int plane = outHeight * outWidth;
        bool bgr = Contract.ChannelOrder == ChannelOrder.Bgr;
        for (int c = 0; c < 3; c++)
        {
            int sourceChannel = bgr ? 2 - c : c;
            Span<float> target = destination.Slice(c * plane, plane);
            for (int i = 0; i < plane; i++)
            {
                target[i] = (float)((resized[i * 3 + sourceChannel] - offset) * factor);
            }
        }
    }

    /// <summary>
    /// Writes the NCHW batch (images.Count, 3, InputHeight, InputWidth) into <paramref name="batch"/>;
    /// sample n starts at <c>n * SampleSize</c>.
    /// </summary>
    /// <exception cref="ArgumentException">Thrown when <paramref name="batch"/> is not exactly
    /// images.Count * <see cref="SampleSize"/> long, or an image has a NaN or infinite pixel (the
    /// message gives its batch index).</exception>
    public void ApplyBatch(IReadOnlyList<RgbImage> images, Span<float> batch)
    {
        ArgumentNullException.ThrowIfNull(images);
        long expected = (long)images.Count * SampleSize;
        if (batch.Length != expected)
        {
            throw new ArgumentException(
                $"Preprocess batch buffer has {batch.Length} floats but ({images.Count}, 3, {Contract.InputHeight}, " +
                $"{Contract.InputWidth}) needs {expected}.", nameof(batch));
        }
        for (int n = 0; n < images.Count; n++)
        {
            try
            {
                Apply(images[n], batch.Slice(n * SampleSize, SampleSize));
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"Batch image {n}: {e.Message}", nameof(images), e);
            }
        }
    }

    /// <summary>Returns a newly allocated NCHW batch for <paramref name="images"/>.</summary>
    public float[] ApplyBatch(IReadOnlyList<RgbImage> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        var batch = new float[images.Count * SampleSize];
        ApplyBatch(images, batch);
        return batch;
    }

    /// <summary>Returns the crop region (left, top, width, height) for an image of the given size.</summary>
    public (int Left, int Top, int Width, int Height) CropRegion(int imageWidth, int imageHeight)
    {
        if (Contract.Crop == CropMode.None)
        {
            return (0, 0, imageWidth, imageHeight);
        }
        int width = Math.Clamp((int)Math.Round(Contract.CropFraction * imageWidth, MidpointRounding.AwayFromZero),
            1, imageWidth);
        int height = Math.Clamp((int)Math.Round(Contract.CropFraction * imageHeight, MidpointRounding.AwayFromZero),
            1, imageHeight);
        return ((imageWidth - width) / 2, (imageHeight - height) / 2, width, height);
    }

    private (double Offset, double Factor) NormalizationFor(float[] values)
    {
        if (Contract.Normalization == NormalizationMode.FixedMeanScale)
        {
            return (Contract.Mean, Contract.Scale);
        }

        double sum = 0;
        foreach (float v in values)
        {
            sum += v;
        }
        double mean = sum / values.Length;
        double squares = 0;
        foreach (float v in values)
        {
            double d = v - mean;
            squares += d * d;
        }

        // The floor keeps a constant image finite: every value minus the mean is 0, so the output is 0.
        double deviation = Math.Sqrt(squares / values.Length);
        double floor = 1.0 / Math.Sqrt(values.Length);
        return (mean, 1.0 / Math.Max(deviation, floor));
    }

    private static void RejectNonFinite(RgbImage image)
    {
        float[] pixels = image.Pixels;
        for (int i = 0; i < pixels.Length; i++)
        {
            if (!float.IsFinite(pixels[i]))
            {
                int pixel = i / 3;
                string channel = "RGB"[i % 3].ToString();
                throw new ArgumentException(
                    $"Image pixel (x {pixel % image.Width}, y {pixel / image.Width}) channel {channel} is " +
                    $"{pixels[i]}; preprocessing needs finite values. Check the code that produced the image.",
                    nameof(image));
            }
        }
    }
}
