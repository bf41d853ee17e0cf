using System.Text.Json;
using FaceNet.Cli.Commands;

namespace FaceNet.Tests.Cuda;

/// <summary>Runs <c>facenet selftest</c> in process on the emulated and CPU devices.</summary>
public sealed class SelftestCommandTests
{
    [Fact]
    public void Selftest_EmulatedJson_PassesEveryRow()
    {
        var output = new StringWriter();
        var error = new StringWriter();

        int exitCode = SelftestCommand.Run("emulated", "json", null, output, error);

        Assert.True(exitCode == 0, $"exit code {exitCode}: {error}{output}");
        using JsonDocument document = JsonDocument.Parse(output.ToString());
        Assert.True(document.RootElement.GetProperty("passed").GetBoolean());
        Assert.Equal("emulated", document.RootElement.GetProperty("device").GetString());
        Assert.True(document.RootElement.GetProperty("results").GetArrayLength() > 40);
        Assert.Equal(JsonValueKind.Null, document.RootElement.GetProperty("bench").ValueKind);
    }

    [Fact]
    public void Selftest_CpuTable_PrintsSummary()
    {
        var output = new StringWriter();
        var error = new StringWriter();

        int exitCode = SelftestCommand.Run("cpu", "table", null, output, error);

        Assert.Equal(0, exitCode);
        Assert.Contains("max abs error", output.ToString());
        Assert.Contains("outputs passed.", output.ToString());
    }

    [Fact]
    public void Selftest_BenchBatchTooSmall_IsUsageError()
    {
        var settings = new SelftestCommand.BenchSettings(3, 1);

        Assert.Throws<UsageException>(() => SelftestCommand.Run("cpu", "table", settings, TextWriter.Null, TextWriter.Null));
    }
}
