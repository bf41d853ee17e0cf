using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Checkpoints;
using FaceNet.Runtime.Cpu;
using FaceNet.Runtime.Embedding;
using FaceNet.Runtime.Evaluation;
using FaceNet.Runtime.Imaging;
using FaceNet.Runtime.Models;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Tests.Embedding;

/// <summary>
/// An untrained nn4-small2 whose batch normalisation running statistics are set away from their initial
/// 0 and 1, as after training, so that inference that used batch statistics instead would show.
/// </summary>
public sealed class UntrainedNn4Small2 : IDisposable
{
    public UntrainedNn4Small2()
    {
        Embedder = FaceEmbedder.Untrained("nn4-small2", seed: 3);
        Network = ((NetworkEmbeddingModel)Embedder.Model).Model;
        var random = new Random(11);
        foreach ((string name, Tensor state) in Network.States())
        {
            var values = new float[state.Count];
            bool variance = name.EndsWith("running_var", StringComparison.Ordinal);
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = variance ? 0.5f + random.NextSingle() : 0.2f * (random.NextSingle() - 0.5f);
            }
            state.Backend.Upload(values, state);
        }
    }

    public FaceEmbedder Embedder { get; }

    public FaceNetModel Network { get; }

    public void Dispose() => Embedder.Dispose();
}

public sealed class FaceEmbedderTests : IClassFixture<UntrainedNn4Small2>, IDisposable
{
    // Batch composition may change GEMM blocking and so the float32 summation order, which moves results
    // in their last bits. No kernel mixes one sample's values into another's, so 1e-5 is ample.
    private const float BatchTolerance = 1e-5f;

    private const double UnitLengthTolerance = 1e-5;

    private readonly UntrainedNn4Small2 _network;
    private readonly string _folder = Directory.CreateTempSubdirectory("facenet-embedder-").FullName;

    public FaceEmbedderTests(UntrainedNn4Small2 network)
    {
        _network = network;
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>A face-sized image with a seeded pattern: smooth gradients plus blocks plus noise.</summary>
    internal static RgbImage PatternImage(int seed, int width = 120, int height = 120)
    {
        var random = new Random(seed);
        var image = new RgbImage(width, height);
        double fx = 0.02 + 0.1 * random.NextDouble();
        double fy = 0.02 + 0.1 * random.NextDouble();
        double phase = 6.28 * random.NextDouble();
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                for (int c = 0; c < RgbImage.Channels; c++)
                {
                    double wave = Math.Sin(fx * x + fy * y * (c + 1) + phase);
                    image[x, y, c] = (float)Math.Clamp(128 + 90 * wave + 30 * (random.NextDouble() - 0.5), 0, 255);
                }
            }
        }
        return image;
    }

    private static RgbImage ConstantImage(float value)
    {
        var image = new RgbImage(100, 100);
        Array.Fill(image.Pixels, value);
        return image;
    }

    private static double Norm(float[] vector) => Math.Sqrt(vector.Sum(v => (double)v * v));

    private static float MaxDifference(float[] a, float[] b) => a.Zip(b, (x, y) => Math.Abs(x - y)).Max();

    [Theory]
    [InlineData(2, 1)]
    [InlineData(7, 0)]
    [InlineData(7, 6)]
    [InlineData(64, 37)]
    public void Embed_ImageInsideBatch_MatchesImageAlone(int batchSize, int position)
    {
        FaceEmbedder embedder = _network.Embedder;
        RgbImage target = PatternImage(seed: 1000);
        float[] alone = embedder.Embed(target);

        var batch = Enumerable.Range(0, batchSize).Select(i => PatternImage(seed: 2000 + 97 * batchSize + i)).ToArray();
        batch[position] = target;
        embedder.BatchSize = batchSize;
        float[][] together = embedder.EmbedImages(batch);

        Assert.True(MaxDifference(alone, together[position]) <= BatchTolerance,
            $"Batch of {batchSize}, position {position}: max difference {MaxDifference(alone, together[position])}.");
        Assert.True(MaxDifference(together[0], together[batchSize - 1]) > 1e-3,
            "The batch neighbours must be different images for the comparison to mean anything.");
    }

    [Fact]
    public void Embed_PatternImages_AreUnitLength()
    {
        float[][] vectors = _network.Embedder.EmbedImages([PatternImage(1), PatternImage(2), PatternImage(3, 250, 180)]);

        foreach (float[] vector in vectors)
        {
            Assert.Equal(128, vector.Length);
            Assert.Equal(1.0, Norm(vector), UnitLengthTolerance);
        }
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(128f)]
    [InlineData(255f)]
    public void Embed_ConstantImage_GivesFiniteUnitVector(float value)
    {
        float[] vector = _network.Embedder.Embed(ConstantImage(value));

        Assert.All(vector, v => Assert.True(float.IsFinite(v), $"Component {v} is not finite."));
        Assert.Equal(1.0, Norm(vector), UnitLengthTolerance);
    }

    [Fact]
    public void PixelBaseline_ConstantImage_GivesFiniteUnitVector()
    {
        using FaceEmbedder baseline = FaceEmbedder.PixelBaseline();

        float[] vector = baseline.Embed(ConstantImage(0f));

        Assert.All(vector, v => Assert.True(float.IsFinite(v), $"Component {v} is not finite."));
        Assert.Equal(1.0, Norm(vector), UnitLengthTolerance);
    }

    [Fact]
    public void Load_CustomPreprocessing_KeepsContractAndEmbeddings()
    {
        var contract = new Preprocessing
        {
            InputHeight = 96,
            InputWidth = 96,
            Crop = CropMode.Center,
            CropFraction = 0.8,
            Filter = ResizeFilter.Bilinear,
            ChannelOrder = ChannelOrder.Bgr,
            Normalization = NormalizationMode.FixedMeanScale,
            Mean = 127.5f,
            Scale = 1 / 128f,
        };
        string path = Path.Combine(_folder, "custom.fnet");
        ModelCheckpoint.Save(path, _network.Network, preprocessing: FaceEmbedder.PreprocessingJson(contract));
        RgbImage image = PatternImage(seed: 5, width: 200, height: 150);
        using var expected = new FaceEmbedder(new NetworkEmbeddingModel(_network.Network, CpuBackend.Instance, contract,
            "reference", "reference", ownsModel: false));

        using FaceEmbedder loaded = FaceEmbedder.Load(path);

        Assert.Equal(contract, loaded.Preprocessing);
        Assert.Equal(expected.Embed(image), loaded.Embed(image));
        Assert.NotEqual(_network.Embedder.Embed(image), loaded.Embed(image));
    }

    [Fact]
    public void EmbedImages_LongLoop_ReleasesEveryBuffer()
    {
        // A private backend, so that tests running in parallel on the shared one do not move its counters.
        var backend = new CpuBackend();
        var model = new FaceNetModel("memory-probe", 16, 16, 16,
            new ConvBlock("conv1", 3, 8, 3, 1, 1, ConvOptions.BiasBatchNormRelu),
            new PoolLayer("avgpool", PoolKind.Average, 16, 1),
            new FullyConnectedLayer("fc", 8, 16),
            new L2NormalizationLayer("l2"));
        model.Allocate(backend, seed: 4);
        using var embedder = new FaceEmbedder(new NetworkEmbeddingModel(model, backend,
            Preprocessing.StandardizedSquare(16), "memory probe", "memory-probe")) { BatchSize = 4 };
        long liveAtStart = backend.PoolStatistics.LiveBuffers;
        var random = new Random(21);
        const int WarmUpCalls = 20;
        const int Calls = 120;
        long freshAfterWarmUp = 0;
        int images = 0;

        for (int call = 0; call < Calls; call++)
        {
            // Lists of 1 to 7 images split into forward passes of 1 to 4, so every batch shape recurs.
            var list = Enumerable.Range(0, 1 + call % 7)
                .Select(_ => PatternImage(random.Next(), random.Next(20, 160), random.Next(20, 160)))
                .ToArray();
            embedder.EmbedImages(list);
            images += list.Length;
            Assert.Equal(liveAtStart, backend.PoolStatistics.LiveBuffers);
            if (call == WarmUpCalls - 1)
            {
                freshAfterWarmUp = backend.PoolStatistics.FreshAllocations;
            }
        }

        Assert.True(images >= 400, $"Only {images} images were embedded.");
        Assert.Equal(freshAfterWarmUp, backend.PoolStatistics.FreshAllocations);
    }

    [Fact]
    public void EmbedImages_Nn4Small2Loop_ReleasesEveryBuffer()
    {
        var backend = new CpuBackend();
        using FaceEmbedder embedder = FaceEmbedder.Untrained("nn4-small2", seed: 3, backend: backend);
        embedder.BatchSize = 2;
        long liveAtStart = backend.PoolStatistics.LiveBuffers;
        var random = new Random(22);
        const int WarmUpCalls = 3;
        const int Calls = 6;
        long freshAfterWarmUp = 0;

        for (int call = 0; call < Calls; call++)
        {
            // Lists of 1 to 3 images run as forward passes of 1 and 2 images.
            var list = Enumerable.Range(0, 1 + call % 3)
                .Select(_ => PatternImage(random.Next(), random.Next(40, 160), random.Next(40, 160)))
                .ToArray();
            embedder.EmbedImages(list);
            Assert.Equal(liveAtStart, backend.PoolStatistics.LiveBuffers);
            if (call == WarmUpCalls - 1)
            {
                freshAfterWarmUp = backend.PoolStatistics.FreshAllocations;
            }
        }

        Assert.Equal(freshAfterWarmUp, backend.PoolStatistics.FreshAllocations);
    }

    [Fact]
    public void Load_TruncatedCheckpoint_FailsNamingFile()
    {
        string complete = Path.Combine(_folder, "complete.fnet");
        string truncated = Path.Combine(_folder, "truncated.fnet");
        ModelCheckpoint.Save(complete, _network.Network);
        byte[] bytes = File.ReadAllBytes(complete);
        File.WriteAllBytes(truncated, bytes[..(bytes.Length / 2)]);

        var exception = Assert.Throws<InvalidDataException>(() => FaceEmbedder.Load(truncated));

        Assert.Contains(truncated, exception.Message);
        Assert.Contains("truncated", exception.Message);
    }

    [Fact]
    public void Load_NaNWeight_FailsNamingFileAndTensor()
    {
        string path = Path.Combine(_folder, "nan.fnet");
        CheckpointData data = ModelCheckpoint.Capture(_network.Network);
        CheckpointTensor weight = data.WithRole(TensorRole.Parameter).First();
        weight.Values[3] = float.NaN;
        CheckpointFile.Write(path, data, stream => stream, checkFinite: false);

        var exception = Assert.Throws<InvalidDataException>(() => FaceEmbedder.Load(path));

        Assert.Contains(path, exception.Message);
        Assert.Contains(weight.Name, exception.Message);
    }

    [Fact]
    public void Load_MissingFile_FailsNamingFile()
    {
        string path = Path.Combine(_folder, "absent.fnet");

        var exception = Assert.Throws<FileNotFoundException>(() => FaceEmbedder.Load(path));

        Assert.Contains(path, exception.Message);
    }

    [Theory]
    [InlineData("7")]
    [InlineData("-0.5")]
    [InlineData("NaN")]
    [InlineData("one")]
    public void Load_InvalidStoredThreshold_FailsNamingFile(string threshold)
    {
        string path = Path.Combine(_folder, "threshold.fnet");
        var metadata = new Dictionary<string, string> { [FaceEmbedder.ThresholdMetadataKey] = threshold };
        ModelCheckpoint.Save(path, _network.Network, metadata: metadata);

        var exception = Assert.Throws<InvalidDataException>(() => FaceEmbedder.Load(path));

        Assert.Contains(path, exception.Message);
        Assert.Contains(FaceEmbedder.ThresholdMetadataKey, exception.Message);
    }

    [Fact]
    public void Load_StoredThreshold_IsUsed()
    {
        string path = Path.Combine(_folder, "threshold.fnet");
        var metadata = new Dictionary<string, string> { [FaceEmbedder.ThresholdMetadataKey] = "0.95" };
        ModelCheckpoint.Save(path, _network.Network, metadata: metadata);

        using FaceEmbedder loaded = FaceEmbedder.Load(path);

        Assert.Equal(Threshold.SquaredL2(0.95), loaded.Threshold);
    }

    [Fact]
    public void Load_InvalidPreprocessing_FailsNamingFile()
    {
        string path = Path.Combine(_folder, "preprocessing.fnet");
        var contract = FaceEmbedder.PreprocessingJson(_network.Embedder.Preprocessing);
        contract["CropFraction"] = 0;
        ModelCheckpoint.Save(path, _network.Network, preprocessing: contract);

        var exception = Assert.Throws<InvalidDataException>(() => FaceEmbedder.Load(path));

        Assert.Contains(path, exception.Message);
        Assert.Contains("CropFraction", exception.Message);
    }

    [Fact]
    public void Load_Folder_SuggestsCheckpointFile()
    {
        var exception = Assert.Throws<FileNotFoundException>(() => FaceEmbedder.Load(_folder));

        Assert.Contains("is a folder", exception.Message);
        Assert.Contains(Path.Combine(_folder, "checkpoint.fnet"), exception.Message);
    }

    [Fact]
    public void Embed_NaNPixel_ThrowsArgumentException()
    {
        RgbImage image = PatternImage(seed: 8, width: 20, height: 20);
        image[3, 4, 1] = float.NaN;

        var exception = Assert.Throws<ArgumentException>(() => _network.Embedder.Embed(image));

        Assert.Contains("NaN", exception.Message);
    }

    [Fact]
    public void Embed_AfterDispose_ThrowsObjectDisposed()
    {
        FaceEmbedder embedder = FaceEmbedder.PixelBaseline();
        embedder.Dispose();

        Assert.Throws<ObjectDisposedException>(() => embedder.Embed(PatternImage(seed: 9, width: 20, height: 20)));
    }

    [Fact]
    public void Dispose_Twice_DoesNotThrow()
    {
        FaceEmbedder embedder = FaceEmbedder.Untrained("nn4-small2", seed: 4);
        embedder.Dispose();

        var exception = Record.Exception(embedder.Dispose);

        Assert.Null(exception);
    }
}
