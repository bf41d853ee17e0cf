using FaceNet.Runtime.Autograd;
using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Cpu;
using FaceNet.Runtime.Imaging;
using FaceNet.Runtime.Models;
using FaceNet.Runtime.Tensors;
using FaceNet.Runtime.Training;

namespace FaceNet.Tests.Training;

public sealed class TrainerTests : IDisposable
{
    private const int ImageSide = 20;
    private const int InputSide = 16;
    private const int EmbeddingSize = 8;

    private static readonly CpuBackend Cpu = CpuBackend.Instance;

    private static readonly Preprocessing TinyContract = new()
    {
        InputHeight = InputSide,
        InputWidth = InputSide,
        Filter = ResizeFilter.Bilinear,
        Normalization = NormalizationMode.PerImageStandardization,
    };

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "facenet-trainer-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    [Fact]
    public void Trainer_TinyRun_SeparatesIdentities()
    {
        InMemoryImageSource images = SyntheticFaces(identities: 3, perIdentity: 10, seed: 5);
        TrainerOptions options = TinyOptions("run") with
        {
            IdentitiesPerBatch = 3,
            ImagesPerIdentity = 5,
            ExtraNegatives = 0,
            Steps = 40,
            CheckpointEvery = 40,
            Policy = NegativePolicy.SemiHardOrHardest,
        };
        using FaceNetModel model = TinyModel();
        using var trainer = new Trainer(options, model, images, TinyContract, Cpu);
        (double sameBefore, double differentBefore) = MeanDistances(model, images);

        TrainingResult result = trainer.Run();

        List<StepRecord> records = ReadLog(result.LogPath);
        double firstLoss = records.Take(5).Average(r => r.Loss);
        double lastLoss = records.TakeLast(5).Average(r => r.Loss);
        (double same, double different) = MeanDistances(model, images);
        Assert.Equal(40, result.CompletedSteps);
        Assert.True(lastLoss < 0.5 * firstLoss, $"loss of the first 5 steps {firstLoss}, of the last 5 {lastLoss}");
        Assert.True(different - same > 0.5,
            $"mean same-identity distance {same} (before {sameBefore}), different-identity {different} " +
            $"(before {differentBefore})");
        Assert.True(File.Exists(result.CheckpointPath));
        Assert.NotNull(result.PlotPath);
        Assert.True(File.Exists(result.PlotPath));
    }

    [Fact]
    public void Trainer_Resume_MatchesUninterruptedRun()
    {
        InMemoryImageSource images = SyntheticFaces(identities: 4, perIdentity: 6, seed: 9);
        TrainerOptions straightOptions = TinyOptions("straight") with { Steps = 6, Optimizer = OptimizerKind.Adam, LearningRate = 0.01f };
        TrainerOptions resumedOptions = straightOptions with { OutputFolder = Path.Combine(_folder, "resumed"), Steps = 3 };

        using FaceNetModel straightModel = TinyModel();
        using var straight = new Trainer(straightOptions, straightModel, images, TinyContract, Cpu);
        straight.Run();

        using (FaceNetModel firstHalf = TinyModel())
        using (var first = new Trainer(resumedOptions, firstHalf, images, TinyContract, Cpu))
        {
            first.Run();
        }
        using FaceNetModel resumedModel = TinyModel();
        using var resumed = new Trainer(resumedOptions with { Steps = 6 }, resumedModel, images, TinyContract, Cpu);
        resumed.Resume();
        Assert.Equal(3, resumed.CompletedSteps);
        TrainingResult result = resumed.Run();

        Assert.Equal(6, result.CompletedSteps);
        Assert.Equal(straight.Optimizer.StepCount, resumed.Optimizer.StepCount);
        foreach (var (name, expected, actual) in NamedTensors(straight).Zip(NamedTensors(resumed),
            (a, b) => (a.Name, a.Tensor, b.Tensor)))
        {
            Assert.Equal(Download(expected), Download(actual));
            Assert.False(name.Length == 0);
        }
        List<StepRecord> straightLog = ReadLog(straight.LogPath);
        List<StepRecord> resumedLog = ReadLog(result.LogPath);
        Assert.Equal(straightLog.Select(r => r.Step), resumedLog.Select(r => r.Step));
        Assert.Equal(straightLog.Select(r => r.Loss), resumedLog.Select(r => r.Loss));
    }

    [Fact]
    public void Trainer_Cancelled_SavesResumableCheckpoint()
    {
        InMemoryImageSource images = SyntheticFaces(identities: 3, perIdentity: 4, seed: 6);
        TrainerOptions options = TinyOptions("cancel") with { Steps = 10, CheckpointEvery = 100 };
        using var cancel = new CancellationTokenSource();
        TrainingResult result;
        using (FaceNetModel model = TinyModel())
        using (var trainer = new Trainer(options, model, images, TinyContract, Cpu))
        {
            var progress = new CallbackProgress(record =>
            {
                if (record.Step == 2)
                {
                    cancel.Cancel();
                }
            });
            result = trainer.Run(progress, cancel.Token);
        }

        using FaceNetModel resumedModel = TinyModel();
        using var resumed = new Trainer(options, resumedModel, images, TinyContract, Cpu);
        resumed.Resume();

        Assert.True(result.Cancelled);
        Assert.Equal(2, result.CompletedSteps);
        Assert.Equal(2, resumed.CompletedSteps);
    }

    [Fact]
    public void Trainer_ResumeWithOtherMargin_IsRejected()
    {
        InMemoryImageSource images = SyntheticFaces(identities: 3, perIdentity: 4, seed: 2);
        TrainerOptions options = TinyOptions("margin") with { Steps = 1 };
        using (FaceNetModel model = TinyModel())
        using (var trainer = new Trainer(options, model, images, TinyContract, Cpu))
        {
            trainer.Run();
        }

        using FaceNetModel other = TinyModel();
        using var changed = new Trainer(options with { Margin = 0.5f }, other, images, TinyContract, Cpu);
        float[] before = Download(other.Parameters().First().Value);
        var error = Assert.Throws<InvalidDataException>(() => changed.Resume());

        Assert.Contains("Margin", error.Message);
        Assert.Equal(before, Download(other.Parameters().First().Value));
        Assert.Equal(0, changed.CompletedSteps);
    }

    [Fact]
    public void Trainer_NaNWeight_StopsWithClearMessage()
    {
        InMemoryImageSource images = SyntheticFaces(identities: 3, perIdentity: 4, seed: 3);
        using FaceNetModel model = TinyModel();
        using var trainer = new Trainer(TinyOptions("nan"), model, images, TinyContract, Cpu);
        Parameter weight = model.Parameters().First();
        var values = new float[weight.Count];
        values[0] = float.NaN;
        Cpu.Upload(values, weight.Value);

        var error = Assert.Throws<TrainingDivergedException>(() => trainer.Step());

        Assert.Equal(1, error.Step);
        Assert.Contains("diverged", error.Message);
        Assert.Contains(weight.Name, error.Message);
        Assert.Equal(0, trainer.CompletedSteps);
        Assert.Equal(0, trainer.Optimizer.StepCount);
    }

    [Fact]
    public void Trainer_NoNegatives_GivesZeroLoss()
    {
        InMemoryImageSource images = SyntheticFaces(identities: 1, perIdentity: 6, seed: 4);
        TrainerOptions options = TinyOptions("single") with { IdentitiesPerBatch = 1, ExtraNegatives = 0 };
        using FaceNetModel model = TinyModel();
        using var trainer = new Trainer(options, model, images, TinyContract, Cpu);

        StepRecord record = trainer.Step();

        Assert.Equal(0.0, record.Loss);
        Assert.Equal(0, record.Triplets);
        Assert.Equal(6, record.Pairs);
        Assert.True(double.IsFinite(record.MeanPairwiseDistance));
        Assert.Equal(1, trainer.CompletedSteps);
        Assert.Equal(1, trainer.Optimizer.StepCount);
    }

    [Fact]
    public void Trainer_ModelOfOtherArchitecture_IsRejected()
    {
        InMemoryImageSource images = SyntheticFaces(identities: 2, perIdentity: 2, seed: 1);
        using FaceNetModel model = TinyModel();

        var error = Assert.Throws<ArgumentException>(() =>
            new Trainer(TinyOptions("arch") with { Architecture = "nn4-small2" }, model, images, TinyContract, Cpu));

        Assert.Contains("nn4-small2", error.Message);
    }

    [Fact]
    public void TrainingMonitor_ZeroPairwiseDistance_WarnsOfCollapse()
    {
        var monitor = new TrainingMonitor(new TrainerOptions());
        var record = new StepRecord(7, 0.2, 10, 10, 10, 0, 0, 1e-6, 100, 0.05, 1);

        string? warning = monitor.Check(record);

        Assert.NotNull(warning);
        Assert.Contains("collapsing", warning);
    }

    [Fact]
    public void TrainingMonitor_PinnedLoss_WarnsAfterPatience()
    {
        var options = new TrainerOptions { CollapsePatience = 3 };
        var monitor = new TrainingMonitor(options);
        var pinned = new StepRecord(1, 0.2, 10, 10, 10, 0.5, 0.5, 0.5, 100, 0.05, 1);

        string? first = monitor.Check(pinned);
        string? second = monitor.Check(pinned with { Step = 2 });
        string? third = monitor.Check(pinned with { Step = 3 });

        Assert.Null(first);
        Assert.Null(second);
        Assert.NotNull(third);
    }

    [Fact]
    public void TrainingMonitor_InfiniteLoss_Throws()
    {
        var monitor = new TrainingMonitor(new TrainerOptions());
        var record = new StepRecord(4, double.PositiveInfinity, 10, 10, 10, 0.5, 0.5, 0.5, 100, 0.05, 1);

        var error = Assert.Throws<TrainingDivergedException>(() => monitor.Check(record));

        Assert.Equal(4, error.Step);
        Assert.Contains("loss", error.Message);
    }

    [Fact]
    public void TrainerOptions_JsonRoundTrip_KeepsEverySetting()
    {
        var options = new TrainerOptions
        {
            Architecture = "nn2",
            Policy = NegativePolicy.SemiHardOrHardest,
            Optimizer = OptimizerKind.Sgd,
            Schedule = ScheduleKind.Cosine,
            DataFolders = ["/data/a", "/data/b"],
            ExcludedIdentities = ["Aaron_Peirsol"],
            Seed = 42,
        };

        TrainerOptions parsed = TrainerOptions.FromJson(options.ToJson());

        Assert.Equal(options.ToJson(), parsed.ToJson());
        Assert.Empty(options.DifferencesAffectingResume(parsed));
    }

    [Fact]
    public void BatchLoader_SameStep_GivesSameBatch()
    {
        InMemoryImageSource images = SyntheticFaces(identities: 3, perIdentity: 4, seed: 8);
        var loader = new TrainingBatchLoader(images, TinyContract, TinyOptions("loader"));
        var batch = new TrainingBatch([0, 5, 9, 1], [0, 1, 2, 0], 3);

        float[] first = loader.Load(batch, 12);
        float[] again = loader.Load(batch, 12);
        float[] other = loader.Load(batch, 13);

        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
    }

    private TrainerOptions TinyOptions(string run) => new()
    {
        Architecture = "tiny",
        EmbeddingSize = EmbeddingSize,
        IdentitiesPerBatch = 3,
        ImagesPerIdentity = 3,
        ExtraNegatives = 2,
        Steps = 3,
        CheckpointEvery = 2,
        Seed = 11,
        OutputFolder = Path.Combine(_folder, run),
    };

    /// <summary>A small conv net: conv 3x3/2 with batch norm, conv 3x3/2, global average pool, fc, L2.</summary>
    private static FaceNetModel TinyModel() => new("tiny", InputSide, InputSide, EmbeddingSize,
        new ConvBlock("conv1", 3, 8, 3, 2, 1, ConvOptions.BiasBatchNormRelu),
        new ConvBlock("conv2", 8, 16, 3, 2, 1, ConvOptions.BiasRelu),
        new PoolLayer("avgpool", PoolKind.Average, InputSide / 4, 1),
        new FullyConnectedLayer("fc", 16, EmbeddingSize),
        new L2NormalizationLayer("l2"));

    /// <summary>
    /// Identity i is a sinusoidal grating at its own angle and frequency with its own colour, plus random
    /// phase, brightness and pixel noise per image.
    /// </summary>
    private static InMemoryImageSource SyntheticFaces(int identities, int perIdentity, int seed)
    {
        var random = new Random(seed);
        var images = new List<RgbImage>();
        var labels = new List<int>();
        for (int id = 0; id < identities; id++)
        {
            double angle = Math.PI * id / identities;
            double frequency = 0.5 + 0.25 * id;
            for (int k = 0; k < perIdentity; k++)
            {
                var image = new RgbImage(ImageSide, ImageSide);
                double phase = random.NextDouble() * 0.8;
                double brightness = 100 + 40 * random.NextDouble();
                for (int y = 0; y < ImageSide; y++)
                {
                    for (int x = 0; x < ImageSide; x++)
                    {
                        double wave = Math.Sin(frequency * (x * Math.Cos(angle) + y * Math.Sin(angle)) + phase);
                        for (int c = 0; c < 3; c++)
                        {
                            double tint = c == id % 3 ? 1.4 : 0.8;
                            double value = brightness + 80 * tint * wave + 12 * (random.NextDouble() - 0.5);
                            image[x, y, c] = (float)Math.Clamp(value, 0, 255);
                        }
                    }
                }
                images.Add(image);
                labels.Add(id);
            }
        }
        string[] names = Enumerable.Range(0, identities).Select(i => $"person{i}").ToArray();
        return new InMemoryImageSource(names, images, labels);
    }

    /// <summary>Mean squared distance of same-identity and of different-identity pairs, inference mode.</summary>
    private static (double Same, double Different) MeanDistances(FaceNetModel model, InMemoryImageSource images)
    {
        var preprocessor = new Preprocessor(TinyContract);
        float[] batch = preprocessor.ApplyBatch(Enumerable.Range(0, images.Count).Select(images.Load).ToArray());
        var embeddings = new float[images.Count * EmbeddingSize];
        using (Graph graph = Graph.ForInference(Cpu))
        {
            Tensor input = graph.FromHost(batch, images.Count, 3, InputSide, InputSide);
            Cpu.Download(model.Forward(graph, input), embeddings);
        }
        double same = 0, different = 0;
        int sameCount = 0, differentCount = 0;
        for (int i = 0; i < images.Count; i++)
        {
            for (int j = i + 1; j < images.Count; j++)
            {
                double d = 0;
                for (int f = 0; f < EmbeddingSize; f++)
                {
                    double diff = embeddings[i * EmbeddingSize + f] - embeddings[j * EmbeddingSize + f];
                    d += diff * diff;
                }
                if (images.LabelOf(i) == images.LabelOf(j))
                {
                    same += d;
                    sameCount++;
                }
                else
                {
                    different += d;
                    differentCount++;
                }
            }
        }
        return (same / sameCount, different / differentCount);
    }

    private static IEnumerable<(string Name, Tensor Tensor)> NamedTensors(Trainer trainer) =>
        trainer.Model.Parameters().Select(p => (p.Name, p.Value))
            .Concat(trainer.Model.States())
            .Concat(trainer.Optimizer.State.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => (e.Key, e.Value)));

    private static float[] Download(Tensor tensor)
    {
        var values = new float[tensor.Count];
        tensor.Backend.Download(tensor, values);
        return values;
    }

    private sealed class CallbackProgress(Action<StepRecord> report) : IProgress<StepRecord>
    {
        public void Report(StepRecord value) => report(value);
    }

    private static List<StepRecord> ReadLog(string path) =>
        File.ReadLines(path).Skip(1).Where(l => l.Length > 0).Select(StepRecord.FromCsv).ToList();
}
