using System.CommandLine;
using FaceNet.Cli.Commands;
using FaceNet.Runtime.Experiments;
using FaceNet.Tests.Imaging;
using SkiaSharp;

namespace FaceNet.Tests.Cli;

/// <summary>
/// Runs <c>facenet experiment quantize</c> and <c>robustness</c> in-process with the pixel baseline on a
/// small generated LFW-shaped folder: four people of three images and three folds of six pairs.
/// </summary>
public sealed class ExperimentCommandTests : IDisposable
{
    private static readonly string[] People = ["Ann_A", "Bob_B", "Cid_C", "Dee_D"];

    private readonly string _root = Path.Combine(Path.GetTempPath(), $"facenet-experiment-{Guid.NewGuid():N}");

    public ExperimentCommandTests()
    {
        for (int p = 0; p < People.Length; p++)
        {
            string folder = Path.Combine(_root, "lfw", "images", People[p]);
            Directory.CreateDirectory(folder);
            for (int i = 1; i <= 3; i++)
            {
                int person = p, image = i;
                byte[] png = TestImages.EncodeRgb(40, 40, (x, y) => Stripes(person, image, x, y), SKEncodedImageFormat.Png);
                File.WriteAllBytes(Path.Combine(folder, $"{People[p]}_{i:0000}.jpg"), png);
            }
        }
        var lines = new List<string> { "3\t3" };
        for (int fold = 0; fold < 3; fold++)
        {
            string a = People[2 * (fold % 2)], b = People[2 * (fold % 2) + 1];
            lines.AddRange([$"{a}\t1\t2", $"{a}\t2\t3", $"{b}\t1\t3", $"{a}\t1\t{b}\t2", $"{a}\t3\t{b}\t1", $"{a}\t2\t{b}\t3"]);
        }
        File.WriteAllText(Path.Combine(_root, "lfw", "pairs.txt"), string.Join("\n", lines) + "\n");
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static (byte, byte, byte) Stripes(int person, int image, int x, int y)
    {
        int phase = person % 2 == 0 ? x + image : y + image;
        byte level = (byte)(phase / (3 + person) % 2 == 0 ? 40 : 220);
        return person switch
        {
            0 => (level, 30, 30),
            1 => (30, level, 30),
            2 => (30, 30, level),
            _ => (level, level, 30),
        };
    }

    private (int ExitCode, string Output, string Error) Invoke(params string[] arguments)
    {
        var root = new RootCommand { ExperimentCommand.Create() };
        var output = new StringWriter();
        var error = new StringWriter();
        string[] args = ["experiment", .. arguments, "--baseline", "pixels", "--data-root", _root, "--no-cache",
            "--out", Path.Combine(_root, "out")];
        int exitCode = root.Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = error });
        return (exitCode, output.ToString(), error.ToString());
    }

    [Fact]
    public void Quantize_PixelBaseline_PrintsSchemesAndWritesFiles()
    {
        string store = Path.Combine(_root, "faces.fneq");

        var (exitCode, output, error) = Invoke("quantize", "--folds", "2-3", "--calibration-folds", "1", "--store", store);

        Assert.True(exitCode == 0, error);
        Assert.Contains("float32", output);
        Assert.Contains("fixed [-1, 1]", output);
        Assert.Contains("per-dimension [min, max]", output);
        Assert.True(File.Exists(Path.Combine(_root, "out", ExperimentQuantizeCommand.PlotFileName)));
        QuantizedEmbeddings read = QuantizedEmbeddingStore.Load(store);
        Assert.Equal(3 * 32 * 32, read.Quantizer.Dimension);
        Assert.NotEmpty(read.Names);
    }

    [Fact]
    public void Quantize_SingleFold_IsUsageErrorBeforeEmbedding()
    {
        var (exitCode, _, error) = Invoke("quantize", "--folds", "2", "--calibration-folds", "1");

        Assert.Equal(2, exitCode);
        Assert.Contains("at least two folds", error);
        Assert.DoesNotContain("model:", error);
    }

    [Fact]
    public void Quantize_CalibrationOverlapsFolds_IsUsageError()
    {
        var (exitCode, _, error) = Invoke("quantize", "--folds", "2-3", "--calibration-folds", "3");

        Assert.Equal(2, exitCode);
        Assert.Contains("--calibration-folds", error);
    }

    [Fact]
    public void Robustness_PixelBaseline_PrintsBothTables()
    {
        var (exitCode, output, error) = Invoke("robustness", "--folds", "1-3", "--jpeg-qualities", "10,90",
            "--pixels", "1600");

        Assert.True(exitCode == 0, error);
        Assert.Contains("JPEG quality", output);
        Assert.Contains("1,600", output);
        Assert.True(File.Exists(Path.Combine(_root, "out", ExperimentRobustnessCommand.JpegPlotFileName)));
        Assert.True(File.Exists(Path.Combine(_root, "out", ExperimentRobustnessCommand.ResolutionPlotFileName)));
    }

    [Fact]
    public void Robustness_QualityOutOfRange_IsUsageError()
    {
        var (exitCode, _, error) = Invoke("robustness", "--folds", "1-3", "--jpeg-qualities", "0,50");

        Assert.Equal(2, exitCode);
        Assert.Contains("--jpeg-qualities", error);
    }
}
