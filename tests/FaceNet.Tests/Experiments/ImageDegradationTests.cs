using FaceNet.Runtime.Experiments;
using FaceNet.Runtime.Imaging;

namespace FaceNet.Tests.Experiments;

public sealed class ImageDegradationTests
{
    /// <summary>A 48x40 image with edges and texture, so that compression and blur both lose something.</summary>
    private static RgbImage Pattern()
    {
        var random = new Random(4);
        var image = new RgbImage(48, 40);
        for (int y = 0; y < image.Height; y++)
        {
            for (int x = 0; x < image.Width; x++)
            {
                float stripe = ((x / 3) + (y / 5)) % 2 == 0 ? 200f : 40f;
                for (int c = 0; c < RgbImage.Channels; c++)
                {
                    image.Pixels[(y * image.Width + x) * 3 + c] = Math.Clamp(stripe + random.Next(-30, 30) + 10 * c, 0, 255);
                }
            }
        }
        return image;
    }

    private static double MeanAbsoluteDifference(RgbImage a, RgbImage b) =>
        a.Pixels.Zip(b.Pixels, (x, y) => Math.Abs(x - y)).Average();

    [Fact]
    public void JpegRecompress_LowQuality_ChangesPixelsKeepsSize()
    {
        RgbImage image = Pattern();

        RgbImage result = ImageDegradation.JpegRecompress(image, 10);

        Assert.Equal(image.Width, result.Width);
        Assert.Equal(image.Height, result.Height);
        Assert.True(MeanAbsoluteDifference(image, result) > 1.0);
    }

    [Fact]
    public void JpegRecompress_HigherQuality_IsCloser()
    {
        RgbImage image = Pattern();

        double low = MeanAbsoluteDifference(image, ImageDegradation.JpegRecompress(image, 10));
        double high = MeanAbsoluteDifference(image, ImageDegradation.JpegRecompress(image, 90));

        Assert.True(high < low, $"quality 90 differs by {high}, quality 10 by {low}");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(101)]
    public void JpegRecompress_QualityOutOfRange_Throws(int quality)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageDegradation.JpegRecompress(Pattern(), quality));
    }

    [Fact]
    public void ReduceResolution_QuarterScale_KeepsSizeLosesDetail()
    {
        RgbImage image = Pattern();

        RgbImage result = ImageDegradation.ReduceResolution(image, 0.25);

        Assert.Equal(image.Width, result.Width);
        Assert.Equal(image.Height, result.Height);
        Assert.True(MeanAbsoluteDifference(image, result) > 5.0);
    }

    [Fact]
    public void ReduceResolution_SmallerScale_LosesMore()
    {
        RgbImage image = Pattern();

        double half = MeanAbsoluteDifference(image, ImageDegradation.ReduceResolution(image, 0.5));
        double tenth = MeanAbsoluteDifference(image, ImageDegradation.ReduceResolution(image, 0.1));

        Assert.True(tenth > half, $"scale 0.1 differs by {tenth}, scale 0.5 by {half}");
    }

    [Fact]
    public void ReduceResolution_ScaleOne_ReturnsEqualCopy()
    {
        RgbImage image = Pattern();

        RgbImage result = ImageDegradation.ReduceResolution(image, 1.0);

        Assert.NotSame(image.Pixels, result.Pixels);
        Assert.Equal(image.Pixels, result.Pixels);
    }

    [Fact]
    public void ReduceResolution_ConstantImage_StaysConstant()
    {
        var image = new RgbImage(30, 30);
        Array.Fill(image.Pixels, 77f);

        RgbImage result = ImageDegradation.ReduceResolution(image, 0.2);

        Assert.All(result.Pixels, v => Assert.Equal(77f, v, 3));
    }

    [Fact]
    public void ScaleForPixelCount_PaperSizeAtSmallerInput_ScalesBySideRatio()
    {
        // 6,400 pixels is an 80-pixel face at a 220-pixel input; at a 96-pixel input that is about 34.9
        // pixels, taken from a 150-pixel crop.
        double scale = ImageDegradation.ScaleForPixelCount(6400, 220, 96, 150);

        Assert.Equal(80.0 * 96 / 220 / 150, scale, 9);
    }
}
