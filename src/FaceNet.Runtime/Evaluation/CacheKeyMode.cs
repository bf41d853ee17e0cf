namespace FaceNet.Runtime.Evaluation;

/// <summary>How <see cref="EmbeddingCache"/> recognises that an image is unchanged.</summary>
public enum CacheKeyMode
{
    /// <summary>Full path, file size and last-write time (UTC ticks): cheap, but a rewrite that keeps size
    /// and time is missed.</summary>
    FileStamp,

    /// <summary>SHA-256 of the file content: reads every image, survives moves and catches any edit.</summary>
    ContentHash,
}
