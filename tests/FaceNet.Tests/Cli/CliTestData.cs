using System.CommandLine;
using FaceNet.Cli;
using FaceNet.Tests.Imaging;
using SkiaSharp;

namespace FaceNet.Tests.Cli;

/// <summary>
/// A temporary folder of generated face stand-ins and an in-process <c>facenet</c> invocation.
/// Each identity is a seeded random pattern of 2x2-pixel blocks, and each of its images adds its own seeded
/// noise of at most +-15 grey levels. Under the pixel baseline two images of one identity are below squared
/// L2 distance 0.1 and images of different identities above 1.5, as the compare tests check. Both are far
/// from the default threshold 1.1, so the command results are deterministic.
/// </summary>
internal sealed class CliTestData : IDisposable
{
    private const int ImageSize = 64;
    private const int BlockSize = 2;
    private const int NoiseAmplitude = 15;

    public CliTestData()
    {
        Root = Directory.CreateTempSubdirectory("facenet-cli-").FullName;
    }

    /// <summary>The temporary folder; deleted on dispose.</summary>
    public string Root { get; }

    public void Dispose() => Directory.Delete(Root, recursive: true);

    /// <summary>Returns <c>Root/relative</c>, creating the folder.</summary>
    public string Folder(string relative) => Directory.CreateDirectory(Path.Combine(Root, relative)).FullName;

    /// <summary>Identity folder name of identity number <paramref name="identity"/>, such as "person03".</summary>
    public static string IdentityName(int identity) => $"person{identity:D2}";

    /// <summary>Writes image <paramref name="image"/> of <paramref name="identity"/> as a PNG and returns its path.</summary>
    public static string WriteImage(string folder, string fileName, int identity, int image)
    {
        var pattern = new Random(1_000 + identity);
        var blocks = new byte[ImageSize / BlockSize, ImageSize / BlockSize, 3];
        for (int by = 0; by < blocks.GetLength(0); by++)
        {
            for (int bx = 0; bx < blocks.GetLength(1); bx++)
            {
                for (int c = 0; c < 3; c++)
                {
                    blocks[by, bx, c] = (byte)pattern.Next(30, 226);
                }
            }
        }
        var noise = new Random(100_000 * (identity + 1) + image);
        byte[] png = TestImages.EncodeRgb(ImageSize, ImageSize, (x, y) =>
        {
            byte Channel(int c) => (byte)(blocks[y / BlockSize, x / BlockSize, c] + noise.Next(-NoiseAmplitude, NoiseAmplitude + 1));
            return (Channel(0), Channel(1), Channel(2));
        }, SKEncodedImageFormat.Png);
        string path = Path.Combine(folder, fileName);
        File.WriteAllBytes(path, png);
        return path;
    }

    /// <summary>
    /// Writes <paramref name="counts"/>[i] images of identity <paramref name="firstIdentity"/> + i into
    /// identity folders under <paramref name="folder"/>; image numbers start at <paramref name="firstImage"/>.
    /// </summary>
    public static void WriteIdentities(string folder, int firstIdentity, IReadOnlyList<int> counts, int firstImage = 0)
    {
        for (int i = 0; i < counts.Count; i++)
        {
            int identity = firstIdentity + i;
            string identityFolder = Directory.CreateDirectory(Path.Combine(folder, IdentityName(identity))).FullName;
            for (int image = firstImage; image < firstImage + counts[i]; image++)
            {
                WriteImage(identityFolder, $"{IdentityName(identity)}_{image:D4}.png", identity, image);
            }
        }
    }

    /// <summary>Runs <c>facenet</c> in process through the program's own parser and exit-code rules.</summary>
    public static (int ExitCode, string Output, string Error) Invoke(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int exitCode = Program.Invoke(args, new InvocationConfiguration { Output = output, Error = error });
        return (exitCode, output.ToString(), error.ToString());
    }
}
