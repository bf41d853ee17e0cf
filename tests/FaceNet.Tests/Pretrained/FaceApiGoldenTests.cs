using System.Text.Json;
using FaceNet.Runtime.Data;
using FaceNet.Runtime.Imaging;
using FaceNet.Runtime.Pretrained;
using Xunit.Abstractions;

namespace FaceNet.Tests.Pretrained;

/// <summary>The three face-api networks loaded once for the golden tests.</summary>
public sealed class FaceApiNetworks : IDisposable
{
    public TinyFaceDetector Tiny { get; } = TinyFaceDetector.Load(PretrainedModels.Manifest(FaceApiModel.TinyFaceDetector));

    public SsdMobileNetV1 Ssd { get; } = SsdMobileNetV1.Load(PretrainedModels.Manifest(FaceApiModel.SsdMobilenetV1));

    public FaceLandmark68Net Landmarks { get; } =
        FaceLandmark68Net.Load(PretrainedModels.Manifest(FaceApiModel.FaceLandmark68));

    public void Dispose()
    {
        Tiny.Dispose();
        Ssd.Dispose();
        Landmarks.Dispose();
    }
}

/// <summary>
/// Compares the detectors and the landmark network with @vladmandic/face-api 1.7.15 on the TensorFlow.js CPU
/// backend. The reference numbers in face-api-detections.json come from tools/face-api-reference/detect.mjs,
/// run on the pixels this engine's decoder produces for the listed LFW images and regions.
/// </summary>
public class FaceApiGoldenTests(FaceApiNetworks networks, ITestOutputHelper log) : IClassFixture<FaceApiNetworks>
{
    /// <summary>
    /// Pixels. The observed differences are at most 3.4e-5 px for boxes and 1.5e-5 px for landmarks: float32
    /// convolutions summed in another order than TensorFlow.js, and folded batch normalisation in the SSD.
    /// The bound leaves a factor of about 30 for other BLAS builds.
    /// </summary>
    private const double PixelTolerance = 1e-3;

    /// <summary>Observed at most 1.2e-6; the scores are sigmoids of the same float32 sums.</summary>
    private const double ScoreTolerance = 1e-5;

    private static readonly Lazy<JsonElement[]> Golden = new(LoadGolden);

    public static TheoryData<string> ImageNames()
    {
        var data = new TheoryData<string>();
        foreach (JsonElement image in Golden.Value)
        {
            data.Add(image.GetProperty("name").GetString()!);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(ImageNames))]
    public void TinyDetector_GoldenImage_MatchesFaceApi(string name) =>
        CompareDetections(name, "tiny", networks.Tiny);

    // Two of the images keep the suite fast (the SSD takes seconds per image on a CPU): one square, one
    // padded on the right.
    [Theory]
    [InlineData("aj_cook")]
    [InlineData("bush_tall")]
    public void SsdDetector_GoldenImage_MatchesFaceApi(string name) =>
        CompareDetections(name, "ssd", networks.Ssd);

    [Theory]
    [MemberData(nameof(ImageNames))]
    public void Landmarks_GoldenBoxes_MatchFaceApi(string name)
    {
        JsonElement golden = Find(name);
        RgbImage image = LoadImage(golden);
        foreach (string detector in new[] { "tiny", "ssd" })
        {
            JsonElement[] expected = golden.GetProperty(detector).EnumerateArray().ToArray();
            FaceBox[] boxes = expected.Select(e => Box(e.GetProperty("box"))).ToArray();
            Landmarks68?[] actual = networks.Landmarks.Detect(image, boxes);
            for (int i = 0; i < expected.Length; i++)
            {
                FaceCrop crop = FaceCrop.FromBox(boxes[i], image.Width, image.Height)!.Value;
                double[][] points = expected[i].GetProperty("unshiftedLandmarks").EnumerateArray()
                    .Select(p => p.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();
                Assert.True(actual[i] is not null, $"{name} {detector} face {i}: no landmarks for the golden box.");
                double worst = 0;
                for (int k = 0; k < Landmarks68.Count; k++)
                {
                    (double x, double y) = actual[i]![k];
                    worst = Math.Max(worst, Math.Abs(x - crop.Left - points[k][0]));
                    worst = Math.Max(worst, Math.Abs(y - crop.Top - points[k][1]));
                }
                log.WriteLine($"{name} {detector} face {i}: landmarks differ by at most {worst:G3} px");
                Assert.True(worst <= PixelTolerance,
                    $"{name} {detector} face {i}: a landmark differs from face-api by {worst:G3} px.");
            }
        }
    }

    private void CompareDetections(string name, string detector, IFaceDetector ours)
    {
        JsonElement golden = Find(name);
        RgbImage image = LoadImage(golden);
        JsonElement[] expected = golden.GetProperty(detector).EnumerateArray().ToArray();

        IReadOnlyList<ScoredBox> actual = ours.Detect(image);

        Assert.Equal(expected.Length, actual.Count);
        for (int i = 0; i < expected.Length; i++)
        {
            FaceBox box = Box(expected[i].GetProperty("box"));
            double worst = new[]
            {
                Math.Abs(box.Left - actual[i].Box.Left), Math.Abs(box.Top - actual[i].Box.Top),
                Math.Abs(box.Width - actual[i].Box.Width), Math.Abs(box.Height - actual[i].Box.Height),
            }.Max();
            double scoreDifference = Math.Abs(expected[i].GetProperty("score").GetDouble() - actual[i].Score);
            log.WriteLine($"{name} {detector} face {i}: box differs by at most {worst:G3} px, score by {scoreDifference:G3}");
            Assert.True(worst <= PixelTolerance,
                $"{name} {detector} face {i}: box {actual[i].Box} differs from face-api's {box} by {worst:G3} px.");
            Assert.True(scoreDifference <= ScoreTolerance,
                $"{name} {detector} face {i}: score {actual[i].Score} differs from face-api's by {scoreDifference:G3}.");
        }
    }

    private static FaceBox Box(JsonElement box)
    {
        double[] v = box.EnumerateArray().Select(e => e.GetDouble()).ToArray();
        return FaceBox.FromCorner(v[0], v[1], v[2], v[3]);
    }

    private static JsonElement Find(string name) =>
        Golden.Value.Single(i => i.GetProperty("name").GetString() == name);

    /// <summary>Decodes the entry's LFW source and cuts its region, the pixels the reference script read.</summary>
    private static RgbImage LoadImage(JsonElement entry)
    {
        string path = Path.Combine(DataRoot.RequireExisting(), entry.GetProperty("source").GetString()!);
        RgbImage full = new ImageDecoder().Decode(path);
        int[] region = entry.GetProperty("region").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var cut = new RgbImage(region[2], region[3]);
        for (int y = 0; y < region[3]; y++)
        {
            Array.Copy(full.Pixels, ((region[1] + y) * full.Width + region[0]) * 3, cut.Pixels, y * region[2] * 3,
                region[2] * 3);
        }
        return cut;
    }

    private static JsonElement[] LoadGolden()
    {
        string directory = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(directory, "FaceNet.sln")))
        {
            directory = Path.GetDirectoryName(directory)
                ?? throw new FileNotFoundException("FaceNet.sln not found above the test binaries.");
        }
        string file = Path.Combine(directory, "tests", "FaceNet.Tests", "Pretrained", "face-api-detections.json");
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(file));
        return document.RootElement.GetProperty("images").EnumerateArray().Select(e => e.Clone()).ToArray();
    }
}
