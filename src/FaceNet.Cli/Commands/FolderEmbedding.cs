using FaceNet.Runtime.Embedding;

namespace FaceNet.Cli.Commands;

/// <summary>An image of a folder together with its embedding.</summary>
internal sealed record EmbeddedImage(FolderImage Image, float[] Vector);

/// <summary>
/// Embeds the images of a command's folder with progress on standard error. A file that cannot be decoded
/// or preprocessed is reported on standard error with the reason and left out, so one bad file never stops
/// a run.
/// </summary>
internal static class FolderEmbedding
{
    /// <summary>Embeds <paramref name="images"/> and returns the ones that succeeded, in input order.</summary>
    /// <param name="embedder">The model.</param>
    /// <param name="images">The files to embed.</param>
    /// <param name="what">Label of the progress lines, such as "gallery".</param>
    /// <param name="error">Where progress and failures are written.</param>
    /// <param name="failed">Receives the number of files that failed.</param>
    public static List<EmbeddedImage> Embed(FaceEmbedder embedder, IReadOnlyList<FolderImage> images, string what,
        TextWriter error, out int failed)
    {
        string[] paths = images.Select(i => i.Path).ToArray();
        IReadOnlyList<FileEmbedding> results = embedder.EmbedFiles(paths, new EmbeddingProgress(what, paths.Length, error));
        var embedded = new List<EmbeddedImage>(images.Count);
        failed = 0;
        for (int i = 0; i < images.Count; i++)
        {
            FileEmbedding result = results[i];
            if (result.Vector is null)
            {
                failed++;
                error.WriteLine(Describe(result));
                continue;
            }
            embedded.Add(new EmbeddedImage(images[i], result.Vector));
        }
        return embedded;
    }

    /// <summary>Formats a failure line; decoder messages already name the file, others get it prefixed.</summary>
    private static string Describe(FileEmbedding result)
    {
        string reason = result.Error ?? "no embedding was produced";
        return reason.Contains(result.Path, StringComparison.Ordinal)
            ? $"skipped: {reason}"
            : $"skipped: '{result.Path}': {reason}";
    }
}
