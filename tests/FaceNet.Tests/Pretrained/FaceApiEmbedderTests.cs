using System.Text.Json;
using FaceNet.Runtime.Data;
using FaceNet.Runtime.Embedding;
using FaceNet.Runtime.Evaluation;
using FaceNet.Runtime.Imaging;
using FaceNet.Runtime.Pretrained;
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
    public void NoMirror_Descriptor_MatchesUnitGolden()
    {
        FaceRecognitionNetTests.GoldenDescriptor golden = FaceRecognitionNetTests.ReadGoldens().Descriptors[0];
        double length = Math.Sqrt(golden.Values.Sum(v => (double)v * v));
        using FaceEmbedder embedder = FaceEmbedder.FaceApiResNet(mirror: false);

        float[] descriptor = embedder.Embed(LfwImage(golden.Image));

        // face-api's descriptors are about 1.4 long; ours are the same direction at length 1.
        Assert.InRange(length, 1.1, 1.8);
        for (int i = 0; i < descriptor.Length; i++)
        {
            Assert.True(Math.Abs(descriptor[i] - golden.Values[i] / length) <= GoldenTolerance,
                $"Component {i}: {descriptor[i]:G9}, face-api {golden.Values[i] / length:G9} at unit length.");
        }
    }

    [Fact]
    public void Load_FaceApiName_UnitMirroredDescriptor()
    {
        FaceRecognitionNetTests.GoldenDescriptor golden = FaceRecognitionNetTests.ReadGoldens().Descriptors[0];
        using FaceEmbedder embedder = FaceEmbedder.Load("face-api-resnet");

        float[] descriptor = embedder.Embed(LfwImage(golden.Image));

        Assert.Equal(128, embedder.Dimension);
        Assert.Equal(Threshold.SquaredL2(FaceRecognitionNet.UnitSquaredL2Threshold), embedder.Threshold);
        Assert.Equal(1.0, Math.Sqrt(descriptor.Sum(v => (double)v * v)), 5);
        Assert.Contains("mirror-averaged", embedder.Model.Name);
    }

    [Fact]
    public void Mirror_ImageAndMirrorImage_SameDescriptor()
    {
        // A 150x150 face chip fed without crop or resize, so preprocessing cannot break the symmetry.
        RgbImage photo = new ImageDecoder().Decode(LfwImage("AJ_Cook/AJ_Cook_0001.jpg"));
        RgbImage chip = Crop(photo, 50, 50, FaceRecognitionNet.InputSize);
        using FaceEmbedder embedder = FaceEmbedder.FaceApiResNet(
            preprocessing: FaceRecognitionNet.Preprocessing(cropFraction: 1), mirror: true);
        using FaceEmbedder single = FaceEmbedder.FaceApiResNet(
            preprocessing: FaceRecognitionNet.Preprocessing(cropFraction: 1), mirror: false);

        float[] descriptor = embedder.Embed(chip);
        float[] ofMirror = embedder.Embed(Mirrored(chip));
        float[] unmirrored = single.Embed(chip);

        // The image and its mirror image go through the same two forward passes.
        for (int i = 0; i < descriptor.Length; i++)
        {
            Assert.True(Math.Abs(descriptor[i] - ofMirror[i]) <= GoldenTolerance,
                $"Component {i}: {descriptor[i]:G9} for the image, {ofMirror[i]:G9} for its mirror image.");
        }
        // And averaging moved the descriptor: the network itself is not mirror-symmetric.
        double moved = Math.Sqrt(descriptor.Zip(unmirrored, (a, b) => (double)(a - b) * (a - b)).Sum());
        Assert.InRange(moved, 0.01, 0.5);
    }

    private static RgbImage Crop(RgbImage image, int left, int top, int side)
    {
        var crop = new RgbImage(side, side);
        for (int y = 0; y < side; y++)
        {
            Array.Copy(image.Pixels, ((top + y) * image.Width + left) * RgbImage.Channels, crop.Pixels,
                y * side * RgbImage.Channels, side * RgbImage.Channels);
        }
        return crop;
    }

    private static RgbImage Mirrored(RgbImage image)
    {
        var mirrored = new RgbImage(image.Width, image.Height);
        for (int y = 0; y < image.Height; y++)
        {
            for (int x = 0; x < image.Width; x++)
            {
                for (int c = 0; c < RgbImage.Channels; c++)
                {
                    mirrored.Pixels[(y * image.Width + x) * RgbImage.Channels + c] =
                        image.Pixels[(y * image.Width + image.Width - 1 - x) * RgbImage.Channels + c];
                }
            }
        }
        return mirrored;
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
