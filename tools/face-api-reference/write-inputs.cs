#:project ../../src/FaceNet.Runtime/FaceNet.Runtime.csproj
#:property PublishAot=false
// Writes the face-api recognition inputs of LFW images for embed.mjs: decode, centre crop of 0.45 of each
// side, bilinear resize to 150x150 (FaceRecognitionNet.Preprocessing), then HWC float32 on the 0..255 scale.
//
// usage: dotnet run write-inputs.cs -- LFW_IMAGES_DIR OUTPUT_DIR Person/Person_0001.jpg ...
using System.Buffers.Binary;
using System.Text.Json;
using FaceNet.Runtime.Imaging;
using FaceNet.Runtime.Pretrained;

if (args.Length < 3)
{
    Console.Error.WriteLine("usage: dotnet run write-inputs.cs -- LFW_IMAGES_DIR OUTPUT_DIR IMAGE...");
    return 2;
}
string imagesDir = args[0];
string outputDir = args[1];
Directory.CreateDirectory(outputDir);

var preprocessor = new Preprocessor(FaceRecognitionNet.Preprocessing());
var decoder = new ImageDecoder();
var inputs = new List<object>();
const int size = FaceRecognitionNet.InputSize;
foreach (string relative in args[2..])
{
    float[] chw = preprocessor.Apply(decoder.Decode(Path.Combine(imagesDir, relative)));
    byte[] hwc = new byte[chw.Length * 4];
    for (int c = 0; c < 3; c++)
    {
        for (int p = 0; p < size * size; p++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(hwc.AsSpan((p * 3 + c) * 4), chw[c * size * size + p]);
        }
    }
    string file = Path.GetFileNameWithoutExtension(relative) + ".f32";
    File.WriteAllBytes(Path.Combine(outputDir, file), hwc);
    inputs.Add(new { name = relative, file });
}
File.WriteAllText(Path.Combine(outputDir, "inputs.json"), JsonSerializer.Serialize(new { inputs }));
Console.WriteLine($"wrote {inputs.Count} inputs to {outputDir}");
return 0;
