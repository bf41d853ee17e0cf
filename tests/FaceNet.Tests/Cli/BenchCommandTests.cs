using System.Text.Json;
using FaceNet.Cli.Commands;

namespace FaceNet.Tests.Cli;

/// <summary>The JSON contract and argument checks of <c>facenet bench</c>; no timing is asserted.</summary>
public class BenchCommandTests
{
    private static readonly string[] RowKeys = ["arch", "batch", "imagesPerSecond", "gflops", "peakFraction"];

    [Fact]
    public void Bench_JsonFormat_HasInferenceAndTrainingRows()
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var settings = new BenchCommand.BenchSettings("nns2", 2, 2, "both", 0, 1, "auto", "json");

        int exitCode = BenchCommand.Run(settings, output, error);

        Assert.Equal(0, exitCode);
        using JsonDocument document = JsonDocument.Parse(output.ToString());
        foreach (string mode in new[] { "inference", "training" })
        {
            Assert.True(document.RootElement.TryGetProperty(mode, out JsonElement row), $"missing '{mode}' row");
            foreach (string key in RowKeys)
            {
                Assert.True(row.TryGetProperty(key, out _), $"'{mode}' row lacks '{key}'");
            }
            Assert.Equal("nns2", row.GetProperty("arch").GetString());
            Assert.Equal(2, row.GetProperty("batch").GetInt32());
            Assert.True(row.GetProperty("imagesPerSecond").GetDouble() > 0, $"'{mode}' imagesPerSecond not positive");
        }
    }

    [Fact]
    public void Bench_UnknownArchitecture_ReturnsUsageError()
    {
        var error = new StringWriter();
        var settings = new BenchCommand.BenchSettings("nn9", 2, 2, "both", 0, 1, "auto", "json");

        int exitCode = BenchCommand.Run(settings, new StringWriter(), error);

        Assert.Equal(2, exitCode);
        Assert.Contains("nn9", error.ToString());
    }

    [Fact]
    public void Bench_TrainingBatchOfOne_ReturnsUsageError()
    {
        var error = new StringWriter();
        var settings = new BenchCommand.BenchSettings("nns2", 2, 1, "both", 0, 1, "auto", "json");

        int exitCode = BenchCommand.Run(settings, new StringWriter(), error);

        Assert.Equal(2, exitCode);
        Assert.Contains("--train-batch 1", error.ToString());
    }
}
