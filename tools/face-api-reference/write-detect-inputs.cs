#:project ../../src/FaceNet.Runtime/FaceNet.Runtime.csproj
#:property PublishAot=false
// Writes the decoded pixels of LFW images (or regions of them) for detect.mjs: one NAME.rgb per image,
// height x width x 3 bytes (R, G, B, row-major) exactly as ImageDecoder decodes them, and images.json
// listing name, source, region, width and height.
//
// usage: dotnet run write-detect-inputs.cs -- LFW_DIR OUTPUT_DIR NAME=RELATIVE_PATH[@X,Y,WIDTH,HEIGHT] ...
// The test data came from:
//   aj_cook=images/AJ_Cook/AJ_Cook_0001.jpg bush=images/George_W_Bush/George_W_Bush_0002.jpg
//   serena=images/Serena_Williams/Serena_Williams_0001.jpg
//   bush_wide=images/George_W_Bush/George_W_Bush_0001.jpg@10,40,230,170
//   bush_tall=images/George_W_Bush/George_W_Bush_0003.jpg@50,5,151,240
using System.Text.Json;
using FaceNet.Runtime.Imaging;

if (args.Length < 3)
{
    Console.Error.WriteLine("usage: dotnet run write-detect-inputs.cs -- LFW_DIR OUTPUT_DIR NAME=PATH[@X,Y,W,H] ...");
    return 2;
}
string lfwDir = args[0];
string outputDir = args[1];
Directory.CreateDirectory(outputDir);
var decoder = new ImageDecoder();
var entries = new List<object>();
foreach (string entry in args[2..])
{
    string[] nameAndSource = entry.Split('=', 2);
    string[] pathAndRegion = nameAndSource[1].Split('@', 2);
    RgbImage image = decoder.Decode(Path.Combine(lfwDir, pathAndRegion[0]));
    int[] region = pathAndRegion.Length > 1
        ? pathAndRegion[1].Split(',').Select(int.Parse).ToArray()
        : [0, 0, image.Width, image.Height];
    (int x, int y, int width, int height) = (region[0], region[1], region[2], region[3]);
    var bytes = new byte[width * height * 3];
    for (int row = 0; row < height; row++)
    {
        for (int column = 0; column < width; column++)
        {
            for (int c = 0; c < 3; c++)
            {
                // JPEG pixels decode to whole numbers 0..255, so the byte is exact.
                bytes[(row * width + column) * 3 + c] = (byte)image[x + column, y + row, c];
            }
        }
    }
    File.WriteAllBytes(Path.Combine(outputDir, nameAndSource[0] + ".rgb"), bytes);
    entries.Add(new { name = nameAndSource[0], source = "lfw/" + pathAndRegion[0], region, width, height });
}
File.WriteAllText(Path.Combine(outputDir, "images.json"), JsonSerializer.Serialize(entries));
Console.WriteLine($"wrote {entries.Count} images to {outputDir}");
return 0;
