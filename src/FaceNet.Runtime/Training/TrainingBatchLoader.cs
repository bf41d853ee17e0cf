using FaceNet.Runtime.Imaging;

namespace FaceNet.Runtime.Training;

/// <summary>
/// Turns a <see cref="TrainingBatch"/> into one NCHW float batch: loads the images in parallel, applies
/// the augmentation and the preprocessing contract. Image i of step s is augmented with a random stream
/// seeded by (seed, s, i) alone, so the batch does not depend on thread timing or on earlier steps.
/// </summary>
/// <remarks>
/// Augmentation: the random crop takes a window of <see cref="TrainerOptions.RandomCropFraction"/> of
/// each side of the contract's crop region at a uniformly random position inside that region, and the
/// window is resized to the input size; the flip mirrors the sample with probability 0.5. Draw order per
/// image: crop left, crop top, flip.
/// </remarks>
public sealed class TrainingBatchLoader
{
    private const int AugmentationStream = 0x2c41;

    // Positions below this bound give each (step, position) its own random stream.
    private const long MaxBatchImages = 1 << 20;

    private readonly ITrainingImageSource _images;
    private readonly Preprocessor _preprocessor;
    private readonly Preprocessor _uncropped;
    private readonly TrainerOptions _options;

    /// <summary>Creates a loader for the given images, contract and augmentation settings.</summary>
    public TrainingBatchLoader(ITrainingImageSource images, Preprocessing preprocessing, TrainerOptions options)
    {
        _images = images;
        _preprocessor = new Preprocessor(preprocessing);
        _uncropped = new Preprocessor(preprocessing with { Crop = CropMode.None, CropFraction = 1.0 });
        _options = options;
    }

    /// <summary>Floats per sample.</summary>
    public int SampleSize => _preprocessor.SampleSize;

    /// <summary>Writes the batch of step <paramref name="step"/> (0-based) into a new array, sample after sample.</summary>
    /// <exception cref="InvalidDataException">An image cannot be decoded or preprocessed; the message names it.</exception>
    public float[] Load(TrainingBatch batch, long step)
    {
        int sampleSize = SampleSize;
        var data = new float[batch.Images.Length * sampleSize];
        try
        {
            Parallel.For(0, batch.Images.Length, i =>
            {
                int index = batch.Images[i];
                try
                {
                    LoadOne(index, step, i, data.AsSpan(i * sampleSize, sampleSize));
                }
                catch (Exception e) when (e is ImageDecodeException or ArgumentException or IOException)
                {
                    throw new InvalidDataException(
                        $"Training image '{_images.NameOf(index)}' (step {step + 1}, batch position {i}) could " +
                        $"not be loaded: {e.Message} Remove or repair the file and resume from the last checkpoint.",
                        e);
                }
            });
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            // Parallel.For wraps what the workers throw; the caller gets the first failure as it was thrown.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
        }
        return data;
    }

    private void LoadOne(int index, long step, int position, Span<float> destination)
    {
        RgbImage image = _images.Load(index);
        var random = new Random(BatchSampler.Mix(_options.Seed, step * MaxBatchImages + position, AugmentationStream));
        if (_options.RandomCrop)
        {
            (int left, int top, int width, int height) = _preprocessor.CropRegion(image.Width, image.Height);
            int cropWidth = Math.Clamp((int)Math.Round(_options.RandomCropFraction * width), 1, width);
            int cropHeight = Math.Clamp((int)Math.Round(_options.RandomCropFraction * height), 1, height);
            int x = left + random.Next(width - cropWidth + 1);
            int y = top + random.Next(height - cropHeight + 1);
            _uncropped.Apply(Augmentation.Crop(image, x, y, cropWidth, cropHeight), destination);
        }
        else
        {
            _preprocessor.Apply(image, destination);
        }
        if (_options.Flip && random.Next(2) == 1)
        {
            Augmentation.FlipHorizontalChw(destination, 3, _preprocessor.Contract.InputHeight,
                _preprocessor.Contract.InputWidth);
        }
    }
}
