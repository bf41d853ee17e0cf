using System.Text.Json;
using FaceNet.Runtime.Embedding;

namespace FaceNet.Tests.Cli;

public sealed class CompareCommandTests : IDisposable
{
    // Values are printed in shortest round-trip form, so the relations between metrics hold to rounding.
    private const double ConversionTolerance = 1e-12;

    // Cosine metrics are computed from the float32 embeddings, whose length is 1 only to about 1e-7, so
    // they match the squared-L2 conversion to that precision.
    private const double UnitVectorTolerance = 1e-6;

    private readonly CliTestData _data = new();
    private readonly string _sameA;
    private readonly string _sameB;
    private readonly string _other;

    public CompareCommandTests()
    {
        string folder = _data.Folder("images");
        _sameA = CliTestData.WriteImage(folder, "a0.png", identity: 0, image: 0);
        _sameB = CliTestData.WriteImage(folder, "a1.png", identity: 0, image: 1);
        _other = CliTestData.WriteImage(folder, "b0.png", identity: 1, image: 0);
    }

    public void Dispose() => _data.Dispose();

    private static JsonElement CompareJson(params string[] extra)
    {
        var (exitCode, output, error) = CliTestData.Invoke(["compare", .. extra, "--baseline", "pixels", "--format", "json"]);
        Assert.True(exitCode == 0, $"Exit code {exitCode}: {error}");
        return JsonDocument.Parse(output).RootElement.Clone();
    }

    [Fact]
    public void Compare_Json_HasAllMetricsAndVerdict()
    {
        JsonElement json = CompareJson(_sameA, _sameB);

        JsonElement distances = json.GetProperty("distances");
        Assert.Equal(["squaredL2", "l2", "cosineDistance", "cosineSimilarity"],
            distances.EnumerateObject().Select(p => p.Name));
        double squared = distances.GetProperty("squaredL2").GetDouble();
        Assert.True(squared < 0.1, $"Two images of one identity are at squared L2 {squared}.");
        Assert.Equal(Math.Sqrt(squared), distances.GetProperty("l2").GetDouble(), ConversionTolerance);
        Assert.Equal(squared / 2, distances.GetProperty("cosineDistance").GetDouble(), UnitVectorTolerance);
        Assert.Equal(1 - squared / 2, distances.GetProperty("cosineSimilarity").GetDouble(), UnitVectorTolerance);
        Assert.Equal("same", json.GetProperty("verdict").GetString());
        Assert.True(json.GetProperty("same").GetBoolean());
    }

    [Fact]
    public void Compare_Json_KeepsUnicodeFileNames()
    {
        string unicode = Path.Combine(Path.GetDirectoryName(_sameA)!, "Zoë 日本.png");
        File.Copy(_sameA, unicode);

        var (exitCode, output, _) = CliTestData.Invoke("compare", unicode, _sameB, "--baseline", "pixels", "--format", "json");

        Assert.Equal(0, exitCode);
        Assert.Contains("Zoë 日本.png", output);
        Assert.Equal(unicode, JsonDocument.Parse(output).RootElement.GetProperty("a").GetString());
    }

    [Fact]
    public void Compare_DefaultThreshold_ConvertedToEveryMetric()
    {
        JsonElement json = CompareJson(_sameA, _sameB);

        double model = FaceEmbedder.FallbackSquaredL2Threshold;
        Assert.Equal(model, json.GetProperty("threshold").GetProperty("value").GetDouble());
        Assert.Equal("squaredL2", json.GetProperty("threshold").GetProperty("metric").GetString());
        Assert.Equal("model", json.GetProperty("thresholdSource").GetString());
        JsonElement thresholds = json.GetProperty("thresholds");
        Assert.Equal(model, thresholds.GetProperty("squaredL2").GetDouble());
        Assert.Equal(Math.Sqrt(model), thresholds.GetProperty("l2").GetDouble(), ConversionTolerance);
        Assert.Equal(model / 2, thresholds.GetProperty("cosineDistance").GetDouble(), ConversionTolerance);
        Assert.Equal(1 - model / 2, thresholds.GetProperty("cosineSimilarity").GetDouble(), ConversionTolerance);
    }

    [Fact]
    public void Compare_DifferentIdentities_VerdictDifferent()
    {
        JsonElement json = CompareJson(_sameA, _other);

        Assert.Equal("different", json.GetProperty("verdict").GetString());
        Assert.True(json.GetProperty("distances").GetProperty("squaredL2").GetDouble() > 1.5);
    }

    [Fact]
    public void Compare_CosineSimilarityThreshold_DecidesInThatMetric()
    {
        JsonElement json = CompareJson(_sameA, _sameB, "--threshold", "0.9999", "--metric", "cosine-similarity");

        JsonElement threshold = json.GetProperty("threshold");
        Assert.Equal(0.9999, threshold.GetProperty("value").GetDouble());
        Assert.Equal("cosineSimilarity", threshold.GetProperty("metric").GetString());
        Assert.Equal("option", json.GetProperty("thresholdSource").GetString());
        Assert.Equal(2 - 2 * 0.9999, json.GetProperty("thresholds").GetProperty("squaredL2").GetDouble(), ConversionTolerance);
        Assert.Equal("different", json.GetProperty("verdict").GetString());
    }

    [Fact]
    public void Compare_MetricWithoutValue_ConvertsModelThreshold()
    {
        JsonElement json = CompareJson(_sameA, _sameB, "--metric", "l2");

        JsonElement threshold = json.GetProperty("threshold");
        Assert.Equal("l2", threshold.GetProperty("metric").GetString());
        Assert.Equal(Math.Sqrt(FaceEmbedder.FallbackSquaredL2Threshold), threshold.GetProperty("value").GetDouble(),
            ConversionTolerance);
    }

    [Fact]
    public void Compare_Table_NamesEveryMetric()
    {
        var (exitCode, output, _) = CliTestData.Invoke("compare", _sameA, _other, "--baseline", "pixels");

        Assert.Equal(0, exitCode);
        Assert.Contains("squared L2", output);
        Assert.Contains("cosine similarity", output);
        Assert.Contains("cosine distance", output);
        Assert.Contains("verdict: different", output);
    }

    [Theory]
    [InlineData("4.5", "squared-l2")]
    [InlineData("-0.1", "l2")]
    [InlineData("1.5", "cosine-similarity")]
    [InlineData("NaN", "cosine-distance")]
    public void Compare_ThresholdOutOfRange_ExitsTwo(string value, string metric)
    {
        var (exitCode, output, error) = CliTestData.Invoke("compare", _sameA, _sameB, "--baseline", "pixels",
            "--threshold", value, "--metric", metric);

        Assert.Equal(2, exitCode);
        Assert.Contains("Invalid --threshold", error);
        Assert.Equal("", output);
    }

    [Fact]
    public void Compare_UnknownMetric_ExitsTwo()
    {
        var (exitCode, _, error) = CliTestData.Invoke("compare", _sameA, _sameB, "--baseline", "pixels",
            "--metric", "manhattan");

        Assert.Equal(2, exitCode);
        Assert.Contains("manhattan", error);
    }

    [Fact]
    public void Compare_MissingImage_ExitsOneNamingFile()
    {
        string missing = Path.Combine(_data.Root, "absent.jpg");

        var (exitCode, _, error) = CliTestData.Invoke("compare", _sameA, missing, "--baseline", "pixels");

        Assert.Equal(1, exitCode);
        Assert.Contains(missing, error);
    }
}
