namespace FaceNet.Runtime.Embedding;

/// <summary>Argument checks shared by the <see cref="IEmbeddingModel.Embed"/> implementations.</summary>
internal static class EmbeddingBuffers
{
    /// <summary>Throws unless <paramref name="batch"/> and <paramref name="output"/> hold <paramref name="count"/> samples and descriptors.</summary>
    /// <exception cref="ArgumentException">A buffer is too short.</exception>
    public static void Require(IEmbeddingModel model, ReadOnlySpan<float> batch, int count, Span<float> output)
    {
        int sample = model.Preprocessing.SampleSize;
        if (batch.Length < count * sample || output.Length < count * model.Dimension)
        {
            throw new ArgumentException(
                $"Embed: {count} samples need {count * sample} input and {count * model.Dimension} output values; " +
                $"got {batch.Length} and {output.Length}.");
        }
    }
}
