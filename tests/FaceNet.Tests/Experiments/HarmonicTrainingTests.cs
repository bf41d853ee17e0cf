using FaceNet.Runtime.Cpu;
using FaceNet.Runtime.Embedding;
using FaceNet.Runtime.Imaging;
using FaceNet.Runtime.Models;
using FaceNet.Runtime.Training;

namespace FaceNet.Tests.Experiments;

public sealed class HarmonicTrainingTests : IDisposable
{
    // nns2 is the cheapest registered architecture; a harmonic run needs a checkpoint that loads by name.
    private const string Architecture = "nns2";
    private const int EmbeddingSize = 8;

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "facenet-harmonic-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    private static InMemoryImageSource Faces(int identities, int perIdentity)
    {
        var random = new Random(7);
        var images = new List<RgbImage>();
        var labels = new List<int>();
        for (int id = 0; id < identities; id++)
        {
            for (int k = 0; k < perIdentity; k++)
            {
                var image = new RgbImage(24, 24);
                for (int i = 0; i < image.Pixels.Length; i++)
                {
                    image.Pixels[i] = (float)(60 * id + 40 * ((i / 3 + id) % 3) + random.Next(0, 30));
                }
                images.Add(image);
                labels.Add(id);
            }
        }
        return new InMemoryImageSource(Enumerable.Range(0, identities).Select(i => $"id{i}").ToArray(), images, labels);
    }

    private TrainerOptions Options(string name, int seed, int steps) => new()
    {
        Architecture = Architecture,
        EmbeddingSize = EmbeddingSize,
        IdentitiesPerBatch = 3,
        ImagesPerIdentity = 4,
        ExtraNegatives = 0,
        Optimizer = OptimizerKind.Adam,
        LearningRate = 1e-3f,
        Seed = seed,
        Steps = steps,
        CheckpointEvery = steps,
        OutputFolder = Path.Combine(_folder, name),
    };

    private string TrainOld(InMemoryImageSource images, Preprocessing contract)
    {
        using FaceNetModel model = Architectures.Create(Architecture, EmbeddingSize);
        using var trainer = new Trainer(Options("old", seed: 1, steps: 1), model, images, contract, CpuBackend.Instance);
        return trainer.Run().CheckpointPath;
    }

    [Fact]
    public void Trainer_CompatibleWith_MinesPooledPairsAndKeepsOldModel()
    {
        InMemoryImageSource images = Faces(identities: 3, perIdentity: 4);
        using FaceNetModel probe = Architectures.Create(Architecture, EmbeddingSize);
        Preprocessing contract = ModelDefaults.For(probe);
        string old = TrainOld(images, contract);
        byte[] before = File.ReadAllBytes(old);

        TrainingResult result;
        using (FaceNetModel model = Architectures.Create(Architecture, EmbeddingSize))
        using (var trainer = new Trainer(Options("new", seed: 2, steps: 1) with { CompatibleWith = old }, model, images,
            contract, CpuBackend.Instance))
        {
            result = trainer.Run();
        }

        Assert.Equal(1, result.CompletedSteps);

        // Pooled rows: 3 identities x (4 learned + 4 frozen), so 3 x 8 x 7 ordered pairs.
        // The usual loss would count 3 x 4 x 3.
        Assert.Equal(3 * 8 * 7, result.LastStep!.Pairs);
        Assert.Equal(before, File.ReadAllBytes(old));
    }

    [Fact]
    public void Trainer_CompatibleWithOtherEmbeddingSize_Throws()
    {
        InMemoryImageSource images = Faces(identities: 3, perIdentity: 4);
        using FaceNetModel probe = Architectures.Create(Architecture, EmbeddingSize);
        Preprocessing contract = ModelDefaults.For(probe);
        string old = TrainOld(images, contract);
        TrainerOptions options = Options("wide", seed: 2, steps: 1) with { EmbeddingSize = 16, CompatibleWith = old };
        using FaceNetModel model = Architectures.Create(Architecture, 16);

        var error = Assert.Throws<ArgumentException>(() =>
            new Trainer(options, model, images, contract, CpuBackend.Instance).Dispose());

        Assert.Contains("embedding size", error.Message);
    }
}
