namespace FaceNet.Runtime.Embedding;

/// <summary>The outcome for one image file of a folder or list run: an embedding, or the reason there is none.</summary>
/// <param name="Path">The image file.</param>
/// <param name="Vector">Unit-length embedding, or null when the file failed.</param>
/// <param name="Error">Why the file failed (decode error, invalid pixels), or null.</param>
public sealed record FileEmbedding(string Path, float[]? Vector, string? Error)
{
    /// <summary>Whether an embedding was produced.</summary>
    public bool Succeeded => Vector is not null;
}
