using FaceNet.Runtime.Data;
using FaceNet.Runtime.Imaging;

namespace FaceNet.Tests.Imaging;

public sealed class FaceDatasetTests
{
    private static byte[] GreyPng(int level) => TestImages.Png(4, 4, TestImages.PngGrey, 8, Enumerable.Repeat(level, 16).ToArray());

    private static TempFolder SmallDataset()
    {
        var folder = new TempFolder();
        folder.Write("Zoe/Zoe_0002.png", GreyPng(2));
        folder.Write("Zoe/Zoe_0001.png", GreyPng(1));
        folder.Write("Adam/Adam_0001.pgm", "P2 1 1 255 9"u8.ToArray());
        folder.Write("Adam/Adam_0002.jpg", []);
        folder.Write("Adam/notes.info", "list"u8.ToArray());
        folder.Write("Adam/Adam_0003.pgm.bad", "P2 1 1 255 9"u8.ToArray());
        folder.Write("Mia/Mia_0001.png", GreyPng(3)[..30]);
        folder.Write("Empty/readme.txt", "x"u8.ToArray());
        folder.Write("README.md", "x"u8.ToArray());
        return folder;
    }

    [Fact]
    public void Scan_FolderPerIdentity_SortsIdentitiesAndImages()
    {
        using TempFolder folder = SmallDataset();

        var dataset = FaceDataset.Scan(folder.Path);

        Assert.Equal(new[] { "Adam", "Mia", "Zoe" }, dataset.Identities);
        Assert.Equal(new[] { "Adam_0001.pgm", "Adam_0002.jpg", "Mia_0001.png", "Zoe_0001.png", "Zoe_0002.png" },
            dataset.Images.Select(image => Path.GetFileName(image.Path)));
        Assert.Equal(new[] { 0, 0, 1, 2, 2 }, dataset.Images.Select(image => image.Label));
    }

    [Fact]
    public void Scan_NonImageEntries_ListedAsSkipped()
    {
        using TempFolder folder = SmallDataset();

        var dataset = FaceDataset.Scan(folder.Path);

        string[] skipped = dataset.Skipped.Select(problem => Path.GetFileName(problem.Path)).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(new[] { "Adam_0003.pgm.bad", "Empty", "README.md", "notes.info", "readme.txt" }, skipped);
    }

    [Fact]
    public void Scan_HiddenEntries_SkippedNotIdentities()
    {
        using TempFolder folder = SmallDataset();
        folder.Write(".cache/Cached_0001.png", GreyPng(5));
        folder.Write("Zoe/.Zoe_0003.png", GreyPng(6));

        var dataset = FaceDataset.Scan(folder.Path);

        Assert.DoesNotContain(".cache", dataset.Identities);
        Assert.DoesNotContain(dataset.Images, image => Path.GetFileName(image.Path).StartsWith('.'));
        Assert.Contains(dataset.Skipped, problem => Path.GetFileName(problem.Path) == ".cache");
        Assert.Contains(dataset.Skipped, problem => Path.GetFileName(problem.Path) == ".Zoe_0003.png");
    }

    [Fact]
    public void Scan_MissingRoot_NamesFolder()
    {
        string missing = Path.Combine(Path.GetTempPath(), "facenet-no-such-folder-" + Guid.NewGuid().ToString("N"));

        var error = Assert.Throws<DirectoryNotFoundException>(() => FaceDataset.Scan(missing));

        Assert.Contains(missing, error.Message);
    }

    [Fact]
    public void DecodeEach_BadFiles_CollectedNotThrown()
    {
        using TempFolder folder = SmallDataset();
        var dataset = FaceDataset.Scan(folder.Path);
        var problems = new List<DatasetProblem>();

        var decoded = dataset.DecodeEach(new ImageDecoder(), problems).ToList();

        Assert.Equal(new[] { "Adam_0001.pgm", "Zoe_0001.png", "Zoe_0002.png" },
            decoded.Select(item => Path.GetFileName(item.Image.Path)));
        Assert.Equal(2, problems.Count);
        Assert.Contains("Adam_0002.jpg' is empty", problems[0].Reason);
        Assert.Contains("Mia_0001.png' is truncated", problems[1].Reason);
    }

    [Fact]
    public void WithIdentities_Subset_RelabelsInOrder()
    {
        using TempFolder folder = SmallDataset();

        var subset = FaceDataset.Scan(folder.Path).WithIdentities(["Zoe", "Adam"]);

        Assert.Equal(new[] { "Adam", "Zoe" }, subset.Identities);
        Assert.Equal(new[] { 0, 0, 1, 1 }, subset.Images.Select(image => image.Label));
    }

    [Fact]
    public void WithIdentities_UnknownName_Rejects()
    {
        using TempFolder folder = SmallDataset();
        var dataset = FaceDataset.Scan(folder.Path);

        var error = Assert.Throws<ArgumentException>(() => dataset.WithIdentities(["Adam", "Nobody"]));

        Assert.Contains("1 requested identities are not in dataset", error.Message);
        Assert.Contains("Nobody", error.Message);
    }

    [Fact]
    public void WithMinimumImages_Two_KeepsLargerIdentities()
    {
        using TempFolder folder = SmallDataset();

        var subset = FaceDataset.Scan(folder.Path).WithMinimumImages(2);

        Assert.Equal(new[] { "Adam", "Zoe" }, subset.Identities);
    }

    [Fact]
    public void Scan_YaleB_FindsAllPeople()
    {
        string root = Path.Combine(DataRoot.RequireExisting(), "yale-b-cropped");

        var dataset = FaceDataset.Scan(root);

        Assert.Equal(38, dataset.Identities.Count);
        Assert.Equal(2452, dataset.Images.Count);
        Assert.Equal("yaleB01", dataset.Identities[0]);
        Assert.Equal(18, dataset.Skipped.Count(problem => problem.Path.EndsWith(".pgm.bad", StringComparison.Ordinal)));
        Assert.DoesNotContain(dataset.Images, image => !image.Path.EndsWith(".pgm", StringComparison.Ordinal));
    }

    [Fact]
    public void Decode_YaleBImage_Is168By192Grey()
    {
        string path = Path.Combine(DataRoot.RequireExisting(), "yale-b-cropped", "yaleB01", "yaleB01_P00A+000E+00.pgm");

        RgbImage image = new ImageDecoder().Decode(path);

        Assert.Equal(168, image.Width);
        Assert.Equal(192, image.Height);
        Assert.Equal(image[84, 96, 0], image[84, 96, 2]);
    }

    [Fact]
    public void Decode_LfwImage_Is250By250()
    {
        string path = Path.Combine(DataRoot.RequireExisting(), "lfw", "images", "AJ_Cook", "AJ_Cook_0001.jpg");

        RgbImage image = new ImageDecoder().Decode(path);

        Assert.Equal(250, image.Width);
        Assert.Equal(250, image.Height);
    }

    [Fact]
    public void Scan_Lfw_FindsAllPeople()
    {
        string root = Path.Combine(DataRoot.RequireExisting(), "lfw", "images");

        var dataset = FaceDataset.Scan(root);

        Assert.Equal(5749, dataset.Identities.Count);
        Assert.Equal(13233, dataset.Images.Count);
        Assert.Empty(dataset.Skipped);
    }
}
