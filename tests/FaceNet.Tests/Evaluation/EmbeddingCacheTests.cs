using FaceNet.Runtime.Evaluation;

namespace FaceNet.Tests.Evaluation;

public sealed class EmbeddingCacheTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "facenet-cache-" + Guid.NewGuid().ToString("N"));
    private readonly List<string> _images = [];

    public EmbeddingCacheTests()
    {
        Directory.CreateDirectory(Path.Combine(_directory, "images"));
        for (int i = 0; i < 4; i++)
        {
            string path = Path.Combine(_directory, "images", $"face_{i}.jpg");
            File.WriteAllBytes(path, [(byte)i, 1, 2, 3]);
            _images.Add(path);
        }
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string CacheDirectory => Path.Combine(_directory, "cache");

    private static IReadOnlyList<float[]> FakeEmbed(IReadOnlyList<string> paths, List<string> calls)
    {
        calls.AddRange(paths);
        return paths.Select(path => new[] { (float)path.Length, 0.5f }).ToArray();
    }

    [Theory]
    [InlineData(CacheKeyMode.FileStamp)]
    [InlineData(CacheKeyMode.ContentHash)]
    public void GetOrCompute_SecondRun_SkipsEmbedding(CacheKeyMode mode)
    {
        var firstCalls = new List<string>();
        var secondCalls = new List<string>();
        var first = new EmbeddingCache(CacheDirectory, "model-a", mode);
        IReadOnlyList<float[]> computed = first.GetOrCompute(_images, paths => FakeEmbed(paths, firstCalls));

        var second = new EmbeddingCache(CacheDirectory, "model-a", mode);
        IReadOnlyList<float[]> cached = second.GetOrCompute(_images, paths => FakeEmbed(paths, secondCalls));

        Assert.Equal(4, firstCalls.Count);
        Assert.Equal(4, first.Misses);
        Assert.Empty(secondCalls);
        Assert.Equal(4, second.Hits);
        Assert.Equal(0, second.Misses);
        Assert.Equal(computed, cached);
    }

    [Fact]
    public void GetOrCompute_OtherModel_Misses()
    {
        var calls = new List<string>();
        new EmbeddingCache(CacheDirectory, "model-a").GetOrCompute(_images, paths => FakeEmbed(paths, calls));

        var other = new EmbeddingCache(CacheDirectory, "model-b");
        other.GetOrCompute(_images, paths => FakeEmbed(paths, calls));

        Assert.Equal(8, calls.Count);
        Assert.Equal(4, other.Misses);
    }

    [Fact]
    public void GetOrCompute_ChangedImage_Recomputes()
    {
        var calls = new List<string>();
        new EmbeddingCache(CacheDirectory, "model-a").GetOrCompute(_images, paths => FakeEmbed(paths, calls));
        calls.Clear();

        File.WriteAllBytes(_images[2], [9, 9, 9, 9, 9]);
        var cache = new EmbeddingCache(CacheDirectory, "model-a");
        cache.GetOrCompute(_images, paths => FakeEmbed(paths, calls));

        Assert.Equal([_images[2]], calls);
        Assert.Equal(3, cache.Hits);
    }

    [Fact]
    public void ContentHash_SameBytesElsewhere_Hits()
    {
        var cache = new EmbeddingCache(CacheDirectory, "model-a", CacheKeyMode.ContentHash);
        cache.Set(_images[0], [1f, 2f]);
        string copy = Path.Combine(_directory, "copy.jpg");
        File.Copy(_images[0], copy);

        Assert.True(cache.TryGet(copy, out float[] embedding));
        Assert.Equal([1f, 2f], embedding);
    }

    [Fact]
    public void Set_WrongDimension_Throws()
    {
        var cache = new EmbeddingCache(CacheDirectory, "model-a");
        cache.Set(_images[0], [1f, 2f]);

        Assert.Throws<ArgumentException>(() => cache.Set(_images[1], [1f, 2f, 3f]));
    }

    [Fact]
    public void TryGet_MissingImage_ThrowsFileNotFound()
    {
        var cache = new EmbeddingCache(CacheDirectory, "model-a");

        Assert.Throws<FileNotFoundException>(() => cache.TryGet(Path.Combine(_directory, "absent.jpg"), out _));
    }
}
