using System.Text;
using FaceNet.Cli.Commands;
using FaceNet.Runtime.Embedding;
using FaceNet.Runtime.Models;
using FaceNet.Runtime.Training;

namespace FaceNet.Tests.Cli;

public sealed class TrainCommandTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "facenet-train-cli-" + Guid.NewGuid().ToString("N"));

    public TrainCommandTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void ResolveData_LfwFolds_ExcludesTheirPeople()
    {
        string pairs = Path.Combine(_folder, "pairs.txt");
        File.WriteAllText(pairs,
            "2\t1\n" +
            "Alice\t1\t2\n" +
            "Bob\t1\tCarol\t1\n" +
            "Dave\t1\t3\n" +
            "Erin\t2\tFrank\t1\n");
        var request = new TrainRequest([_folder], false, false, null, "2", pairs, ["Zed"], 1.0, false);

        TrainerOptions options = TrainCommand.ResolveData(new TrainerOptions(), request);

        Assert.Equal(["Dave", "Erin", "Frank", "Zed"], options.ExcludedIdentities);
        Assert.Equal([Path.GetFullPath(_folder)], options.DataFolders);
    }

    [Fact]
    public void Run_OneStep_WritesOutputs()
    {
        string data = Path.Combine(_folder, "faces");
        var random = new Random(3);
        foreach (string person in new[] { "personA", "personB", "personC" })
        {
            Directory.CreateDirectory(Path.Combine(data, person));
            for (int i = 0; i < 3; i++)
            {
                WritePgm(Path.Combine(data, person, $"{person}_{i}.pgm"), 40, 48, random);
            }
        }
        string output = Path.Combine(_folder, "out");
        var options = new TrainerOptions
        {
            OutputFolder = output,
            Steps = 1,
            IdentitiesPerBatch = 2,
            ImagesPerIdentity = 2,
            ExtraNegatives = 1,
        };
        var request = new TrainRequest([data], false, false, null, null, null, [], 1.0, false);
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        int exit = TrainCommand.Run(options, request, stdout, stderr);

        Assert.True(exit == 0, stderr.ToString());
        Assert.True(File.Exists(Path.Combine(output, Trainer.CheckpointFileName)));
        Assert.Equal(2, File.ReadAllLines(Path.Combine(output, Trainer.LogFileName)).Length);
        Assert.True(File.Exists(Path.Combine(output, Trainer.PlotFileName)));
        Assert.Contains("step      1", stdout.ToString());
        using var embedder = FaceEmbedder.Load(Path.Combine(output, Trainer.CheckpointFileName));
        Assert.Equal(TrainCommand.PreprocessingFor(Architectures.Create("nn4-small2"), 1.0), embedder.Preprocessing);
    }

    [Fact]
    public void Run_CorruptImage_NamesTheFile()
    {
        string data = Path.Combine(_folder, "faces");
        var random = new Random(4);
        foreach (string person in new[] { "personA", "personB" })
        {
            Directory.CreateDirectory(Path.Combine(data, person));
            for (int i = 0; i < 2; i++)
            {
                WritePgm(Path.Combine(data, person, $"{person}_{i}.pgm"), 40, 48, random);
            }
        }
        string broken = Path.Combine(data, "personB", "personB_9.jpg");
        File.WriteAllBytes(broken, [0xFF, 0xD8, 0xFF, 0xE0, 0x00]);
        var options = new TrainerOptions
        {
            OutputFolder = Path.Combine(_folder, "out"),
            Steps = 1,
            IdentitiesPerBatch = 2,
            ImagesPerIdentity = 3,
            ExtraNegatives = 0,
        };
        var request = new TrainRequest([data], false, false, null, null, null, [], 1.0, false);
        var stderr = new StringWriter();

        int exit = TrainCommand.Run(options, request, new StringWriter(), stderr);

        Assert.Equal(1, exit);
        Assert.Contains(broken, stderr.ToString());
    }

    [Fact]
    public void Run_NoDataFolder_FailsWithMessage()
    {
        var request = new TrainRequest([], false, false, null, null, null, [], 1.0, false);
        var stderr = new StringWriter();

        int exit = TrainCommand.Run(new TrainerOptions { OutputFolder = _folder }, request, new StringWriter(), stderr);

        Assert.Equal(2, exit);
        Assert.Contains("--data", stderr.ToString());
    }

    [Fact]
    public void Run_SingleImageIdentities_OmitsParameterName()
    {
        string data = Directory.CreateDirectory(Path.Combine(_folder, "single")).FullName;
        var random = new Random(5);
        for (int identity = 0; identity < 2; identity++)
        {
            string person = Directory.CreateDirectory(Path.Combine(data, $"person{identity}")).FullName;
            WritePgm(Path.Combine(person, "only.pgm"), 8, 8, random);
        }
        var request = new TrainRequest([data], false, false, null, null, null, [], 1.0, false);
        var stderr = new StringWriter();

        int exit = TrainCommand.Run(new TrainerOptions { OutputFolder = Path.Combine(_folder, "out") }, request,
            new StringWriter(), stderr);

        Assert.Equal(1, exit);
        Assert.Contains("2 or more images", stderr.ToString());
        Assert.DoesNotContain("(Parameter", stderr.ToString());
    }

    [Fact]
    public void Run_ExistingCheckpointWithoutResume_IsUsageError()
    {
        string output = Directory.CreateDirectory(Path.Combine(_folder, "earlier")).FullName;
        string checkpoint = Path.Combine(output, Trainer.CheckpointFileName);
        File.WriteAllText(checkpoint, "earlier run");
        string data = Directory.CreateDirectory(Path.Combine(_folder, "data")).FullName;
        var request = new TrainRequest([data], false, false, null, null, null, [], 1.0, false);
        var stderr = new StringWriter();

        int exit = TrainCommand.Run(new TrainerOptions { OutputFolder = output }, request, new StringWriter(), stderr);

        Assert.Equal(2, exit);
        Assert.Contains("--resume", stderr.ToString());
        Assert.Equal("earlier run", File.ReadAllText(checkpoint));
    }

    private static void WritePgm(string path, int width, int height, Random random)
    {
        var pixels = new byte[width * height];
        random.NextBytes(pixels);
        using var file = File.Create(path);
        file.Write(Encoding.ASCII.GetBytes($"P5\n{width} {height}\n255\n"));
        file.Write(pixels);
    }
}
