using System.CommandLine;
using FaceNet.Runtime.Embedding;
using FaceNet.Runtime.Evaluation;

namespace FaceNet.Cli.Commands;

/// <summary>
/// <c>facenet embed DIR --out FILE</c>: embeds every image under a folder, subfolders included, and writes
/// the embeddings with their relative file names through <see cref="EmbeddingStore"/>. Files that fail are
/// reported on standard error and left out.
/// </summary>
internal static class EmbedCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var models = new ModelOptions();
        var folder = new Argument<string>("DIR")
        {
            Description = "Folder of images; subfolders at any depth (such as one per identity) are searched too.",
        };
        var outPath = new Option<string>("--out")
        {
            Description = "Embedding file to write. Each row is named by the image path relative to DIR.",
            Required = true,
        };
        var format = new Option<string?>("--format")
        {
            Description = "File format: 'csv' or 'binary' (default: csv when --out ends in .csv, binary otherwise).",
        };
        format.AcceptOnlyFromAmong("csv", "binary");

        var command = new Command("embed", "Embed every image under a folder and write the embeddings to a CSV or binary file.");
        command.Arguments.Add(folder);
        command.Options.Add(outPath);
        command.Options.Add(format);
        models.AddTo(command);
        command.SetAction(result => CommandRunner.Run(result, () => Run(
            models.Open(result), result.GetValue(folder)!, result.GetValue(outPath)!, result.GetValue(format),
            result.InvocationConfiguration.Output, result.InvocationConfiguration.Error)));
        return command;
    }

    /// <summary>
    /// Embeds the images under <paramref name="folder"/> and writes them to <paramref name="outPath"/>.
    /// Returns 0 when at least one image was written.
    /// </summary>
    /// <exception cref="InvalidDataException">The folder contains no images, or none could be embedded.</exception>
    internal static int Run(FaceEmbedder embedder, string folder, string outPath, string? format,
        TextWriter output, TextWriter error)
    {
        using (embedder)
        {
            bool csv = format is null
                ? outPath.EndsWith(".csv", StringComparison.OrdinalIgnoreCase)
                : format == "csv";
            RequireOutputFolder(outPath);
            IReadOnlyList<FolderImage> images = ImageFolder.ListRecursive(folder, error);
            if (images.Count == 0)
            {
                throw new InvalidDataException($"Image folder '{Path.GetFullPath(folder)}' contains no image files.");
            }
            error.WriteLine($"model: {embedder.Model.Name}; {images.Count} images");

            List<EmbeddedImage> embedded = FolderEmbedding.Embed(embedder, images, "embedding", error, out int failed);
            if (embedded.Count == 0)
            {
                throw new InvalidDataException(
                    $"None of the {images.Count} images under '{Path.GetFullPath(folder)}' could be embedded " +
                    "(reasons above); nothing was written.");
            }

            var rows = embedded.Select(e => new NamedEmbedding(e.Image.Name, e.Vector)).ToArray();
            if (csv)
            {
                EmbeddingStore.WriteCsv(outPath, rows);
            }
            else
            {
                EmbeddingStore.WriteBinary(outPath, rows);
            }
            output.WriteLine($"embedded {embedded.Count} of {images.Count} images ({failed} failed) with " +
                $"{embedder.Model.Name}: {embedder.Dimension} dimensions, written to '{outPath}' " +
                $"({(csv ? "csv" : "binary")})");
            return 0;
        }
    }

    /// <summary>
    /// Throws before the embedding run, not after it, when the output path is empty, names an existing
    /// folder, or lies in a folder that does not exist.
    /// </summary>
    internal static void RequireOutputFolder(string outPath)
    {
        if (string.IsNullOrWhiteSpace(outPath))
        {
            throw new UsageException("Invalid --out: the output file name is empty; pass a file path.");
        }
        if (Directory.Exists(outPath))
        {
            throw new UsageException(
                $"Invalid --out '{outPath}': it is a folder; pass a file path inside it, such as '{Path.Combine(outPath, "out.csv")}'.");
        }
        string? parent = Path.GetDirectoryName(Path.GetFullPath(outPath));
        if (parent is not null && !Directory.Exists(parent))
        {
            throw new UsageException($"Output folder '{parent}' does not exist; create it or choose another --out.");
        }
    }
}
