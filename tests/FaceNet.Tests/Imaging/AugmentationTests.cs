using FaceNet.Runtime.Imaging;

namespace FaceNet.Tests.Imaging;

public sealed class AugmentationTests
{
    private static RgbImage RandomImage(int width, int height, int seed)
    {
        var random = new Random(seed);
        return TestImages.Image(width, height, (_, _, _) => random.Next(256));
    }

    [Fact]
    public void FlipHorizontal_MirrorsColumns()
    {
        RgbImage image = RandomImage(5, 3, 31);

        RgbImage flipped = Augmentation.FlipHorizontal(image);

        for (int y = 0; y < 3; y++)
        {
            for (int x = 0; x < 5; x++)
            {
                for (int c = 0; c < 3; c++)
                {
                    Assert.Equal(image[4 - x, y, c], flipped[x, y, c]);
                }
            }
        }
    }

    [Fact]
    public void FlipHorizontalChw_MatchesFlippingImageFirst()
    {
        RgbImage image = RandomImage(6, 4, 32);
        var preprocessor = new Preprocessor(new Preprocessing { InputHeight = 4, InputWidth = 6 });
        float[] sample = preprocessor.Apply(image);

        Augmentation.FlipHorizontalChw(sample, 3, 4, 6);

        Assert.Equal(preprocessor.Apply(Augmentation.FlipHorizontal(image)), sample);
    }

    [Fact]
    public void RandomCrop_SameSeed_SameWindow()
    {
        RgbImage image = RandomImage(20, 15, 33);

        RgbImage first = Augmentation.RandomCrop(image, 8, 6, new Random(5));
        RgbImage second = Augmentation.RandomCrop(image, 8, 6, new Random(5));

        Assert.Equal(first.Pixels, second.Pixels);
    }

    [Fact]
    public void RandomCrop_Window_EqualsCropAtDrawnPosition()
    {
        RgbImage image = RandomImage(20, 15, 34);
        var draws = new Random(6);
        int left = draws.Next(20 - 8 + 1), top = draws.Next(15 - 6 + 1);

        RgbImage window = Augmentation.RandomCrop(image, 8, 6, new Random(6));

        Assert.Equal(Augmentation.Crop(image, left, top, 8, 6).Pixels, window.Pixels);
        Assert.Equal(image[left, top, 0], window[0, 0, 0]);
    }

    [Fact]
    public void RandomCrop_LargerThanImage_Rejects()
    {
        var error = Assert.Throws<ArgumentException>(
            () => Augmentation.RandomCrop(RandomImage(4, 4, 1), 5, 2, new Random(1)));

        Assert.Contains("5x2 does not fit the 4x4 image", error.Message);
    }
}
