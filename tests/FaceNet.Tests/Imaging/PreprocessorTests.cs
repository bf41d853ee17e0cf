using FaceNet.Runtime.Imaging;

namespace FaceNet.Tests.Imaging;

public sealed class PreprocessorTests
{
    // Float accumulation in the resize against a double reference: well under 1e-4 on the 0..255 scale
    // after normalisation to unit scale.
    private const float ReferenceTolerance = 1e-4f;

    private static RgbImage RandomImage(int width, int height, int seed)
    {
        var random = new Random(seed);
        return TestImages.Image(width, height, (_, _, _) => random.Next(256));
    }

    [Fact]
    public void Apply_GoldenBgrStandardized_MatchesFixedNumbers()
    {
        // Pixels (0, 10, 20) and (30, 40, 50): mean 25, population deviation sqrt(1750 / 6) = 17.0782513.
        RgbImage image = TestImages.Image(2, 1, (x, _, c) => x * 30 + c * 10);
        var contract = new Preprocessing
        {
            InputHeight = 1,
            InputWidth = 2,
            Filter = ResizeFilter.Nearest,
            ChannelOrder = ChannelOrder.Bgr,
            Normalization = NormalizationMode.PerImageStandardization,
        };

        float[] sample = new Preprocessor(contract).Apply(image);

        float[] expected = [-0.2927700f, 1.4638501f, -0.8783101f, 0.8783101f, -1.4638501f, 0.2927700f];
        Assert.Equal(expected.Length, sample.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], sample[i], 1e-6f);
        }
    }

    [Fact]
    public void Apply_GoldenZeroToOne_MatchesFixedNumbers()
    {
        RgbImage image = TestImages.Image(2, 1, (x, _, c) => x * 30 + c * 10);

        float[] sample = new Preprocessor(Preprocessing.OpenFaceNn4Small2() with { InputHeight = 1, InputWidth = 2 })
            .Apply(image);

        float[] expected = [0f, 30f / 255, 10f / 255, 40f / 255, 20f / 255, 50f / 255];
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], sample[i], 1e-7f);
        }
    }

    [Theory]
    [InlineData(ResizeFilter.Bilinear)]
    [InlineData(ResizeFilter.Area)]
    [InlineData(ResizeFilter.Nearest)]
    public void Apply_CenterCropResize_MatchesDoubleReference(ResizeFilter filter)
    {
        RgbImage image = RandomImage(11, 9, seed: 21);
        var contract = new Preprocessing
        {
            InputHeight = 4,
            InputWidth = 3,
            Crop = CropMode.Center,
            CropFraction = 0.6,
            Filter = filter,
            ChannelOrder = ChannelOrder.Rgb,
            Normalization = NormalizationMode.FixedMeanScale,
            Mean = 127.5f,
            Scale = 1f / 128f,
        };

        float[] sample = new Preprocessor(contract).Apply(image);

        // Crop: round(0.6 * 11) = 7 wide from x = 2, round(0.6 * 9) = 5 high from y = 2.
        double[] reference = ReferenceResize(image, left: 2, top: 2, width: 7, height: 5, 3, 4, filter);
        for (int c = 0; c < 3; c++)
        {
            for (int i = 0; i < 12; i++)
            {
                double expected = (reference[i * 3 + c] - 127.5) / 128.0;
                Assert.Equal(expected, sample[c * 12 + i], ReferenceTolerance);
            }
        }
    }

    [Fact]
    public void CropRegion_CenterFraction_RoundsAndCentres()
    {
        var preprocessor = new Preprocessor(Preprocessing.StandardizedSquare(160, 0.64));

        var region = preprocessor.CropRegion(250, 250);

        Assert.Equal((45, 45, 160, 160), region);
    }

    /// <summary>Direct 2D resize in double, written from each filter's definition (not separable code).</summary>
    private static double[] ReferenceResize(RgbImage image, int left, int top, int width, int height,
        int outWidth, int outHeight, ResizeFilter filter)
    {
        var result = new double[outWidth * outHeight * 3];
        double scaleX = (double)width / outWidth, scaleY = (double)height / outHeight;
        for (int oy = 0; oy < outHeight; oy++)
        {
            for (int ox = 0; ox < outWidth; ox++)
            {
                for (int c = 0; c < 3; c++)
                {
                    double value = 0;
                    if (filter == ResizeFilter.Nearest)
                    {
                        int sx = (int)Math.Floor((ox + 0.5) * scaleX), sy = (int)Math.Floor((oy + 0.5) * scaleY);
                        value = image[left + sx, top + sy, c];
                    }
                    else if (filter == ResizeFilter.Bilinear)
                    {
                        double fx = Math.Clamp((ox + 0.5) * scaleX - 0.5, 0, width - 1);
                        double fy = Math.Clamp((oy + 0.5) * scaleY - 0.5, 0, height - 1);
                        int x0 = (int)fx, y0 = (int)fy;
                        int x1 = Math.Min(x0 + 1, width - 1), y1 = Math.Min(y0 + 1, height - 1);
                        double tx = fx - x0, ty = fy - y0;
                        value = (1 - tx) * (1 - ty) * image[left + x0, top + y0, c]
                            + tx * (1 - ty) * image[left + x1, top + y0, c]
                            + (1 - tx) * ty * image[left + x0, top + y1, c]
                            + tx * ty * image[left + x1, top + y1, c];
                    }
                    else
                    {
                        // Area: integrate the source over the output pixel's footprint.
                        double x0 = ox * scaleX, x1 = (ox + 1) * scaleX, y0 = oy * scaleY, y1 = (oy + 1) * scaleY;
                        for (int sy = 0; sy < height; sy++)
                        {
                            for (int sx = 0; sx < width; sx++)
                            {
                                double overlapX = Math.Max(0, Math.Min(x1, sx + 1) - Math.Max(x0, sx));
                                double overlapY = Math.Max(0, Math.Min(y1, sy + 1) - Math.Max(y0, sy));
                                value += overlapX * overlapY * image[left + sx, top + sy, c];
                            }
                        }
                        value /= scaleX * scaleY;
                    }
                    result[(oy * outWidth + ox) * 3 + c] = value;
                }
            }
        }
        return result;
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(77f)]
    [InlineData(255f)]
    public void Apply_ConstantImage_StandardizesToFiniteZeros(float level)
    {
        RgbImage image = TestImages.Image(13, 9, (_, _, _) => level);

        float[] sample = new Preprocessor(Preprocessing.StandardizedSquare(8)).Apply(image);

        Assert.All(sample, value => Assert.Equal(0f, value));
    }

    [Fact]
    public void Apply_NearConstantImage_UsesDeviationFloor()
    {
        // One pixel of 48 values differs by 1: deviation 0.144 is below the floor 1 / sqrt(48) = 0.144337.
        RgbImage image = TestImages.Image(4, 4, (x, y, c) => x == 0 && y == 0 && c == 0 ? 1f : 0f);
        var contract = new Preprocessing { InputHeight = 4, InputWidth = 4, Filter = ResizeFilter.Nearest };

        float[] sample = new Preprocessor(contract).Apply(image);

        double mean = 1.0 / 48;
        double deviation = Math.Sqrt((Math.Pow(1 - mean, 2) + 47 * mean * mean) / 48);
        double divisor = Math.Max(deviation, 1 / Math.Sqrt(48));
        Assert.Equal((1 - mean) / divisor, sample[0], 1e-5);
        Assert.Equal(-mean / divisor, sample[1], 1e-5);
    }

    [Theory]
    [InlineData(float.NaN, "NaN")]
    [InlineData(float.PositiveInfinity, "Infinity")]
    [InlineData(float.NegativeInfinity, "-Infinity")]
    public void Apply_NonFinitePixel_Rejects(float bad, string shown)
    {
        RgbImage image = TestImages.Image(3, 2, (_, _, _) => 5f);
        image[1, 0, 1] = bad;

        var error = Assert.Throws<ArgumentException>(() => new Preprocessor(Preprocessing.StandardizedSquare(2)).Apply(image));

        Assert.Contains("pixel (x 1, y 0) channel G", error.Message);
        Assert.Contains(shown, error.Message);
    }

    [Fact]
    public void ApplyBatch_ThreeImages_MatchesSingleSamples()
    {
        var preprocessor = new Preprocessor(Preprocessing.StandardizedSquare(5, 0.8));
        RgbImage[] images = [RandomImage(9, 7, 1), RandomImage(5, 5, 2), RandomImage(12, 20, 3)];

        float[] batch = preprocessor.ApplyBatch(images);

        Assert.Equal(3 * 75, batch.Length);
        for (int n = 0; n < images.Length; n++)
        {
            Assert.Equal(preprocessor.Apply(images[n]), batch.AsSpan(n * 75, 75).ToArray());
        }
    }

    [Fact]
    public void ApplyBatch_WrongBufferLength_NamesShapes()
    {
        var preprocessor = new Preprocessor(Preprocessing.StandardizedSquare(5));

        var error = Assert.Throws<ArgumentException>(
            () => preprocessor.ApplyBatch([RandomImage(5, 5, 1), RandomImage(5, 5, 2)], new float[149]));

        Assert.Contains("has 149 floats but (2, 3, 5, 5) needs 150", error.Message);
    }

    [Fact]
    public void ApplyBatch_NaNImage_NamesBatchIndex()
    {
        var preprocessor = new Preprocessor(Preprocessing.StandardizedSquare(5));
        RgbImage bad = RandomImage(5, 5, 2);
        bad.Pixels[7] = float.NaN;

        var error = Assert.Throws<ArgumentException>(() => preprocessor.ApplyBatch([RandomImage(5, 5, 1), bad]));

        Assert.StartsWith("Batch image 1:", error.Message);
    }

    [Fact]
    public void Preprocessing_JsonRoundTrip_PreservesEveryField()
    {
        var contract = new Preprocessing
        {
            InputHeight = 96,
            InputWidth = 80,
            Crop = CropMode.Center,
            CropFraction = 0.7,
            Filter = ResizeFilter.Area,
            ChannelOrder = ChannelOrder.Bgr,
            Normalization = NormalizationMode.FixedMeanScale,
            Mean = 127.5f,
            Scale = 0.0078125f,
        };

        string json = contract.ToJson();
        Preprocessing parsed = Preprocessing.FromJson(json);

        Assert.Equal(contract, parsed);
        Assert.Contains("\"ChannelOrder\": \"Bgr\"", json);
        Assert.Contains("\"Normalization\": \"FixedMeanScale\"", json);
        Assert.DoesNotContain("SampleSize", json);
    }

    [Fact]
    public void Preprocessing_JsonZeroHeight_Rejects()
    {
        string json = Preprocessing.StandardizedSquare(160).ToJson().Replace("\"InputHeight\": 160", "\"InputHeight\": 0");

        var error = Assert.Throws<ArgumentException>(() => Preprocessing.FromJson(json));

        Assert.Contains("input size 0x160 is invalid", error.Message);
    }

    [Fact]
    public void Preprocessing_JsonUnknownFilter_Rejects()
    {
        string json = Preprocessing.StandardizedSquare(160).ToJson().Replace("\"Area\"", "\"Lanczos\"");

        var error = Assert.Throws<ArgumentException>(() => Preprocessing.FromJson(json));

        Assert.Contains("Preprocessing JSON is invalid", error.Message);
    }

    [Fact]
    public void Preprocessing_CropFractionAboveOne_Rejects()
    {
        Assert.Throws<ArgumentException>(() => new Preprocessor(Preprocessing.StandardizedSquare(8, 1.5)));
    }
}
