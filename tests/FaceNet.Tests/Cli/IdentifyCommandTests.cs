using System.Text.Json;

namespace FaceNet.Tests.Cli;

public sealed class IdentifyCommandTests : IDisposable
{
    private const int GalleryIdentities = 10;
    private const int UnknownIdentity = GalleryIdentities;

    private readonly CliTestData _data = new();
    private readonly string _gallery;

    public IdentifyCommandTests()
    {
        _gallery = _data.Folder("gallery");
        CliTestData.WriteIdentities(_gallery, firstIdentity: 0, counts: Enumerable.Repeat(3, GalleryIdentities).ToArray());
    }

    public void Dispose() => _data.Dispose();

    private static JsonElement IdentifyJson(params string[] args)
    {
        var (exitCode, output, error) = CliTestData.Invoke(["identify", .. args, "--baseline", "pixels", "--format", "json"]);
        Assert.True(exitCode == 0, $"Exit code {exitCode}: {error}");
        return JsonDocument.Parse(output).RootElement.Clone();
    }

    private string LooseProbes()
    {
        string probes = _data.Folder("loose");
        CliTestData.WriteImage(probes, "stranger.png", UnknownIdentity, image: 50);
        CliTestData.WriteImage(probes, "known.png", identity: 3, image: 50);
        return probes;
    }

    [Fact]
    public void Identify_PersonOutsideGallery_AnswersUnknown()
    {
        JsonElement json = IdentifyJson("--gallery", _gallery, "--probe", LooseProbes());

        JsonElement stranger = json.GetProperty("probes").EnumerateArray()
            .Single(p => p.GetProperty("file").GetString() == "stranger.png");
        Assert.True(stranger.GetProperty("unknown").GetBoolean());
        Assert.Equal(JsonValueKind.Null, stranger.GetProperty("answer").ValueKind);
        Assert.True(stranger.GetProperty("distance").GetDouble() > 1.1);
        Assert.Equal("squaredL2", stranger.GetProperty("metric").GetString());
    }

    [Fact]
    public void Identify_PersonInGallery_AnswersName()
    {
        JsonElement json = IdentifyJson("--gallery", _gallery, "--probe", LooseProbes());

        JsonElement known = json.GetProperty("probes").EnumerateArray()
            .Single(p => p.GetProperty("file").GetString() == "known.png");
        Assert.False(known.GetProperty("unknown").GetBoolean());
        Assert.Equal(CliTestData.IdentityName(3), known.GetProperty("answer").GetString());
        Assert.Equal(JsonValueKind.Null, json.GetProperty("metrics").ValueKind);
        Assert.Equal("looseImages", json.GetProperty("probeLayout").GetString());
    }

    [Fact]
    public void Identify_LooseProbesTable_PrintsUnknownWithMetric()
    {
        var (exitCode, output, _) = CliTestData.Invoke("identify", "--gallery", _gallery, "--probe", LooseProbes(),
            "--baseline", "pixels");

        Assert.Equal(0, exitCode);
        string strangerRow = output.Split('\n').Single(line => line.Contains("stranger.png"));
        Assert.Contains("unknown", strangerRow);
        Assert.Contains("distance (squared L2)", output);
    }

    [Fact]
    public void Identify_LabelledProbes_ReportsOpenSetRates()
    {
        string probes = _data.Folder("labelled");
        CliTestData.WriteIdentities(probes, firstIdentity: 0, counts: Enumerable.Repeat(1, GalleryIdentities).ToArray(),
            firstImage: 10);
        CliTestData.WriteIdentities(probes, firstIdentity: UnknownIdentity, counts: [2], firstImage: 10);

        JsonElement json = IdentifyJson("--gallery", _gallery, "--probe", probes);

        JsonElement metrics = json.GetProperty("metrics");
        Assert.Equal(GalleryIdentities, metrics.GetProperty("knownProbes").GetInt32());
        Assert.Equal(2, metrics.GetProperty("unknownProbes").GetInt32());
        Assert.Equal(1.0, metrics.GetProperty("top1Accuracy").GetDouble());
        Assert.Equal(1.0, metrics.GetProperty("detectionAndIdentificationRate").GetDouble());
        Assert.Equal(0.0, metrics.GetProperty("falseAcceptRate").GetDouble());
        Assert.Equal(GalleryIdentities, json.GetProperty("gallery").GetProperty("identities").GetInt32());
    }

    [Fact]
    public void Identify_LooseThreshold_AcceptsStrangerAsFalseAccept()
    {
        string probes = _data.Folder("labelled");
        CliTestData.WriteIdentities(probes, firstIdentity: UnknownIdentity, counts: [1], firstImage: 10);

        JsonElement json = IdentifyJson("--gallery", _gallery, "--probe", probes, "--threshold", "4");

        JsonElement metrics = json.GetProperty("metrics");
        Assert.Equal(1.0, metrics.GetProperty("falseAcceptRate").GetDouble());
        Assert.Equal(JsonValueKind.Null, metrics.GetProperty("top1Accuracy").ValueKind);
    }

    [Fact]
    public void Identify_GalleryIdentityWithoutUsableImage_WarnsAndContinues()
    {
        string lost = Path.Combine(_gallery, CliTestData.IdentityName(UnknownIdentity));
        Directory.CreateDirectory(lost);
        File.WriteAllBytes(Path.Combine(lost, "broken.png"), [1, 2, 3, 4]);

        var (exitCode, _, error) = CliTestData.Invoke(["identify", "--gallery", _gallery, "--probe", LooseProbes(),
            "--baseline", "pixels", "--format", "json"]);

        Assert.True(exitCode == 0, $"Exit code {exitCode}: {error}");
        Assert.Contains($"gallery identity '{CliTestData.IdentityName(UnknownIdentity)}' has no usable image", error);
    }

    [Fact]
    public void Identify_GalleryOfLooseImages_ExitsOne()
    {
        var (exitCode, _, error) = CliTestData.Invoke("identify", "--gallery", LooseProbes(), "--probe", LooseProbes(),
            "--baseline", "pixels");

        Assert.Equal(1, exitCode);
        Assert.Contains("one subfolder per identity", error);
    }

    [Fact]
    public void Identify_ZeroNeighbours_ExitsTwo()
    {
        var (exitCode, _, error) = CliTestData.Invoke("identify", "--gallery", _gallery, "--probe", LooseProbes(),
            "--baseline", "pixels", "--k", "0");

        Assert.Equal(2, exitCode);
        Assert.Contains("--k", error);
    }
}
