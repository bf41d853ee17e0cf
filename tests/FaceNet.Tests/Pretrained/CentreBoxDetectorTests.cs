using FaceNet.Runtime.Data;
using FaceNet.Runtime.Embedding;
using FaceNet.Runtime.Imaging;
using FaceNet.Runtime.Pretrained;

namespace FaceNet.Tests.Pretrained;

/// <summary>The detector-free pipeline for face crops: landmarks searched in the central half of the image.</summary>
public sealed class CentreBoxDetectorTests
{
    [Fact]
    public void Detect_AnyImage_ReturnsCentralHalf()
    {
        using var detector = new CentreBoxDetector();

        ScoredBox box = Assert.Single(detector.Detect(new RgbImage(200, 120)));

        Assert.Equal(new FaceBox(50, 30, 150, 90), box.Box);
        Assert.Equal(1, box.Score);
        Assert.Equal("centre", detector.Name);
    }

    [Fact]
    public void LoadPretrained_Centre_EyesMatchTiny()
    {
        string path = Path.Combine(DataRoot.RequireExisting(), "lfw", "images", "AJ_Cook", "AJ_Cook_0001.jpg");
        RgbImage image = new ImageDecoder().Decode(path);
        using FacePipeline centre = FacePipeline.LoadPretrained(PretrainedModels.Store, "centre");
        using FacePipeline tiny = FacePipeline.LoadPretrained(PretrainedModels.Store, "tiny");

        LocatedFace fromCentre = Assert.Single(centre.Locate(image));
        LocatedFace fromTiny = Assert.Single(tiny.Locate(image));

        // Same face, different framing: the eye centres agree within a few pixels.
        for (int eye = 0; eye < 2; eye++)
        {
            (double cx, double cy) = fromCentre.Landmarks.AlignmentPoints()[eye];
            (double tx, double ty) = fromTiny.Landmarks.AlignmentPoints()[eye];
            Assert.True(Math.Abs(cx - tx) < 4, $"Eye {eye}: x {cx:F1} from the central box, {tx:F1} from tiny.");
            Assert.True(Math.Abs(cy - ty) < 4, $"Eye {eye}: y {cy:F1} from the central box, {ty:F1} from tiny.");
        }
        Assert.StartsWith("centre@", centre.Description);
    }

    [Fact]
    public void Compare_CentreDetector_SamePersonIsSame()
    {
        string Image(int n) => Path.Combine(DataRoot.RequireExisting(), "lfw", "images", "George_W_Bush", $"George_W_Bush_{n:0000}.jpg");

        var (exitCode, output, error) = FaceNet.Tests.Cli.CliTestData.Invoke(
            ["compare", Image(1), Image(2), "--pretrained", "--detector", "centre", "--format", "json"]);

        Assert.True(exitCode == 0, $"Exit code {exitCode}: {error}");
        Assert.Contains("\"same\"", output);
        Assert.Contains("centre", output);
    }
}
