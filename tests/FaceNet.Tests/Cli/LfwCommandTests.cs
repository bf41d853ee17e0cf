using System.CommandLine;
using System.Text.Json;
using FaceNet.Cli.Commands;
using FaceNet.Tests.Imaging;
using SkiaSharp;

namespace FaceNet.Tests.Cli;

/// <summary>
/// Runs <c>facenet lfw</c> in-process on a small generated LFW-shaped folder: four people whose images are
/// distinct patterns, three folds of three same and three different pairs, with the pixel baseline.
/// </summary>
public sealed class LfwCommandTests : IDisposable
{
    private static readonly string[] People = ["Ann_A", "Bob_B", "Cid_C", "Dee_D"];

    private readonly string _root = Path.Combine(Path.GetTempPath(), $"facenet-lfw-{Guid.NewGuid():N}");

    public LfwCommandTests()
    {
        for (int p = 0; p < People.Length; p++)
        {
            string folder = Path.Combine(_root, "lfw", "images", People[p]);
            Directory.CreateDirectory(folder);
            for (int i = 1; i <= 3; i++)
            {
                int person = p;
                int image = i;
                byte[] jpeg = TestImages.EncodeRgb(40, 40, (x, y) => Pattern(person, image, x, y), SKEncodedImageFormat.Png);
                File.WriteAllBytes(Path.Combine(folder, $"{People[p]}_{i:0000}.jpg"), jpeg);
            }
        }
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    /// <summary>Each person is a stripe direction and colour; images of one person differ by a small shift.</summary>
    private static (byte, byte, byte) Pattern(int person, int image, int x, int y)
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

    private void WritePairs(string lineEnding, bool withMissingImage)
    {
        var lines = new List<string> { "3\t3" };
        for (int fold = 0; fold < 3; fold++)
        {
            string a = People[2 * (fold % 2)];
            string b = People[2 * (fold % 2) + 1];
            lines.Add($"{a}\t1\t2");
            lines.Add($"{a}\t2\t3");
            lines.Add(withMissingImage && fold == 1 ? $"{b}\t1\t9" : $"{b}\t1\t3");
            lines.Add($"{a}\t1\t{b}\t2");
            lines.Add($"{a}\t3\t{b}\t1");
            lines.Add($"{a}\t2\t{b}\t3");
        }
        File.WriteAllText(Path.Combine(_root, "lfw", "pairs.txt"), string.Join(lineEnding, lines) + lineEnding);
    }

    private (int ExitCode, string Output, string Error) Invoke(params string[] extra)
    {
        var root = new RootCommand { LfwCommand.Create() };
        var output = new StringWriter();
        var error = new StringWriter();
        string roc = Path.Combine(_root, "roc.png");
        string[] args = ["lfw", "--baseline", "pixels", "--data-root", _root, "--roc", roc, "--no-cache", .. extra];
        int exitCode = root.Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = error });
        return (exitCode, output.ToString(), error.ToString());
    }

    [Fact]
    public void Lfw_JsonFormat_HasEveryDocumentedKey()
    {
        WritePairs("\n", withMissingImage: false);

        var (exitCode, output, error) = Invoke("--format", "json");

        Assert.True(exitCode == 0, error);
        using JsonDocument document = JsonDocument.Parse(output);
        JsonElement result = document.RootElement;
        foreach (string key in new[] { "accuracy", "accuracyStd", "valAtFar1e3", "auc", "eer", "pairs", "missingPairs", "thresholds" })
        {
            Assert.True(result.TryGetProperty(key, out _), $"missing key '{key}'");
        }
        Assert.Equal(18, result.GetProperty("pairs").GetInt32());
        Assert.Equal(0, result.GetProperty("missingPairs").GetInt32());
        Assert.Equal(3, result.GetProperty("thresholds").GetArrayLength());
        Assert.True(File.Exists(Path.Combine(_root, "roc.png")));
    }

    [Fact]
    public void Lfw_SeparablePatterns_ScorePerfectly()
    {
        WritePairs("\r\n", withMissingImage: false);

        var (exitCode, output, error) = Invoke("--format", "json");

        Assert.True(exitCode == 0, error);
        using JsonDocument document = JsonDocument.Parse(output);
        Assert.Equal(1.0, document.RootElement.GetProperty("accuracy").GetDouble());
        Assert.Equal(1.0, document.RootElement.GetProperty("auc").GetDouble());
    }

    [Fact]
    public void Lfw_MissingImage_IsListedAndCounted()
    {
        WritePairs("\n", withMissingImage: true);

        var (exitCode, output, error) = Invoke("--format", "json");

        Assert.True(exitCode == 0, error);
        Assert.Contains("Dee_D_0009.jpg", error);
        using JsonDocument document = JsonDocument.Parse(output);
        Assert.Equal(1, document.RootElement.GetProperty("missingPairs").GetInt32());
        Assert.Equal(17, document.RootElement.GetProperty("pairs").GetInt32());
    }

    [Fact]
    public void Lfw_FoldSelection_EvaluatesOnlyThoseFolds()
    {
        WritePairs("\n", withMissingImage: false);

        var (exitCode, output, error) = Invoke("--format", "json", "--folds", "2-3");

        Assert.True(exitCode == 0, error);
        using JsonDocument document = JsonDocument.Parse(output);
        Assert.Equal(12, document.RootElement.GetProperty("pairs").GetInt32());
        Assert.Equal(2, document.RootElement.GetProperty("thresholds").GetArrayLength());
    }

    [Fact]
    public void Lfw_SingleFold_IsUsageErrorBeforeEmbedding()
    {
        WritePairs("\n", withMissingImage: false);

        var (exitCode, _, error) = Invoke("--folds", "2");

        Assert.Equal(2, exitCode);
        Assert.Contains("at least two folds", error);
        Assert.DoesNotContain("model:", error);
    }

    [Fact]
    public void Lfw_NoModelChosen_IsUsageError()
    {
        WritePairs("\n", withMissingImage: false);
        var root = new RootCommand { LfwCommand.Create() };
        var error = new StringWriter();

        int exitCode = root.Parse(["lfw", "--data-root", _root]).Invoke(new InvocationConfiguration { Output = new StringWriter(), Error = error });

        Assert.Equal(2, exitCode);
        Assert.Contains("Choose exactly one model", error.ToString());
    }

    [Fact]
    public void Lfw_MissingPairsFile_NamesThePath()
    {
        var (exitCode, _, error) = Invoke();

        Assert.Equal(2, exitCode);
        Assert.Contains("pairs.txt", error);
    }

    [Fact]
    public void Lfw_FoldOutOfRange_IsUsageError()
    {
        WritePairs("\n", withMissingImage: false);

        var (exitCode, _, error) = Invoke("--folds", "4");

        Assert.Equal(2, exitCode);
        Assert.Contains("--folds '4'", error);
        Assert.Contains("1 to 3", error);
        Assert.DoesNotContain("(Parameter", error);
    }

    [Fact]
    public void Lfw_RocPathIsFolder_IsUsageError()
    {
        WritePairs("\n", withMissingImage: false);
        var root = new RootCommand { LfwCommand.Create() };
        var error = new StringWriter();
        string[] args = ["lfw", "--baseline", "pixels", "--data-root", _root, "--roc", _root, "--no-cache"];

        int exitCode = root.Parse(args).Invoke(new InvocationConfiguration { Output = new StringWriter(), Error = error });

        Assert.Equal(2, exitCode);
        Assert.Contains("is a folder", error.ToString());
    }

    [Fact]
    public void Lfw_SingleFold_MessageHasNoParameterName()
    {
        WritePairs("\n", withMissingImage: false);

        var (_, _, error) = Invoke("--folds", "2");

        Assert.DoesNotContain("(Parameter", error);
    }

    [Fact]
    public void Lfw_CacheIsFile_IsUsageError()
    {
        WritePairs("\n", withMissingImage: false);
        var root = new RootCommand { LfwCommand.Create() };
        var error = new StringWriter();
        string pairs = Path.Combine(_root, "lfw", "pairs.txt");
        string[] args = ["lfw", "--baseline", "pixels", "--data-root", _root, "--roc", Path.Combine(_root, "roc.png"),
            "--cache", pairs];

        int exitCode = root.Parse(args).Invoke(new InvocationConfiguration { Output = new StringWriter(), Error = error });

        Assert.Equal(2, exitCode);
        Assert.Contains("--cache", error.ToString());
        Assert.DoesNotContain("embedding:", error.ToString());
    }
}
