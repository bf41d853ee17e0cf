using System.Text.Json.Nodes;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Runtime.Checkpoints;

/// <summary>What a stored tensor is for; loading a model checks the model's tensors by role.</summary>
public enum TensorRole
{
    /// <summary>A trainable weight of the model.</summary>
    Parameter,

    /// <summary>A non-trainable tensor of the model, such as a batch normalisation running statistic.</summary>
    State,

    /// <summary>Optimiser state, such as AdaGrad accumulators or Adam moments.</summary>
    Optimizer,

    /// <summary>Any other named values the caller stores, such as the training step.</summary>
    Extra,
}

/// <summary>One stored tensor, held in host memory.</summary>
/// <param name="Name">Unique name in the checkpoint; model tensors use their dotted path.</param>
/// <param name="Role">What the tensor is for.</param>
/// <param name="Shape">Dimensions, outermost first.</param>
/// <param name="Values">Values in row-major order; the length equals the product of <paramref name="Shape"/>.</param>
public sealed record CheckpointTensor(string Name, TensorRole Role, int[] Shape, float[] Values)
{
    /// <summary>Copies a device tensor to host memory.</summary>
    public static CheckpointTensor FromTensor(string name, TensorRole role, Tensor tensor)
    {
        var values = new float[tensor.Count];
        tensor.Backend.Download(tensor, values);
        return new CheckpointTensor(name, role, tensor.Dims.ToArray(), values);
    }

    /// <summary>Product of the dimensions.</summary>
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);
}

/// <summary>
/// Everything a checkpoint file stores: the architecture, the embedding size, the preprocessing
/// settings (opaque JSON), free-form metadata, and named tensors. See <c>docs/checkpoint-format.md</c>.
/// </summary>
public sealed class CheckpointData
{
    private readonly List<CheckpointTensor> _tensors = new();
    private readonly Dictionary<string, CheckpointTensor> _byName = new(StringComparer.Ordinal);

    /// <summary>Creates an empty checkpoint for <paramref name="architecture"/>.</summary>
    public CheckpointData(string architecture, int embeddingSize)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(architecture);
        ArgumentOutOfRangeException.ThrowIfLessThan(embeddingSize, 1);
        Architecture = architecture;
        EmbeddingSize = embeddingSize;
    }

    /// <summary>Registry name of the architecture, such as <c>nn4-small2</c>.</summary>
    public string Architecture { get; }

    /// <summary>Length of the model's embedding.</summary>
    public int EmbeddingSize { get; }

    /// <summary>How images are prepared for the model; stored as given and not interpreted here.</summary>
    public JsonObject? Preprocessing { get; set; }

    /// <summary>Free-form string metadata, such as the creation time or the training run.</summary>
    public Dictionary<string, string> Metadata { get; } = new(StringComparer.Ordinal);

    /// <summary>Tensors in storage order.</summary>
    public IReadOnlyList<CheckpointTensor> Tensors => _tensors;

    /// <summary>Adds a tensor; names must be unique and the value count must match the shape.</summary>
    /// <exception cref="ArgumentException">The name is taken or the value count does not match the shape.</exception>
    public void Add(CheckpointTensor tensor)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(tensor.Name);
        if (tensor.Shape.Any(d => d < 0) || tensor.ElementCount != tensor.Values.Length)
        {
            throw new ArgumentException(
                $"Checkpoint tensor '{tensor.Name}' has shape {Tensor.Format(tensor.Shape)} " +
                $"but {tensor.Values.Length} values.");
        }
        if (!_byName.TryAdd(tensor.Name, tensor))
        {
            throw new ArgumentException($"Checkpoint already has a tensor named '{tensor.Name}'.");
        }
        _tensors.Add(tensor);
    }

    /// <summary>The tensor named <paramref name="name"/>, or null.</summary>
    public CheckpointTensor? Find(string name) => _byName.GetValueOrDefault(name);

    /// <summary>The tensors with the given role, in storage order.</summary>
    public IEnumerable<CheckpointTensor> WithRole(TensorRole role) => _tensors.Where(t => t.Role == role);
}
