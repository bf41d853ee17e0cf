using FaceNet.Runtime.Data;
using FaceNet.Runtime.Embedding;
using FaceNet.Runtime.Evaluation;
using FaceNet.Runtime.Imaging;
using FaceNet.Runtime.Pretrained;
using FaceNet.Tests.Cli;

namespace FaceNet.Tests.Pretrained;

/// <summary>Several detectors in one pipeline: one aligned view per detector, descriptors added.</summary>
public sealed class DetectorEnsembleTests
{
    private static RgbImage LfwImage(string person, int number) => new ImageDecoder().Decode(
        Path.Combine(DataRoot.RequireExisting(), "lfw", "images", person, $"{person}_{number:0000}.jpg"));

    private static RgbImage Grey()
    {
        var grey = new RgbImage(100, 100);
        Array.Fill(grey.Pixels, 128f);
        return grey;
    }

    [Theory]
    [InlineData("ssd+centre", new[] { "ssd", "centre" })]
    [InlineData("tiny", new[] { "tiny" })]
    [InlineData("tiny + ssd", new[] { "tiny", "ssd" })]
    public void ParseDetectorNames_ValidLists_Split(string text, string[] expected)
    {
        Assert.Equal(expected, FacePipeline.ParseDetectorNames(text));
    }

    [Theory]
    [InlineData("tiny+mtcnn", "Unknown face detector 'mtcnn'")]
    [InlineData("ssd+ssd", "names a detector twice")]
    [InlineData("", "Unknown face detector ''")]
    [InlineData("ssd+", "'ssd+' has an empty entry")]
    public void ParseDetectorNames_InvalidLists_Throw(string text, string expected)
    {
        var error = Assert.Throws<ArgumentException>(() => FacePipeline.ParseDetectorNames(text));

        Assert.Contains(expected, error.Message);
    }

    [Theory]
    [InlineData("tiny+mtcnn", "Unknown face detector 'mtcnn'")]
    [InlineData("ssd+ssd", "names a detector twice")]
    public void Cli_InvalidDetectorList_IsUsageError(string detector, string expected)
    {
        var (exitCode, _, error) = CliTestData.Invoke(["compare", "a.jpg", "b.jpg", "--pretrained", "--detector", detector]);

        Assert.Equal(2, exitCode);
        Assert.Contains(expected, error);
    }

    [Fact]
    public void AlignViews_TwoDetectors_OneViewEach()
    {
        using FacePipeline pipeline = FacePipeline.LoadPretrained(PretrainedModels.Store, "tiny+centre");
        RgbImage image = LfwImage("AJ_Cook", 1);

        RgbImage[] views = pipeline.AlignViews(image, "AJ_Cook_0001");

        Assert.Equal(2, views.Length);
        Assert.All(views, v => Assert.Equal(FaceAligner.DefaultSize, v.Width));
        Assert.Equal("tiny-416+centre", pipeline.DetectorName);
        Assert.StartsWith("tiny-416@0.5+centre@0.5", pipeline.Description);
    }

    [Fact]
    public void AlignViews_OnlyCentreFinds_OneView()
    {
        using FacePipeline pipeline = FacePipeline.LoadPretrained(PretrainedModels.Store, "tiny+centre");

        RgbImage[] views = pipeline.AlignViews(Grey(), "grey");

        Assert.Single(views);
        Assert.Equal(0, pipeline.FallbackCount);
    }

    [Fact]
    public void AlignViews_NoFace_ThrowsNamingBoth()
    {
        using FacePipeline pipeline = FacePipeline.LoadPretrained(PretrainedModels.Store, "tiny+ssd");

        var error = Assert.Throws<FaceNotFoundException>(() => pipeline.AlignViews(Grey(), "grey.png"));

        Assert.Contains("by the tiny-416+ssd detector", error.Message);
        Assert.Contains("--detector centre", error.Message);
    }

    [Fact]
    public void Embed_TwoDetectors_UnitSumOfViews()
    {
        RgbImage image = LfwImage("George_W_Bush", 2);
        using FaceEmbedder ensemble = FaceEmbedder.LoadPretrained("tiny+centre");
        using FaceEmbedder onCrops = FaceEmbedder.FaceApiResNet(
            preprocessing: FaceRecognitionNet.Preprocessing(cropFraction: 1));
        RgbImage[] views = ensemble.Faces!.AlignViews(image, "George_W_Bush_0002");

        float[] descriptor = ensemble.Embed(image);
        float[][] perView = onCrops.EmbedImages(views);

        float[] sum = perView[0].Zip(perView[1], (a, b) => a + b).ToArray();
        double length = Math.Sqrt(sum.Sum(v => (double)v * v));
        for (int k = 0; k < descriptor.Length; k++)
        {
            Assert.True(Math.Abs(descriptor[k] - sum[k] / length) <= 1e-5,
                $"Component {k}: {descriptor[k]:G9}, unit sum of the views {sum[k] / length:G9}.");
        }
        // The views differ, so the ensemble is not just one of them.
        Assert.True(Distances.SquaredL2(perView[0], perView[1]) > 1e-4);
    }
}
