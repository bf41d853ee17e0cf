using FaceNet.Runtime.Imaging;
using SkiaSharp;

namespace FaceNet.Tests.Imaging;

public sealed class ImageDecoderTests
{
    // Premultiplying 8-bit colour by 8-bit alpha rounds each channel once, so composites may be off by one level.
    private const float PremultiplyRounding = 1.01f;

    // Skia 4.156.1 keeps only the high byte of 16-bit greyscale PNG samples (v >> 8), within one level.
    private const float GreySixteenBitLoss = 1.0f;

    // 16-bit RGB goes through half floats: 11 significant bits, at most 0.125 levels near 255.
    private const float HalfFloatRounding = 0.13f;

    private static readonly ImageDecoder Decoder = new();

    [Fact]
    public void Decode_Grey8Png_MatchesRgbOriginal()
    {
        var random = new Random(11);
        int[] grey = Enumerable.Range(0, 7 * 5).Select(_ => random.Next(256)).ToArray();
        int[] rgb = grey.SelectMany(v => new[] { v, v, v }).ToArray();

        RgbImage fromGrey = Decoder.Decode(TestImages.Png(7, 5, TestImages.PngGrey, 8, grey), "grey8.png");
        RgbImage fromRgb = Decoder.Decode(TestImages.Png(7, 5, TestImages.PngRgb, 8, rgb), "rgb8.png");

        Assert.Equal(7, fromGrey.Width);
        Assert.Equal(5, fromGrey.Height);
        Assert.Equal(fromRgb.Pixels, fromGrey.Pixels);
        Assert.Equal(rgb.Select(v => (float)v), fromRgb.Pixels);
    }

    [Fact]
    public void Decode_Grey16Png_MatchesScaledSamples()
    {
        var random = new Random(12);
        int[] grey = Enumerable.Range(0, 6 * 4).Select(_ => random.Next(65536)).ToArray();

        RgbImage image = Decoder.Decode(TestImages.Png(6, 4, TestImages.PngGrey, 16, grey), "grey16.png");

        Assert.Equal(6, image.Width);
        Assert.Equal(4, image.Height);
        for (int i = 0; i < grey.Length; i++)
        {
            float expected = grey[i] * 255f / 65535f;
            for (int c = 0; c < 3; c++)
            {
                Assert.InRange(image.Pixels[i * 3 + c], expected - GreySixteenBitLoss, expected + GreySixteenBitLoss);
            }
        }
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(128f)]
    public void Decode_GreyAlphaPng_CompositesOverBackground(float background)
    {
        var random = new Random(13);
        int[] samples = Enumerable.Range(0, 5 * 5 * 2).Select(_ => random.Next(256)).ToArray();
        var decoder = new ImageDecoder(new ImageDecodeOptions { BackgroundLevel = background });

        RgbImage image = decoder.Decode(TestImages.Png(5, 5, TestImages.PngGreyAlpha, 8, samples), "grey-alpha.png");

        for (int i = 0; i < 25; i++)
        {
            float alpha = samples[i * 2 + 1] / 255f;
            float expected = alpha * samples[i * 2] + (1 - alpha) * background;
            Assert.InRange(image.Pixels[i * 3], expected - PremultiplyRounding, expected + PremultiplyRounding);
            Assert.Equal(image.Pixels[i * 3], image.Pixels[i * 3 + 1]);
            Assert.Equal(image.Pixels[i * 3], image.Pixels[i * 3 + 2]);
        }
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(128f)]
    public void Decode_RgbaHiddenColours_DoNotChangeOutput(float background)
    {
        var random = new Random(14);
        const int pixels = 9 * 6;
        int[] visible = new int[pixels * 4];
        for (int i = 0; i < pixels; i++)
        {
            int alpha = i % 3 == 0 ? 0 : random.Next(256);
            visible[i * 4 + 3] = alpha;
            for (int c = 0; c < 3; c++)
            {
                visible[i * 4 + c] = random.Next(256);
            }
        }
        int[] otherHidden = (int[])visible.Clone();
        for (int i = 0; i < pixels; i++)
        {
            if (visible[i * 4 + 3] == 0)
            {
                for (int c = 0; c < 3; c++)
                {
                    otherHidden[i * 4 + c] = random.Next(256);
                }
            }
        }
        var decoder = new ImageDecoder(new ImageDecodeOptions { BackgroundLevel = background });

        RgbImage first = decoder.Decode(TestImages.Png(9, 6, TestImages.PngRgba, 8, visible), "a.png");
        RgbImage second = decoder.Decode(TestImages.Png(9, 6, TestImages.PngRgba, 8, otherHidden), "b.png");

        Assert.Equal(first.Pixels, second.Pixels);
        for (int i = 0; i < pixels; i++)
        {
            float alpha = visible[i * 4 + 3] / 255f;
            for (int c = 0; c < 3; c++)
            {
                float expected = alpha * visible[i * 4 + c] + (1 - alpha) * background;
                Assert.InRange(first.Pixels[i * 3 + c], expected - PremultiplyRounding, expected + PremultiplyRounding);
            }
        }
    }

    [Fact]
    public void Decode_Rgb16Png_MatchesScaledSamples()
    {
        var random = new Random(15);
        int[] samples = Enumerable.Range(0, 3 * 2 * 3).Select(_ => random.Next(65536)).ToArray();

        RgbImage image = Decoder.Decode(TestImages.Png(3, 2, TestImages.PngRgb, 16, samples), "rgb16.png");

        for (int i = 0; i < samples.Length; i++)
        {
            float expected = samples[i] * 255f / 65535f;
            Assert.InRange(image.Pixels[i], expected - HalfFloatRounding, expected + HalfFloatRounding);
        }
    }

    [Fact]
    public void Decode_SkiaJpeg_ReturnsSizeAndColours()
    {
        byte[] jpeg = TestImages.EncodeRgb(32, 16, (x, _) => x < 16 ? ((byte)200, (byte)30, (byte)60) : ((byte)10, (byte)120, (byte)240),
            SKEncodedImageFormat.Jpeg);

        RgbImage image = Decoder.Decode(jpeg, "two-colours.jpg");

        Assert.Equal(32, image.Width);
        Assert.Equal(16, image.Height);
        Assert.InRange(image[4, 8, 0], 195f, 205f);
        Assert.InRange(image[28, 8, 2], 235f, 245f);
    }

    [Fact]
    public void Decode_EmptyFile_NamesFileAndProblem()
    {
        using var folder = new TempFolder();
        string path = folder.Write("empty.jpg", []);

        var error = Assert.Throws<ImageDecodeException>(() => Decoder.Decode(path));

        Assert.Contains(path, error.Message);
        Assert.Contains("empty", error.Message);
        Assert.Equal(path, error.ImageName);
    }

    [Fact]
    public void Decode_MissingFile_NamesFile()
    {
        using var folder = new TempFolder();
        string path = Path.Combine(folder.Path, "missing.png");

        var error = Assert.Throws<ImageDecodeException>(() => Decoder.Decode(path));

        Assert.Contains(path, error.Message);
        Assert.Contains("could not be read", error.Message);
    }

    [Fact]
    public void Decode_TextFile_ReportsNotAnImage()
    {
        using var folder = new TempFolder();
        string path = folder.Write("notes.jpg", "This is not an image.\n"u8.ToArray());

        var error = Assert.Throws<ImageDecodeException>(() => Decoder.Decode(path));

        Assert.Contains(path, error.Message);
        Assert.Contains("not a supported image", error.Message);
    }

    [Theory]
    [InlineData(SKEncodedImageFormat.Jpeg, "cut.jpg")]
    [InlineData(SKEncodedImageFormat.Png, "cut.png")]
    public void Decode_TruncatedFile_ReportsByteCount(SKEncodedImageFormat format, string fileName)
    {
        var random = new Random(16);
        byte[] full = TestImages.EncodeRgb(64, 64,
            (_, _) => ((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256)), format);
        byte[] cut = full[..(full.Length / 2)];
        using var folder = new TempFolder();
        string path = folder.Write(fileName, cut);

        var error = Assert.Throws<ImageDecodeException>(() => Decoder.Decode(path));

        Assert.Contains(path, error.Message);
        Assert.Contains($"truncated after {cut.Length:N0} bytes", error.Message);
    }

    [Fact]
    public void Decode_TruncatedInHeader_ReportsFile()
    {
        byte[] full = TestImages.EncodeRgb(8, 8, (_, _) => (1, 2, 3), SKEncodedImageFormat.Jpeg);

        var error = Assert.Throws<ImageDecodeException>(() => Decoder.Decode(full[..20], "header-only.jpg"));

        Assert.Contains("'header-only.jpg'", error.Message);
    }

    [Fact]
    public void Decode_AboveMaxPixels_RejectsBeforeDecoding()
    {
        byte[] png = TestImages.Png(20, 10, TestImages.PngGrey, 8, new int[200]);
        var decoder = new ImageDecoder(new ImageDecodeOptions { MaxPixels = 199 });

        var error = Assert.Throws<ImageDecodeException>(() => decoder.Decode(png, "big.png"));

        Assert.Contains("'big.png'", error.Message);
        Assert.Contains("20x10 (200 pixels), above the limit of 199 pixels", error.Message);
        Assert.Contains("ImageDecodeOptions.MaxPixels", error.Message);
    }

    [Fact]
    public void Decode_AtMaxPixels_Succeeds()
    {
        byte[] png = TestImages.Png(20, 10, TestImages.PngGrey, 8, new int[200]);
        var decoder = new ImageDecoder(new ImageDecodeOptions { MaxPixels = 200 });

        RgbImage image = decoder.Decode(png, "exact.png");

        Assert.Equal(20, image.Width);
    }

    [Fact]
    public void Decode_HugePgmHeader_RejectsWithoutAllocating()
    {
        byte[] header = "P5\n100000 100000\n255\n"u8.ToArray();

        var error = Assert.Throws<ImageDecodeException>(() => Decoder.Decode(header, "huge.pgm"));

        Assert.Contains("100000x100000 (10,000,000,000 pixels), above the limit of 50,000,000", error.Message);
    }

    [Fact]
    public void Decoder_NegativeMaxPixels_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ImageDecoder(new ImageDecodeOptions { MaxPixels = 0 }));
    }

    [Fact]
    public void Decode_Folder_ReportsFolder()
    {
        string folder = Directory.CreateTempSubdirectory("facenet-decode-").FullName;
        try
        {
            var exception = Assert.Throws<ImageDecodeException>(() => new ImageDecoder().Decode(folder));

            Assert.Contains("is a folder", exception.Message);
        }
        finally
        {
            Directory.Delete(folder);
        }
    }
}
