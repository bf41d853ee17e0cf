using System.Text.Json;
using FaceNet.Runtime.Data;
using FaceNet.Runtime.Embedding;
using FaceNet.Runtime.Evaluation;
using FaceNet.Tests.Cli;

namespace FaceNet.Tests.Pretrained;

/// <summary>The face-api ResNet reached by name through <see cref="FaceEmbedder"/> and the command line.</summary>
public sealed class FaceApiEmbedderTests
{
    /// <summary>The same network and input as the golden test, so the same bound holds.</summary>
    private const double GoldenTolerance = 1e-4;

    private static string LfwImage(string relative) =>
        Path.Combine(DataRoot.RequireExisting(), "lfw", "images", relative);

    [Fact]
    public void Load_FaceApiName_EmbedsLikeFaceApi()
    {
        FaceRecognitionNetTests.GoldenDescriptor golden = FaceRecognitionNetTests.ReadGoldens().Descriptors[0];
        using FaceEmbedder embedder = FaceEmbedder.Load("face-api-resnet");

        float[] descriptor = embedder.Embed(LfwImage(golden.Image));

        Assert.Equal(128, embedder.Dimension);
        Assert.Equal(new Threshold(0.6, DistanceMetric.L2), embedder.Threshold);
        for (int i = 0; i < descriptor.Length; i++)
        {
            Assert.True(Math.Abs(descriptor[i] - golden.Values[i]) <= GoldenTolerance,
                $"Component {i}: {descriptor[i]:G9}, face-api {golden.Values[i]:G9}.");
        }
    }

    [Fact]
    public void Compare_FaceApiModel_SamePersonIsSame()
    {
        var (exitCode, output, error) = CliTestData.Invoke(["compare",
            LfwImage("Aaron_Peirsol/Aaron_Peirsol_0001.jpg"), LfwImage("Aaron_Peirsol/Aaron_Peirsol_0002.jpg"),
            "--model", "face-api-resnet", "--format", "json"]);

        Assert.True(exitCode == 0, $"Exit code {exitCode}: {error}");
        JsonElement json = JsonDocument.Parse(output).RootElement;
        Assert.Equal("same", json.GetProperty("verdict").GetString());
    }
}
