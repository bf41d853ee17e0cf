using FaceNet.Runtime.Embedding;
using FaceNet.Runtime.Imaging;

namespace FaceNet.Runtime.Pretrained;

/// <summary>
/// An embedding model fed by a <see cref="FacePipeline"/>: the same network, with a name and cache checksum
/// that also name the detector and alignment, because they change which pixels reach the network.
/// Disposing it disposes both.
/// </summary>
internal sealed class FacePipelineModel(IEmbeddingModel inner, FacePipeline pipeline) : IEmbeddingModel
{
    public IEmbeddingModel Inner { get; } = inner;

    public FacePipeline Pipeline { get; } = pipeline;

    public string Name => $"{Inner.Name} on faces from {Pipeline.DetectorName} detection + alignment";

    public string Checksum => $"{Inner.Checksum}+{Pipeline.Description}";

    public int Dimension => Inner.Dimension;

    public Preprocessing Preprocessing => Inner.Preprocessing;

    public void Embed(ReadOnlySpan<float> batch, int count, Span<float> output) => Inner.Embed(batch, count, output);

    public void Dispose()
    {
        Inner.Dispose();
        Pipeline.Dispose();
    }
}
