using FaceNet.Runtime.Evaluation;

namespace FaceNet.Tests.Evaluation;

public sealed class EmbeddingStoreTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "facenet-store-" + Guid.NewGuid().ToString("N"));

    public EmbeddingStoreTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static List<NamedEmbedding> Sample()
    {
        var random = new Random(41);
        var embeddings = new List<NamedEmbedding>();
        string[] names = ["Abel_Pacheco/Abel_Pacheco_0001.jpg", "comma, in \"name\".jpg", "ünïcode.jpg"];
        foreach (string name in names)
        {
            float[] vector = EmbeddingFixtures.RandomUnit(random, 7);
            vector[0] = float.Epsilon;
            vector[1] = -1e-30f;
            embeddings.Add(new NamedEmbedding(name, vector));
        }
        return embeddings;
    }

    private static void AssertSame(IReadOnlyList<NamedEmbedding> expected, IReadOnlyList<NamedEmbedding> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Name, actual[i].Name);
            Assert.Equal(expected[i].Vector, actual[i].Vector);
        }
    }

    [Theory]
    [InlineData("embeddings.csv")]
    [InlineData("embeddings.bin")]
    public void SaveLoad_RoundTripIsBitExact(string fileName)
    {
        string path = Path.Combine(_directory, fileName);
        List<NamedEmbedding> embeddings = Sample();

        EmbeddingStore.Save(path, embeddings);

        AssertSame(embeddings, EmbeddingStore.Load(path));
    }

    [Theory]
    [InlineData("empty.csv")]
    [InlineData("empty.bin")]
    public void SaveLoad_Empty_RoundTrips(string fileName)
    {
        string path = Path.Combine(_directory, fileName);

        EmbeddingStore.Save(path, []);

        Assert.Empty(EmbeddingStore.Load(path));
    }

    [Fact]
    public void WriteBinary_Layout_MatchesDocumentedFormat()
    {
        string path = Path.Combine(_directory, "layout.bin");

        EmbeddingStore.WriteBinary(path, [new NamedEmbedding("ab", [1.0f, -2.0f])]);
        byte[] bytes = File.ReadAllBytes(path);

        Assert.Equal("FNEB"u8.ToArray(), bytes[..4]);
        Assert.Equal(1, BitConverter.ToInt32(bytes, 4));
        Assert.Equal(2, BitConverter.ToInt32(bytes, 8));
        Assert.Equal(1, BitConverter.ToInt32(bytes, 12));
        Assert.Equal(2, BitConverter.ToInt32(bytes, 16));
        Assert.Equal("ab"u8.ToArray(), bytes[20..22]);
        Assert.Equal(1.0f, BitConverter.ToSingle(bytes, 22));
        Assert.Equal(-2.0f, BitConverter.ToSingle(bytes, 26));
        Assert.Equal(30, bytes.Length);
    }

    [Fact]
    public void ReadBinary_Truncated_ThrowsInvalidData()
    {
        string path = Path.Combine(_directory, "truncated.bin");
        EmbeddingStore.WriteBinary(path, Sample());
        byte[] bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^5]);

        var error = Assert.Throws<InvalidDataException>(() => EmbeddingStore.ReadBinary(path));

        Assert.Contains("truncated", error.Message);
    }

    [Fact]
    public void ReadBinary_WrongMagic_ThrowsInvalidData()
    {
        string path = Path.Combine(_directory, "other.bin");
        File.WriteAllText(path, "name,e0\n");

        Assert.Throws<InvalidDataException>(() => EmbeddingStore.ReadBinary(path));
    }

    [Fact]
    public void ReadCsv_ShortRow_ThrowsWithLine()
    {
        string path = Path.Combine(_directory, "short.csv");
        File.WriteAllText(path, "name,e0,e1\na,1,2\nb,1\n");

        var error = Assert.Throws<InvalidDataException>(() => EmbeddingStore.ReadCsv(path));

        Assert.Contains("line 3", error.Message);
    }

    [Fact]
    public void Write_MixedDimensions_Throws()
    {
        NamedEmbedding[] mixed = [new("a", new float[3]), new("b", new float[4])];

        Assert.Throws<ArgumentException>(() => EmbeddingStore.WriteBinary(Path.Combine(_directory, "mixed.bin"), mixed));
    }
}
