namespace FaceNet.Runtime.Imaging;

/// <summary>Training-time augmentations. Randomness comes only from the caller's seeded <see cref="Random"/>.</summary>
public static class Augmentation
{
    /// <summary>Returns the image mirrored left to right.</summary>
    public static RgbImage FlipHorizontal(RgbImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var flipped = new RgbImage(image.Width, image.Height);
        for (int y = 0; y < image.Height; y++)
        {
            for (int x = 0; x < image.Width; x++)
            {
                int from = (y * image.Width + x) * 3;
                int to = (y * image.Width + image.Width - 1 - x) * 3;
                flipped.Pixels[to] = image.Pixels[from];
                flipped.Pixels[to + 1] = image.Pixels[from + 1];
                flipped.Pixels[to + 2] = image.Pixels[from + 2];
            }
        }
        return flipped;
    }

    /// <summary>Returns the image mirrored left to right with probability 0.5, otherwise the same instance.</summary>
    public static RgbImage RandomFlipHorizontal(RgbImage image, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        return random.Next(2) == 0 ? image : FlipHorizontal(image);
    }

    /// <summary>
    /// Mirrors one CHW sample (<paramref name="channels"/>, <paramref name="height"/>,
    /// <paramref name="width"/>) left to right in place.
    /// </summary>
    /// <exception cref="ArgumentException">Thrown when the span length is not channels*height*width.</exception>
    public static void FlipHorizontalChw(Span<float> sample, int channels, int height, int width)
    {
        if (sample.Length != channels * height * width)
        {
            throw new ArgumentException(
                $"Flip sample has {sample.Length} floats but ({channels}, {height}, {width}) needs " +
                $"{channels * height * width}.", nameof(sample));
        }
        for (int row = 0; row < channels * height; row++)
        {
            sample.Slice(row * width, width).Reverse();
        }
    }

    /// <summary>
    /// Returns a <paramref name="width"/> x <paramref name="height"/> window at a uniformly random position
    /// (left in [0, W - width], top in [0, H - height], left drawn first).
    /// </summary>
    /// <exception cref="ArgumentException">Thrown when the window is not positive or larger than the image.</exception>
    public static RgbImage RandomCrop(RgbImage image, int width, int height, Random random)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(random);
        if (width <= 0 || height <= 0 || width > image.Width || height > image.Height)
        {
            throw new ArgumentException(
                $"Random crop {width}x{height} does not fit the {image.Width}x{image.Height} image; " +
                "choose a positive crop no larger than the image.");
        }
        int left = random.Next(image.Width - width + 1);
        int top = random.Next(image.Height - height + 1);
        return Crop(image, left, top, width, height);
    }

    /// <summary>Returns the window with top-left corner (left, top) and the given size.</summary>
    /// <exception cref="ArgumentException">Thrown when the window leaves the image.</exception>
    public static RgbImage Crop(RgbImage image, int left, int top, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (left < 0 || top < 0 || width <= 0 || height <= 0 || left + width > image.Width ||
            top + height > image.Height)
        {
            throw new ArgumentException(
                $"Crop (left {left}, top {top}, {width}x{height}) leaves the {image.Width}x{image.Height} image.");
        }
        var cropped = new RgbImage(width, height);
        for (int y = 0; y < height; y++)
        {
            image.Pixels.AsSpan(((top + y) * image.Width + left) * 3, width * 3)
                .CopyTo(cropped.Pixels.AsSpan(y * width * 3, width * 3));
        }
        return cropped;
    }
}
