using FaceNet.Runtime.Data;
using FaceNet.Runtime.Imaging;
using FaceNet.Runtime.Pretrained;
using Xunit.Abstractions;

namespace FaceNet.Tests.Pretrained;

public class DetectorNetworkTests(ITestOutputHelper log)
{
    internal static string LfwImage(string person, int number) => Path.Combine(DataRoot.RequireExisting(), "lfw",
        "images", person, $"{person}_{number:0000}.jpg");

    [Fact]
    public void Explore()
    {
        RgbImage image = new ImageDecoder().Decode(LfwImage("AJ_Cook", 1));
        using var tiny = TinyFaceDetector.Load(PretrainedModels.Manifest(FaceApiModel.TinyFaceDetector));
        foreach (var d in tiny.Detect(image)) log.WriteLine($"tiny {d.Box} {d.Score}");
        using var ssd = SsdMobileNetV1.Load(PretrainedModels.Manifest(FaceApiModel.SsdMobilenetV1));
        foreach (var d in ssd.Detect(image)) log.WriteLine($"ssd {d.Box} {d.Score}");
        using var lm = FaceLandmark68Net.Load(PretrainedModels.Manifest(FaceApiModel.FaceLandmark68));
        var l = lm.Detect(image, [ssd.Detect(image)[0].Box])[0]!;
        log.WriteLine(string.Join(" ", l.AlignmentPoints().Select(p => $"({p.X:F1},{p.Y:F1})")));
    }
}
