using FaceNet.Runtime.Evaluation;

namespace FaceNet.Tests.Cli;

public sealed class EmbedCommandTests : IDisposable
{
    private readonly CliTestData _data = new();

    public void Dispose() => _data.Dispose();

    private string ImagesWithCorruptFile()
    {
        string images = _data.Folder("images");
        CliTestData.WriteIdentities(images, firstIdentity: 0, counts: [2, 2]);
        File.WriteAllBytes(Path.Combine(images, CliTestData.IdentityName(1), "broken.png"), [0x89, 0x50, 0x4E, 0x47, 1, 2, 3]);
        return images;
    }

    [Fact]
    public void Embed_CorruptFile_ReportedAndOthersWritten()
    {
        string images = ImagesWithCorruptFile();
        string outPath = Path.Combine(_data.Root, "embeddings.csv");

        var (exitCode, output, error) = CliTestData.Invoke("embed", images, "--out", outPath, "--baseline", "pixels");

        Assert.Equal(0, exitCode);
        Assert.Contains("broken.png", error);
        Assert.Contains("skipped", error);
        Assert.Contains("embedded 4 of 5 images (1 failed)", output);
        IReadOnlyList<NamedEmbedding> rows = EmbeddingStore.ReadCsv(outPath);
        Assert.Equal(["person00/person00_0000.png", "person00/person00_0001.png",
            "person01/person01_0000.png", "person01/person01_0001.png"], rows.Select(r => r.Name));
        Assert.All(rows, r => Assert.Equal(32 * 32 * 3, r.Vector.Length));
    }

    [Fact]
    public void Embed_BinaryFormat_MatchesCsvValues()
    {
        string images = ImagesWithCorruptFile();
        string csvPath = Path.Combine(_data.Root, "embeddings.csv");
        string binaryPath = Path.Combine(_data.Root, "embeddings.data");

        var (csvExit, _, _) = CliTestData.Invoke("embed", images, "--out", csvPath, "--baseline", "pixels");
        var (binaryExit, _, _) = CliTestData.Invoke("embed", images, "--out", binaryPath, "--baseline", "pixels",
            "--format", "binary");

        Assert.Equal(0, csvExit);
        Assert.Equal(0, binaryExit);
        IReadOnlyList<NamedEmbedding> fromCsv = EmbeddingStore.ReadCsv(csvPath);
        IReadOnlyList<NamedEmbedding> fromBinary = EmbeddingStore.ReadBinary(binaryPath);
        Assert.Equal(fromCsv.Select(r => r.Name), fromBinary.Select(r => r.Name));
        for (int i = 0; i < fromCsv.Count; i++)
        {
            Assert.Equal(fromCsv[i].Vector, fromBinary[i].Vector);
        }
    }

    [Fact]
    public void Embed_NonCsvName_WritesBinary()
    {
        string images = ImagesWithCorruptFile();
        string outPath = Path.Combine(_data.Root, "embeddings.fneb");

        var (exitCode, output, _) = CliTestData.Invoke("embed", images, "--out", outPath, "--baseline", "pixels");

        Assert.Equal(0, exitCode);
        Assert.Contains("(binary)", output);
        Assert.Equal(4, EmbeddingStore.ReadBinary(outPath).Count);
    }

    [Fact]
    public void Embed_FolderWithoutImages_ExitsOne()
    {
        string empty = _data.Folder("empty");
        File.WriteAllText(Path.Combine(empty, "notes.txt"), "no images here");

        var (exitCode, _, error) = CliTestData.Invoke("embed", empty, "--out", Path.Combine(_data.Root, "e.csv"),
            "--baseline", "pixels");

        Assert.Equal(1, exitCode);
        Assert.Contains("contains no image files", error);
    }

    [Fact]
    public void Embed_AllFilesCorrupt_ExitsOne()
    {
        string images = _data.Folder("corrupt");
        File.WriteAllText(Path.Combine(images, "a.jpg"), "not a jpeg");
        string outPath = Path.Combine(_data.Root, "e.csv");

        var (exitCode, _, error) = CliTestData.Invoke("embed", images, "--out", outPath, "--baseline", "pixels");

        Assert.Equal(1, exitCode);
        Assert.Contains("a.jpg", error);
        Assert.False(File.Exists(outPath));
    }

    [Fact]
    public void Embed_MissingOutOption_ExitsTwo()
    {
        string images = ImagesWithCorruptFile();

        var (exitCode, _, error) = CliTestData.Invoke("embed", images, "--baseline", "pixels");

        Assert.Equal(2, exitCode);
        Assert.Contains("--out", error);
    }

    [Fact]
    public void Embed_TwoModelChoices_ExitsTwo()
    {
        string images = ImagesWithCorruptFile();

        var (exitCode, _, error) = CliTestData.Invoke("embed", images, "--out", Path.Combine(_data.Root, "e.csv"),
            "--baseline", "pixels", "--arch", "nn4-small2");

        Assert.Equal(2, exitCode);
        Assert.Contains("exactly one model", error);
    }

    [Fact]
    public void Embed_OutIsFolder_IsUsageError()
    {
        string images = ImagesWithCorruptFile();
        string outFolder = _data.Folder("out");

        var (exitCode, _, error) = CliTestData.Invoke("embed", images, "--out", outFolder, "--baseline", "pixels");

        Assert.Equal(2, exitCode);
        Assert.Contains("is a folder", error);
    }

    [Fact]
    public void Embed_EmptyOut_IsUsageError()
    {
        string images = ImagesWithCorruptFile();

        var (exitCode, _, error) = CliTestData.Invoke("embed", images, "--out", "", "--baseline", "pixels");

        Assert.Equal(2, exitCode);
        Assert.Contains("--out", error);
    }

    [Fact]
    public void Embed_UnwritableOut_ExitsOneWithoutStackTrace()
    {
        string images = ImagesWithCorruptFile();
        // A file name longer than the 255 bytes Linux file systems allow: the folder exists, the write fails.
        string outPath = Path.Combine(_data.Root, new string('a', 300) + ".csv");

        var (exitCode, _, error) = CliTestData.Invoke("embed", images, "--out", outPath, "--baseline", "pixels");

        Assert.Equal(1, exitCode);
        Assert.StartsWith("error: ", error.Split('\n').Single(line => line.Contains("error", StringComparison.OrdinalIgnoreCase)));
        Assert.DoesNotContain("   at ", error);
    }

    [Fact]
    public void Embed_ParentFolderLink_EmbedsOnce()
    {
        string images = _data.Folder("linked");
        CliTestData.WriteIdentities(images, firstIdentity: 0, counts: [2]);
        Directory.CreateSymbolicLink(Path.Combine(images, CliTestData.IdentityName(0), "loop"), images);
        string outPath = Path.Combine(_data.Root, "linked.csv");

        var (exitCode, output, error) = CliTestData.Invoke("embed", images, "--out", outPath, "--baseline", "pixels");

        Assert.Equal(0, exitCode);
        Assert.Contains("embedded 2 of 2 images", output);
        Assert.Contains("symbolic link", error);
    }
}
