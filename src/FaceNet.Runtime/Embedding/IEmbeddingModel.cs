using FaceNet.Runtime.Imaging;

namespace FaceNet.Runtime.Embedding;

/// <summary>
/// Anything that maps preprocessed face images to unit vectors: a network or a fixed baseline.
/// </summary>
public interface IEmbeddingModel : IDisposable
{
    /// <summary>Human-readable name, such as <c>nn4-small2 (run.fnet)</c> or <c>pixels</c>.</summary>
    string Name { get; }

    /// <summary>Identifies the weights for embedding caches: a SHA-256 of the checkpoint file, or a description.</summary>
    string Checksum { get; }

    /// <summary>Embedding dimension.</summary>
    int Dimension { get; }

    /// <summary>How images are turned into this model's input.</summary>
    Preprocessing Preprocessing { get; }

    /// <summary>
    /// Embeds <paramref name="count"/> preprocessed samples laid out NCHW in <paramref name="batch"/> and writes
    /// <paramref name="count"/> x <see cref="Dimension"/> unit-length values into <paramref name="output"/>.
    /// </summary>
    void Embed(ReadOnlySpan<float> batch, int count, Span<float> output);
}
