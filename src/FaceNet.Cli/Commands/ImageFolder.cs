using System.IO.Enumeration;
using FaceNet.Runtime.Imaging;

namespace FaceNet.Cli.Commands;

/// <summary>How a folder given to a command is organised.</summary>
internal enum FolderLayout
{
    /// <summary>One subfolder per identity, images inside: the labels are the folder names.</summary>
    IdentityFolders,

    /// <summary>Images directly in the folder, without labels.</summary>
    LooseImages,
}

/// <summary>An image file of a command's input folder.</summary>
/// <param name="Path">Full path.</param>
/// <param name="Name">Path relative to the folder with '/' separators, as written in outputs.</param>
/// <param name="Identity">Name of the identity folder, or null for loose images.</param>
internal sealed record FolderImage(string Path, string Name, string? Identity);

/// <summary>
/// The images of a folder that is either a set of identity folders or a flat set of loose images.
/// Entries that are left out (non-image files, empty identity folders) are reported on standard error.
/// </summary>
internal sealed class ImageFolder
{
    private ImageFolder(string root, FolderLayout layout, IReadOnlyList<FolderImage> images)
    {
        Root = root;
        Layout = layout;
        Images = images;
    }

    /// <summary>Full path of the folder.</summary>
    public string Root { get; }

    /// <summary>Whether the images carry identity labels.</summary>
    public FolderLayout Layout { get; }

    /// <summary>Images in ordinal order of their relative names.</summary>
    public IReadOnlyList<FolderImage> Images { get; }

    /// <summary>Number of distinct identities, 0 for loose images.</summary>
    public int IdentityCount => Images.Where(i => i.Identity is not null).Select(i => i.Identity).Distinct().Count();

    /// <summary>
    /// Scans <paramref name="folder"/>: image files directly inside make it <see cref="FolderLayout.LooseImages"/>,
    /// subfolders make it <see cref="FolderLayout.IdentityFolders"/>.
    /// </summary>
    /// <param name="folder">The folder to scan.</param>
    /// <param name="role">What the folder is for, such as "probe folder", used in messages.</param>
    /// <param name="error">Where left-out entries are reported.</param>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="InvalidDataException">The folder has both image files and subfolders, or no images.</exception>
    public static ImageFolder Open(string folder, string role, TextWriter error)
    {
        string root = System.IO.Path.GetFullPath(folder);
        if (!Directory.Exists(root))
        {
            throw new DirectoryNotFoundException($"The {role} '{root}' does not exist.");
        }

        string[] looseImages = Directory.EnumerateFiles(root)
            .Where(IsImage)
            .Order(StringComparer.Ordinal)
            .ToArray();
        bool hasSubfolders = Directory.EnumerateDirectories(root).Any();
        if (looseImages.Length > 0 && hasSubfolders)
        {
            throw new InvalidDataException(
                $"The {role} '{root}' contains both image files and subfolders. Put every image in a subfolder " +
                "named after its identity, or keep all images directly in the folder without subfolders.");
        }

        if (looseImages.Length > 0)
        {
            foreach (string other in Directory.EnumerateFiles(root).Where(f => !IsImage(f)).Order(StringComparer.Ordinal))
            {
                error.WriteLine($"ignored: '{other}' (extension '{System.IO.Path.GetExtension(other)}' is not an image extension)");
            }
            var loose = looseImages.Select(p => new FolderImage(p, RelativeName(root, p), null)).ToArray();
            return new ImageFolder(root, FolderLayout.LooseImages, loose);
        }

        FaceDataset dataset = FaceDataset.Scan(root);
        foreach (DatasetProblem skipped in dataset.Skipped)
        {
            error.WriteLine($"ignored: '{skipped.Path}' ({skipped.Reason})");
        }
        if (dataset.Images.Count == 0)
        {
            throw new InvalidDataException(
                $"The {role} '{root}' contains no images. Supported extensions: " +
                $"{string.Join(", ", FaceDataset.ImageExtensions.Order(StringComparer.Ordinal))}.");
        }
        var labelled = dataset.Images
            .Select(i => new FolderImage(i.Path, RelativeName(root, i.Path), i.Identity))
            .ToArray();
        return new ImageFolder(root, FolderLayout.IdentityFolders, labelled);
    }

    /// <summary>
    /// Lists every image file under <paramref name="folder"/> and its subfolders at any depth, in ordinal
    /// order of the relative name. Hidden files and folders and folders that cannot be read are skipped.
    /// Symbolic links to folders are not followed, so a link to a parent folder cannot repeat images
    /// without end; links to files are read.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    public static IReadOnlyList<FolderImage> ListRecursive(string folder, TextWriter error)
    {
        string root = System.IO.Path.GetFullPath(folder);
        if (!Directory.Exists(root))
        {
            throw new DirectoryNotFoundException($"Image folder '{root}' does not exist.");
        }
        var options = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true };
        int linkedFolders = 0;
        var files = new FileSystemEnumerable<string>(root, (ref FileSystemEntry entry) => entry.ToFullPath(), options)
        {
            ShouldIncludePredicate = (ref FileSystemEntry entry) => !entry.IsDirectory,
            ShouldRecursePredicate = (ref FileSystemEntry entry) =>
            {
                bool isLink = (entry.Attributes & FileAttributes.ReparsePoint) != 0;
                linkedFolders += isLink ? 1 : 0;
                return !isLink;
            },
        };
        var images = new List<FolderImage>();
        int ignored = 0;
        foreach (string path in files)
        {
            if (!IsImage(path))
            {
                ignored++;
                continue;
            }
            string name = RelativeName(root, path);
            int slash = name.IndexOf('/', StringComparison.Ordinal);
            images.Add(new FolderImage(path, name, slash > 0 ? name[..slash] : null));
        }
        if (ignored > 0)
        {
            error.WriteLine($"ignored {ignored} files whose extension is not an image extension " +
                $"({string.Join(", ", FaceDataset.ImageExtensions.Order(StringComparer.Ordinal))})");
        }
        if (linkedFolders > 0)
        {
            error.WriteLine($"ignored {linkedFolders} symbolic links to folders; pass the linked folder itself to embed it");
        }
        images.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return images;
    }

    private static bool IsImage(string path) => FaceDataset.ImageExtensions.Contains(System.IO.Path.GetExtension(path));

    private static string RelativeName(string root, string path) =>
        System.IO.Path.GetRelativePath(root, path).Replace(System.IO.Path.DirectorySeparatorChar, '/');
}
