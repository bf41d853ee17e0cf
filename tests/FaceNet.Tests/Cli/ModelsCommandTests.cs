using System.CommandLine;
using System.Text.Json;
using FaceNet.Cli.Commands;
using FaceNet.Runtime.Models;

namespace FaceNet.Tests.Cli;

public class ModelsCommandTests
{
    private static (int ExitCode, string Output, string Error) Invoke(params string[] args)
    {
        var root = new RootCommand { ModelsCommand.Create() };
        var output = new StringWriter();
        var error = new StringWriter();
        int exitCode = root.Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = error });
        return (exitCode, output.ToString(), error.ToString());
    }

    [Fact]
    public void Models_JsonFormat_ListsEveryArchitecture()
    {
        var (exitCode, output, _) = Invoke("models", "--format", "json");

        Assert.Equal(0, exitCode);
        using JsonDocument document = JsonDocument.Parse(output);
        JsonElement[] entries = document.RootElement.EnumerateArray().ToArray();
        Assert.Equal(Architectures.Names, entries.Select(e => e.GetProperty("name").GetString()));
        JsonElement small = entries.Single(e => e.GetProperty("name").GetString() == "nn4-small2");
        Assert.Equal("3x96x96", small.GetProperty("input").GetString());
        Assert.Equal(3_733_968, small.GetProperty("parameters").GetInt64());
        Assert.Equal(Architectures.Create("nn4-small2").MultiplyAdds, small.GetProperty("multiplyAdds").GetInt64());
    }

    [Fact]
    public void Models_JsonFormat_HasOnlyDocumentedKeys()
    {
        var (_, output, _) = Invoke("models", "--format", "json");

        using JsonDocument document = JsonDocument.Parse(output);
        string[] keys = document.RootElement[0].EnumerateObject().Select(p => p.Name).ToArray();
        Assert.Equal(["name", "input", "parameters", "multiplyAdds"], keys);
    }

    [Fact]
    public void Models_NonSquareInput_PrintsHeightThenWidth()
    {
        var (_, output, _) = Invoke("models", "--format", "json");

        using JsonDocument document = JsonDocument.Parse(output);
        JsonElement nns2 = document.RootElement.EnumerateArray().Single(e => e.GetProperty("name").GetString() == "nns2");
        Assert.Equal("3x140x116", nns2.GetProperty("input").GetString());
    }

    [Fact]
    public void Models_Table_ShowsCounts()
    {
        var (exitCode, output, _) = Invoke("models");

        Assert.Equal(0, exitCode);
        Assert.Contains("nn4-small2", output);
        Assert.Contains("3,733,968", output);
    }

    [Fact]
    public void Models_Layers_PrintsBlockRows()
    {
        var (exitCode, output, _) = Invoke("models", "--layers", "nn4-small2");

        Assert.Equal(0, exitCode);
        Assert.Contains("inception3a.branch3x3.reduce", output);
        Assert.Contains("736x3x3", output);
    }

    [Fact]
    public void Models_LayersJson_SumsToModelTotal()
    {
        var (_, output, _) = Invoke("models", "--layers", "nn2", "--format", "json");

        using JsonDocument document = JsonDocument.Parse(output);
        long total = document.RootElement.EnumerateArray()
            .Where(e => e.GetProperty("depth").GetInt32() == 0)
            .Sum(e => e.GetProperty("parameters").GetInt64());
        Assert.Equal(Architectures.Create("nn2").ParameterCount, total);
    }

    [Fact]
    public void Models_UnknownLayersName_FailsWithValidNames()
    {
        var (exitCode, output, error) = Invoke("models", "--layers", "nn9");

        Assert.NotEqual(0, exitCode);
        Assert.Contains("Unknown architecture 'nn9'", error);
        Assert.Contains("nn4-small2", error);
        Assert.Equal("", output);
    }

    [Fact]
    public void Models_UnknownLayersName_IsUsageError()
    {
        var (exitCode, _, error) = Invoke("models", "--layers", "nn9");

        Assert.Equal(2, exitCode);
        Assert.StartsWith("error: ", error);
    }

    [Fact]
    public void Models_ZeroEmbeddingSize_IsUsageError()
    {
        var (exitCode, _, error) = Invoke("models", "--embedding-size", "0");

        Assert.Equal(2, exitCode);
        Assert.StartsWith("error: ", error);
    }

    [Fact]
    public void Models_UnknownFormat_Fails()
    {
        var (exitCode, _, error) = Invoke("models", "--format", "xml");

        Assert.NotEqual(0, exitCode);
        Assert.Contains("xml", error);
    }

    [Fact]
    public void Models_EmbeddingSize_ChangesHeadCount()
    {
        var (_, output, _) = Invoke("models", "--format", "json", "--embedding-size", "64");

        using JsonDocument document = JsonDocument.Parse(output);
        long parameters = document.RootElement.EnumerateArray()
            .Single(e => e.GetProperty("name").GetString() == "nn4-small2").GetProperty("parameters").GetInt64();
        Assert.Equal(3_733_968 - 64 * 737, parameters);
    }
}
