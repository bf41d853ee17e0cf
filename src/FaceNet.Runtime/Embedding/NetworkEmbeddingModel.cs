using FaceNet.Runtime.Autograd;
using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Imaging;
using FaceNet.Runtime.Models;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Runtime.Embedding;

/// <summary>
/// A FaceNet network run for inference: batch normalisation uses running statistics, so a sample's
/// embedding does not depend on the other samples of its batch.
/// </summary>
public sealed class NetworkEmbeddingModel : IEmbeddingModel
{
    private readonly bool _ownsModel;

    /// <summary>Wraps an allocated model.</summary>
    /// <param name="model">The network; it must be allocated on <paramref name="backend"/>.</param>
    /// <param name="backend">Where the forward pass runs.</param>
    /// <param name="preprocessing">The contract its input follows.</param>
    /// <param name="name">Display name.</param>
    /// <param name="checksum">Cache key of the weights.</param>
    /// <param name="ownsModel">Whether disposing this wrapper disposes the model.</param>
    public NetworkEmbeddingModel(FaceNetModel model, IBackend backend, Preprocessing preprocessing, string name,
        string checksum, bool ownsModel = true)
    {
        if (!model.IsAllocated)
        {
            throw new ArgumentException($"Model '{model.Architecture}' has no weights; allocate or load it first.");
        }
        if (preprocessing.InputHeight != model.InputHeight || preprocessing.InputWidth != model.InputWidth)
        {
            throw new ArgumentException(
                $"Preprocessing produces {preprocessing.InputHeight}x{preprocessing.InputWidth} images but " +
                $"'{model.Architecture}' expects {model.InputHeight}x{model.InputWidth}.");
        }
        Model = model;
        Backend = backend;
        Preprocessing = preprocessing;
        Name = name;
        Checksum = checksum;
        _ownsModel = ownsModel;
    }

    /// <summary>The network.</summary>
    public FaceNetModel Model { get; }

    /// <summary>The backend the network runs on.</summary>
    public IBackend Backend { get; }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public string Checksum { get; }

    /// <inheritdoc />
    public int Dimension => Model.EmbeddingSize;

    /// <inheritdoc />
    public Preprocessing Preprocessing { get; }

    /// <inheritdoc />
    public void Embed(ReadOnlySpan<float> batch, int count, Span<float> output)
    {
        EmbeddingBuffers.Require(this, batch, count, output);
        int sample = Preprocessing.SampleSize;
        if (count == 0)
        {
            return;
        }
        using Graph graph = Graph.ForInference(Backend);
        Tensor x = graph.FromHost(batch[..(count * sample)], count, 3, Model.InputHeight, Model.InputWidth);
        Tensor y = Model.Forward(graph, x);
        Backend.Download(y, output[..(count * Dimension)]);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsModel)
        {
            Model.Dispose();
        }
    }
}
