using Microsoft.Extensions.Logging;

namespace FaceNet.Runtime.Imaging;

/// <summary>One image of a <see cref="FaceDataset"/>: its identity, label (index into the identity list) and path.</summary>
public sealed record FaceImage(string Identity, int Label, string Path);

/// <summary>A file or folder that a dataset scan or load left out, and why.</summary>
public sealed record DatasetProblem(string Path, string Reason);

/// <summary>
/// A folder-per-identity face dataset: <c>root/Identity/image.ext</c>, as in LFW
/// (<c>lfw/images/Name/Name_0001.jpg</c>) and cropped Extended Yale B (<c>yaleB01/yaleB01_P00A+000E+00.pgm</c>).
/// Identities are sorted by ordinal folder name and images by ordinal file name, so labels and order are the
/// same on every machine. Files with other extensions (Yale B's <c>.info</c> lists, <c>.pgm.bad</c> files,
/// <c>DEADJOE</c>, <c>WS_FTP.LOG</c>), files directly under the root and nested folders are left out and
/// listed in <see cref="Skipped"/>.
/// </summary>
public sealed class FaceDataset
{
    /// <summary>File extensions (lower case, with the dot) that a scan treats as images.</summary>
    public static readonly IReadOnlySet<string> ImageExtensions = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        ".jpg", ".jpeg", ".png", ".pgm", ".ppm", ".bmp", ".gif", ".webp",
    };

    private FaceDataset(string root, IReadOnlyList<string> identities, IReadOnlyList<FaceImage> images,
        IReadOnlyList<DatasetProblem> skipped)
    {
        Root = root;
        Identities = identities;
        Images = images;
        Skipped = skipped;
    }

    /// <summary>Full path of the scanned folder.</summary>
    public string Root { get; }

    /// <summary>Identity names in label order (ordinal sort); only identities with at least one image.</summary>
    public IReadOnlyList<string> Identities { get; }

    /// <summary>All images, grouped by identity in label order, then by ordinal file name.</summary>
    public IReadOnlyList<FaceImage> Images { get; }

    /// <summary>Entries the scan left out, with the reason.</summary>
    public IReadOnlyList<DatasetProblem> Skipped { get; }

    /// <summary>
    /// Scans <paramref name="root"/>. Unreadable folders and non-image files are recorded in
    /// <see cref="Skipped"/> instead of stopping the scan.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">Thrown when <paramref name="root"/> does not exist.</exception>
    public static FaceDataset Scan(string root)
    {
        ArgumentNullException.ThrowIfNull(root);
        string fullRoot = System.IO.Path.GetFullPath(root);
        if (!Directory.Exists(fullRoot))
        {
            throw new DirectoryNotFoundException(
                $"Dataset folder '{fullRoot}' does not exist; pass the folder that holds one subfolder per identity.");
        }

        var skipped = new List<DatasetProblem>();
        var identities = new List<string>();
        var images = new List<FaceImage>();
        foreach (FileSystemInfo rootEntry in SortedEntries(fullRoot, skipped))
        {
            if (rootEntry is not DirectoryInfo)
            {
                skipped.Add(new DatasetProblem(rootEntry.FullName,
                    "file directly under the dataset root, not in an identity folder"));
                continue;
            }
            string folder = rootEntry.FullName;
            string identity = rootEntry.Name;
            var files = new List<string>();
            foreach (FileSystemInfo entry in SortedEntries(folder, skipped))
            {
                if (entry is DirectoryInfo)
                {
                    skipped.Add(new DatasetProblem(entry.FullName, "nested folder inside an identity folder"));
                }
                else if (ImageExtensions.Contains(entry.Extension))
                {
                    files.Add(entry.FullName);
                }
                else
                {
                    skipped.Add(new DatasetProblem(entry.FullName,
                        $"extension '{entry.Extension}' is not an image extension"));
                }
            }

            if (files.Count == 0)
            {
                skipped.Add(new DatasetProblem(folder, "identity folder without image files"));
                continue;
            }
            int label = identities.Count;
            identities.Add(identity);
            images.AddRange(files.Select(file => new FaceImage(identity, label, file)));
        }
        return new FaceDataset(fullRoot, identities, images, skipped);
    }

    /// <summary>Returns the images of <paramref name="identity"/> in dataset order (empty when unknown).</summary>
    public IEnumerable<FaceImage> ImagesOf(string identity) => Images.Where(image => image.Identity == identity);

    /// <summary>
    /// Returns a dataset with only the listed identities, relabelled 0..k-1 in ordinal name order.
    /// </summary>
    /// <exception cref="ArgumentException">Thrown, listing them, when some requested identities are not in the dataset.</exception>
    public FaceDataset WithIdentities(IEnumerable<string> identities)
    {
        ArgumentNullException.ThrowIfNull(identities);
        var requested = new HashSet<string>(identities, StringComparer.Ordinal);
        string[] missing = requested.Where(name => !Identities.Contains(name)).Order(StringComparer.Ordinal).ToArray();
        if (missing.Length > 0)
        {
            string listed = string.Join(", ", missing.Take(10)) + (missing.Length > 10 ? ", ..." : "");
            throw new ArgumentException(
                $"{missing.Length} requested identities are not in dataset '{Root}': {listed}. " +
                "Check the names (folder names, case-sensitive) and the dataset root.", nameof(identities));
        }
        return Where(identity => requested.Contains(identity));
    }

    /// <summary>Returns a dataset with only identities that have at least <paramref name="count"/> images, relabelled.</summary>
    public FaceDataset WithMinimumImages(int count)
    {
        Dictionary<string, int> counts = Images.CountBy(image => image.Identity).ToDictionary();
        return Where(identity => counts[identity] >= count);
    }

    /// <summary>
    /// Decodes every image in order, yielding the ones that decode. Each image that fails with
    /// <see cref="ImageDecodeException"/> is added to <paramref name="problems"/>, logged as a warning when
    /// <paramref name="logger"/> is given, and skipped, so one bad file never stops a run.
    /// </summary>
    public IEnumerable<(FaceImage Image, RgbImage Pixels)> DecodeEach(ImageDecoder decoder,
        ICollection<DatasetProblem> problems, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(decoder);
        ArgumentNullException.ThrowIfNull(problems);
        foreach (FaceImage image in Images)
        {
            RgbImage pixels;
            try
            {
                pixels = decoder.Decode(image.Path);
            }
            catch (ImageDecodeException e)
            {
                problems.Add(new DatasetProblem(image.Path, e.Message));
                logger?.LogWarning("Skipped image {Path} of identity {Identity}: {Reason}",
                    image.Path, image.Identity, e.Message);
                continue;
            }
            yield return (image, pixels);
        }
    }

    private FaceDataset Where(Func<string, bool> keepIdentity)
    {
        var identities = Identities.Where(keepIdentity).ToList();
        var labels = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < identities.Count; i++)
        {
            labels[identities[i]] = i;
        }
        var images = Images
            .Where(image => labels.ContainsKey(image.Identity))
            .Select(image => image with { Label = labels[image.Identity] })
            .ToList();
        return new FaceDataset(Root, identities, images, Skipped);
    }

    /// <summary>
    /// Lists a folder's entries sorted by ordinal name. Hidden entries (names starting with a dot, such as
    /// <c>.DS_Store</c> or <c>.thumbnails/</c>) and a folder that cannot be listed are recorded as skipped.
    /// </summary>
    private static List<FileSystemInfo> SortedEntries(string folder, List<DatasetProblem> skipped)
    {
        try
        {
            var entries = new List<FileSystemInfo>();
            foreach (FileSystemInfo entry in new DirectoryInfo(folder).EnumerateFileSystemInfos())
            {
                if (entry.Name.StartsWith('.'))
                {
                    skipped.Add(new DatasetProblem(entry.FullName, "hidden entry (name starts with a dot)"));
                    continue;
                }
                entries.Add(entry);
            }
            entries.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
            return entries;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            skipped.Add(new DatasetProblem(folder, $"folder could not be listed: {e.Message}"));
            return [];
        }
    }
}
