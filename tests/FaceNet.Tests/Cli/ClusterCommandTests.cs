using System.Text.Json;

namespace FaceNet.Tests.Cli;

public sealed class ClusterCommandTests : IDisposable
{
    private static readonly int[] ImagesPerIdentity = [4, 5, 6, 4, 5];

    private readonly CliTestData _data = new();
    private readonly string _identities;

    public ClusterCommandTests()
    {
        _identities = _data.Folder("people");
        CliTestData.WriteIdentities(_identities, firstIdentity: 0, counts: ImagesPerIdentity);
    }

    public void Dispose() => _data.Dispose();

    private static JsonElement ClusterJson(params string[] args)
    {
        var (exitCode, output, error) = CliTestData.Invoke(["cluster", .. args, "--baseline", "pixels", "--format", "json"]);
        Assert.True(exitCode == 0, $"Exit code {exitCode}: {error}");
        return JsonDocument.Parse(output).RootElement.Clone();
    }

    [Fact]
    public void Cluster_FiveIdentities_ReportsPairwiseScores()
    {
        JsonElement json = ClusterJson(_identities);

        JsonElement pairwise = json.GetProperty("pairwise");
        Assert.Equal(1.0, pairwise.GetProperty("precision").GetDouble());
        Assert.Equal(1.0, pairwise.GetProperty("recall").GetDouble());
        Assert.Equal(1.0, pairwise.GetProperty("fMeasure").GetDouble());
        Assert.Equal(ImagesPerIdentity.Sum(n => n * (n - 1) / 2), pairwise.GetProperty("labelPairs").GetInt64());
        Assert.Equal(5, json.GetProperty("clusters").GetInt32());
        Assert.Equal(5, json.GetProperty("identities").GetInt32());
    }

    [Fact]
    public void Cluster_Json_NamesLinkageAndThresholdMetric()
    {
        JsonElement json = ClusterJson(_identities, "--linkage", "complete");

        Assert.Equal("complete", json.GetProperty("linkage").GetString());
        Assert.Equal("squaredL2", json.GetProperty("threshold").GetProperty("metric").GetString());
        Assert.Equal(1.1, json.GetProperty("threshold").GetProperty("value").GetDouble());
    }

    [Fact]
    public void Cluster_Table_ReportsScoresAndLinkage()
    {
        var (exitCode, output, _) = CliTestData.Invoke("cluster", _identities, "--baseline", "pixels");

        Assert.Equal(0, exitCode);
        Assert.Contains("pairwise precision", output);
        Assert.Contains("pairwise recall", output);
        Assert.Contains("pairwise F-measure", output);
        Assert.Contains("average", output);
        Assert.Contains("1.1 (squared L2)", output);
    }

    [Fact]
    public void Cluster_MaximumThreshold_MergesEverything()
    {
        JsonElement json = ClusterJson(_identities, "--threshold", "4");

        Assert.Equal(1, json.GetProperty("clusters").GetInt32());
        Assert.Equal(1.0, json.GetProperty("pairwise").GetProperty("recall").GetDouble());
        Assert.True(json.GetProperty("pairwise").GetProperty("precision").GetDouble() < 0.3);
    }

    [Fact]
    public void Cluster_OutCsv_ListsEveryFileOnce()
    {
        string outPath = Path.Combine(_data.Root, "clusters.csv");

        var (exitCode, _, _) = CliTestData.Invoke("cluster", _identities, "--baseline", "pixels", "--out", outPath);

        Assert.Equal(0, exitCode);
        string[] lines = File.ReadAllLines(outPath);
        Assert.Equal("file,cluster,identity", lines[0]);
        Assert.Equal(ImagesPerIdentity.Sum(), lines.Length - 1);
        string[] files = lines.Skip(1).Select(line => line.Split(',')[0]).ToArray();
        Assert.Equal(files.Length, files.Distinct().Count());
        Assert.Contains("person02/person02_0005.png,2,person02", lines);
    }

    [Fact]
    public void Cluster_OutJson_HasAssignments()
    {
        string outPath = Path.Combine(_data.Root, "clusters.json");

        var (exitCode, _, _) = CliTestData.Invoke("cluster", _identities, "--baseline", "pixels", "--out", outPath);

        Assert.Equal(0, exitCode);
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(outPath));
        JsonElement[] assignments = document.RootElement.GetProperty("assignments").EnumerateArray().ToArray();
        Assert.Equal(ImagesPerIdentity.Sum(), assignments.Length);
        Assert.Equal("person00/person00_0000.png", assignments[0].GetProperty("file").GetString());
        Assert.Equal(0, assignments[0].GetProperty("cluster").GetInt32());
    }

    [Fact]
    public void Cluster_LooseImages_HasNoScores()
    {
        string loose = _data.Folder("loose");
        CliTestData.WriteImage(loose, "x.png", identity: 0, image: 20);
        CliTestData.WriteImage(loose, "y.png", identity: 0, image: 21);
        CliTestData.WriteImage(loose, "z.png", identity: 1, image: 20);

        JsonElement json = ClusterJson(loose);

        Assert.Equal(JsonValueKind.Null, json.GetProperty("pairwise").ValueKind);
        Assert.Equal(2, json.GetProperty("clusters").GetInt32());
    }

    [Fact]
    public void Cluster_MixedLayout_ExitsOne()
    {
        CliTestData.WriteImage(_identities, "stray.png", identity: 0, image: 30);

        var (exitCode, _, error) = CliTestData.Invoke("cluster", _identities, "--baseline", "pixels");

        Assert.Equal(1, exitCode);
        Assert.Contains("both image files and subfolders", error);
    }

    [Fact]
    public void Cluster_UnknownLinkage_ExitsTwo()
    {
        var (exitCode, _, error) = CliTestData.Invoke("cluster", _identities, "--baseline", "pixels", "--linkage", "ward");

        Assert.Equal(2, exitCode);
        Assert.Contains("ward", error);
    }
}
