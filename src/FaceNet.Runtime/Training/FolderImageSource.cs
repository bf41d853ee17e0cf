using FaceNet.Runtime.Imaging;

namespace FaceNet.Runtime.Training;

/// <summary>
/// Training images read from one or more folder-per-identity datasets and decoded on demand, with a
/// bounded cache of decoded images. Folders with the same name in two datasets are one identity.
/// </summary>
public sealed class FolderImageSource : ITrainingImageSource
{
    private readonly FaceImage[] _images;
    private readonly ImageDecoder _decoder = new();
    private readonly int _cacheCapacity;
    private readonly Dictionary<int, LinkedListNode<(int Index, RgbImage Image)>> _cache = new();
    private readonly LinkedList<(int Index, RgbImage Image)> _recent = new();
    private readonly object _cacheLock = new();

    private FolderImageSource(IReadOnlyList<string> identities, FaceImage[] images, int cacheCapacity,
        IReadOnlyList<DatasetProblem> skipped, int excludedIdentities)
    {
        Identities = identities;
        _images = images;
        _cacheCapacity = cacheCapacity;
        Skipped = skipped;
        ExcludedIdentityCount = excludedIdentities;
    }

    /// <inheritdoc />
    public int Count => _images.Length;

    /// <inheritdoc />
    public IReadOnlyList<string> Identities { get; }

    /// <summary>Files and folders the dataset scans left out, with the reason.</summary>
    public IReadOnlyList<DatasetProblem> Skipped { get; }

    /// <summary>Identities found in the folders but left out by the exclusion list.</summary>
    public int ExcludedIdentityCount { get; }

    /// <summary>
    /// Scans <paramref name="folders"/> (an LFW root with an <c>images</c> subfolder is read from that
    /// subfolder), drops the identities in <paramref name="excluded"/> and those with fewer than
    /// <paramref name="minImagesPerIdentity"/> images, and orders identities by ordinal name so labels
    /// are the same on every machine.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">A folder does not exist.</exception>
    /// <exception cref="ArgumentException">No identity with enough images remains.</exception>
    public static FolderImageSource Scan(IReadOnlyList<string> folders, IEnumerable<string> excluded,
        int minImagesPerIdentity, int cacheCapacity)
    {
        if (folders.Count == 0)
        {
            throw new ArgumentException("No data folder given; pass at least one folder with one subfolder per identity.",
                nameof(folders));
        }
        var exclude = new HashSet<string>(excluded, StringComparer.Ordinal);
        var byIdentity = new SortedDictionary<string, List<FaceImage>>(StringComparer.Ordinal);
        var skipped = new List<DatasetProblem>();
        var excludedFound = new HashSet<string>(StringComparer.Ordinal);
        foreach (string folder in folders)
        {
            string images = Path.Combine(folder, "images");
            FaceDataset dataset = FaceDataset.Scan(Directory.Exists(images) ? images : folder);
            skipped.AddRange(dataset.Skipped);
            foreach (FaceImage image in dataset.Images)
            {
                if (exclude.Contains(image.Identity))
                {
                    excludedFound.Add(image.Identity);
                    continue;
                }
                if (!byIdentity.TryGetValue(image.Identity, out List<FaceImage>? list))
                {
                    list = new List<FaceImage>();
                    byIdentity.Add(image.Identity, list);
                }
                list.Add(image);
            }
        }

        var identities = new List<string>();
        var kept = new List<FaceImage>();
        foreach (var (identity, list) in byIdentity)
        {
            if (list.Count < minImagesPerIdentity)
            {
                continue;
            }
            int label = identities.Count;
            identities.Add(identity);
            kept.AddRange(list.Select(image => image with { Label = label }));
        }
        if (identities.Count == 0)
        {
            throw new ArgumentException(
                $"No identity in {string.Join(", ", folders)} has {minImagesPerIdentity} or more images after " +
                $"excluding {excludedFound.Count} identities; add data or lower the minimum.", nameof(folders));
        }
        return new FolderImageSource(identities, kept.ToArray(), cacheCapacity, skipped, excludedFound.Count);
    }

    /// <inheritdoc />
    public int LabelOf(int index) => _images[index].Label;

    /// <inheritdoc />
    public string NameOf(int index) => _images[index].Path;

    /// <inheritdoc />
    /// <exception cref="ImageDecodeException">The file cannot be decoded; the message names it.</exception>
    public RgbImage Load(int index)
    {
        lock (_cacheLock)
        {
            if (_cache.TryGetValue(index, out var node))
            {
                _recent.Remove(node);
                _recent.AddFirst(node);
                return node.Value.Image;
            }
        }

        // Decoding runs outside the lock so that several threads decode at once. Two threads that miss on
        // the same image both decode it, and the second result is dropped.
        RgbImage image = _decoder.Decode(_images[index].Path);
        if (_cacheCapacity == 0)
        {
            return image;
        }
        lock (_cacheLock)
        {
            if (_cache.ContainsKey(index))
            {
                return image;
            }
            _cache.Add(index, _recent.AddFirst((index, image)));
            while (_cache.Count > _cacheCapacity)
            {
                var last = _recent.Last!;
                _recent.RemoveLast();
                _cache.Remove(last.Value.Index);
            }
        }
        return image;
    }
}
