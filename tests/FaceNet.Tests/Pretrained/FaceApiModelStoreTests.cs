using System.Formats.Tar;
using System.IO.Compression;
using System.Runtime.Versioning;
using System.Text;
using FaceNet.Runtime.Pretrained;

namespace FaceNet.Tests.Pretrained;

public sealed class FaceApiModelStoreTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "facenet-models-" + Guid.NewGuid().ToString("N"));
    private readonly List<string> _progress = new();

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    private FaceApiModelStore NewStore(string npm = "npm") => new(_root, _progress.Add) { NpmCommand = npm };

    [Fact]
    public void Directory_IsVersionSubfolderOfRoot()
    {
        FaceApiModelStore store = NewStore();

        Assert.Equal(Path.Combine(_root, "face-api-1.7.15"), store.Directory);
    }

    [Fact]
    public void FileNames_Recognition_ManifestThenWeights()
    {
        IReadOnlyList<string> names = FaceApiModelStore.FileNames(FaceApiModel.FaceRecognition);

        Assert.Equal(["face_recognition_model-weights_manifest.json", "face_recognition_model.bin"], names);
    }

    [Fact]
    public void Ensure_NpmMissing_ExplainsFix()
    {
        FaceApiModelStore store = NewStore(npm: "/nonexistent/npm-for-test");

        var error = Assert.Throws<ModelStoreException>(() => store.Ensure(FaceApiModel.FaceRecognition));

        Assert.Contains("Install Node.js and npm", error.Message);
        Assert.Contains(store.Directory, error.Message);
        Assert.Contains("face_recognition_model.bin", error.Message);
        Assert.Single(_progress);
    }

    [Fact]
    [UnsupportedOSPlatform("windows")]
    public void Ensure_NpmFails_ShowsItsErrorAndTheManualFix()
    {
        // A stand-in for npm that fails the way npm does without network.
        Directory.CreateDirectory(_root);
        string npm = Path.Combine(_root, "failing-npm.sh");
        File.WriteAllText(npm, "#!/bin/sh\necho 'npm error code ENOTFOUND' >&2\nexit 1\n");
        File.SetUnixFileMode(npm, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        FaceApiModelStore store = NewStore(npm);

        var error = Assert.Throws<ModelStoreException>(() => store.Ensure(FaceApiModel.FaceRecognition));

        Assert.Contains("exit code 1: npm error code ENOTFOUND", error.Message);
        Assert.Contains(store.Directory, error.Message);
        Assert.Contains("face_recognition_model.bin", error.Message);
        Assert.Contains("folder package/model", error.Message);
    }

    [Fact]
    public void Ensure_CorruptFile_NamesBothHashes()
    {
        FaceApiModelStore store = NewStore(npm: "/nonexistent/npm-for-test");
        Directory.CreateDirectory(store.Directory);
        foreach (string name in FaceApiModelStore.FileNames(FaceApiModel.TinyFaceDetector))
        {
            File.WriteAllText(Path.Combine(store.Directory, name), "not the weights");
        }

        var error = Assert.Throws<ModelStoreException>(() => store.Ensure(FaceApiModel.TinyFaceDetector));

        Assert.Contains("tiny_face_detector_model-weights_manifest.json", error.Message);
        Assert.Contains(FaceApiModelStore.ExpectedSha256("tiny_face_detector_model-weights_manifest.json"), error.Message);
        Assert.Contains(Sha256Hex("not the weights"), error.Message);
    }

    [Fact]
    public void InstallFromArchive_WrongContent_InstallsNothing()
    {
        FaceApiModelStore store = NewStore();
        string archive = WriteArchive(name => "bogus " + name);

        var error = Assert.Throws<ModelStoreException>(() => store.InstallFromArchive(archive));

        Assert.Contains("SHA-256", error.Message);
        Assert.Empty(Directory.GetFiles(store.Directory));
    }

    [Fact]
    public void InstallFromArchive_MissingFile_NamesIt()
    {
        FaceApiModelStore store = NewStore();
        string archive = WriteArchive(name => name == "ssd_mobilenetv1_model.bin" ? null : "x");

        var error = Assert.Throws<ModelStoreException>(() => store.InstallFromArchive(archive));

        Assert.Contains("ssd_mobilenetv1_model.bin", error.Message);
        Assert.Empty(Directory.GetFiles(store.Directory));
    }

    [Fact]
    public void Ensure_RealPackage_VerifiesEveryModel()
    {
        FaceApiModelStore store = PretrainedModels.Store;

        store.EnsureAll();

        foreach (FaceApiModel model in Enum.GetValues<FaceApiModel>())
        {
            foreach (string name in FaceApiModelStore.FileNames(model))
            {
                string path = Path.Combine(store.Directory, name);
                Assert.Equal(FaceApiModelStore.ExpectedSha256(name), FaceApiModelStore.ComputeSha256(path));
            }
        }
    }

    /// <summary>Writes an npm-style .tgz with every known file under package/model; null content leaves one out.</summary>
    private string WriteArchive(Func<string, string?> content)
    {
        Directory.CreateDirectory(_root);
        string path = Path.Combine(_root, "package.tgz");
        using FileStream file = File.Create(path);
        using var gzip = new GZipStream(file, CompressionLevel.Fastest);
        using var tar = new TarWriter(gzip, TarEntryFormat.Pax);
        var readme = new PaxTarEntry(TarEntryType.RegularFile, "package/README.md")
        {
            DataStream = new MemoryStream(Encoding.UTF8.GetBytes("readme")),
        };
        tar.WriteEntry(readme);
        foreach (FaceApiModel model in Enum.GetValues<FaceApiModel>())
        {
            foreach (string name in FaceApiModelStore.FileNames(model))
            {
                string? text = content(name);
                if (text is null)
                {
                    continue;
                }
                var entry = new PaxTarEntry(TarEntryType.RegularFile, "package/model/" + name)
                {
                    DataStream = new MemoryStream(Encoding.UTF8.GetBytes(text)),
                };
                tar.WriteEntry(entry);
            }
        }
        return path;
    }

    private static string Sha256Hex(string text) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
