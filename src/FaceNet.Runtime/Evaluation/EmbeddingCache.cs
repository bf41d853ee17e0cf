using System.Security.Cryptography;
using System.Text;

namespace FaceNet.Runtime.Evaluation;

/// <summary>
/// An on-disk cache of image embeddings for one model, so a second evaluation run skips the network for
/// images it has seen. Entries are keyed by SHA-256 over the model checksum and either the image's full
/// path, size and last-write time or its content hash (see <see cref="CacheKeyMode"/>). The cache lives in
/// one binary embedding file per model checksum (format in <see cref="EmbeddingStore"/>), with the keys as
/// names. Instances are not thread-safe.
/// </summary>
public sealed class EmbeddingCache
{
    private readonly Dictionary<string, float[]> _entries = new(StringComparer.Ordinal);
    private bool _dirty;

    /// <summary>Opens the cache for <paramref name="modelChecksum"/> in <paramref name="directory"/>,
    /// loading the existing cache file when there is one.</summary>
    /// <exception cref="ArgumentException">The checksum is empty.</exception>
    /// <exception cref="InvalidDataException">The cache file exists but is damaged; delete it to start over.</exception>
    public EmbeddingCache(string directory, string modelChecksum, CacheKeyMode mode = CacheKeyMode.FileStamp)
    {
        if (string.IsNullOrWhiteSpace(modelChecksum))
        {
            throw new ArgumentException("The embedding cache needs a model checksum, for example ComputeFileChecksum(weightsPath).",
                nameof(modelChecksum));
        }
        ModelChecksum = modelChecksum;
        Mode = mode;
        FilePath = Path.Combine(directory, $"embeddings-{HashText(modelChecksum)[..16]}.bin");
        if (File.Exists(FilePath))
        {
            foreach (NamedEmbedding entry in EmbeddingStore.ReadBinary(FilePath))
            {
                _entries[entry.Name] = entry.Vector;
            }
        }
    }

    /// <summary>Checksum of the model whose embeddings this cache holds.</summary>
    public string ModelChecksum { get; }

    /// <summary>How image keys are computed.</summary>
    public CacheKeyMode Mode { get; }

    /// <summary>The cache file.</summary>
    public string FilePath { get; }

    /// <summary>Number of cached embeddings, including ones for images that have since changed.</summary>
    public int Count => _entries.Count;

    /// <summary>Lookups that found an embedding since this instance was created.</summary>
    public int Hits { get; private set; }

    /// <summary>Lookups that found none since this instance was created.</summary>
    public int Misses { get; private set; }

    /// <summary>Looks up the embedding of the image at <paramref name="imagePath"/>.</summary>
    /// <exception cref="FileNotFoundException">The image does not exist.</exception>
    public bool TryGet(string imagePath, out float[] embedding)
    {
        if (_entries.TryGetValue(KeyFor(imagePath), out float[]? found))
        {
            Hits++;
            embedding = found;
            return true;
        }
        Misses++;
        embedding = [];
        return false;
    }

    /// <summary>Stores the embedding of the image at <paramref name="imagePath"/>; call <see cref="Save"/> to persist.</summary>
    /// <exception cref="ArgumentException">The dimension differs from the embeddings already cached.</exception>
    public void Set(string imagePath, float[] embedding)
    {
        ArgumentNullException.ThrowIfNull(embedding);
        if (_entries.Count > 0)
        {
            int dimension = _entries.Values.First().Length;
            if (embedding.Length != dimension)
            {
                throw new ArgumentException(
                    $"Embedding of '{imagePath}' has {embedding.Length} dimensions, but the cache '{FilePath}' holds " +
                    $"{dimension}; a cache belongs to one model.", nameof(embedding));
            }
        }
        _entries[KeyFor(imagePath)] = embedding;
        _dirty = true;
    }

    /// <summary>
    /// Returns the embeddings of <paramref name="imagePaths"/> in order, calling <paramref name="embed"/> once
    /// with only the paths that miss, storing its results, and saving the cache file when anything was added.
    /// </summary>
    /// <exception cref="InvalidOperationException"><paramref name="embed"/> returned the wrong number of embeddings.</exception>
    public IReadOnlyList<float[]> GetOrCompute(
        IReadOnlyList<string> imagePaths,
        Func<IReadOnlyList<string>, IReadOnlyList<float[]>> embed)
    {
        ArgumentNullException.ThrowIfNull(imagePaths);
        ArgumentNullException.ThrowIfNull(embed);
        var results = new float[imagePaths.Count][];
        var missingIndices = new List<int>();
        for (int i = 0; i < imagePaths.Count; i++)
        {
            if (TryGet(imagePaths[i], out float[] cached))
            {
                results[i] = cached;
            }
            else
            {
                missingIndices.Add(i);
            }
        }
        if (missingIndices.Count == 0)
        {
            return results;
        }

        string[] missingPaths = missingIndices.Select(i => imagePaths[i]).ToArray();
        IReadOnlyList<float[]> computed = embed(missingPaths);
        if (computed.Count != missingPaths.Length)
        {
            throw new InvalidOperationException(
                $"The embedding function returned {computed.Count} embeddings for {missingPaths.Length} images.");
        }
        for (int k = 0; k < missingIndices.Count; k++)
        {
            Set(missingPaths[k], computed[k]);
            results[missingIndices[k]] = computed[k];
        }
        Save();
        return results;
    }

    /// <summary>Writes the cache file if anything changed, through a temporary file so a crash leaves the old one.</summary>
    public void Save()
    {
        if (!_dirty)
        {
            return;
        }
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(FilePath))!);
        string temporary = FilePath + ".tmp";
        EmbeddingStore.WriteBinary(temporary, _entries.Select(entry => new NamedEmbedding(entry.Key, entry.Value)).ToArray());
        File.Move(temporary, FilePath, overwrite: true);
        _dirty = false;
    }

    /// <summary>Computes the cache key of an image under this cache's model and mode.</summary>
    /// <exception cref="FileNotFoundException">The image does not exist.</exception>
    public string KeyFor(string imagePath)
    {
        var file = new FileInfo(imagePath);
        if (!file.Exists)
        {
            throw new FileNotFoundException($"Image '{imagePath}' not found; cannot compute its cache key.", imagePath);
        }
        string identity = Mode == CacheKeyMode.ContentHash
            ? "content\n" + ComputeFileChecksum(file.FullName)
            : $"stamp\n{file.FullName}\n{file.Length}\n{file.LastWriteTimeUtc.Ticks}";
        return HashText(ModelChecksum + "\n" + identity);
    }

    /// <summary>Computes the lowercase hex SHA-256 of a file, suitable as a model checksum.</summary>
    public static string ComputeFileChecksum(string path)
    {
        using FileStream stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private static string HashText(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
