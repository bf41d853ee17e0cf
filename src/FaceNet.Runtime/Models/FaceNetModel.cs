using FaceNet.Runtime.Autograd;
using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Runtime.Models;

/// <summary>
/// A named embedding network: RGB images (N, 3, H, W) in, L2-normalised embeddings (N, D) out.
/// Built as a description first (layer table and counts without memory); <see cref="Allocate"/> creates
/// the weights.
/// </summary>
public sealed class FaceNetModel : IDisposable
{
    private readonly Module[] _layers;

    /// <summary>Creates a model from its top-level layers and checks that every tensor name is unique.</summary>
    /// <param name="architecture">Registry name, such as <c>nn4-small2</c>.</param>
    /// <param name="inputHeight">Input image height in pixels.</param>
    /// <param name="inputWidth">Input image width in pixels.</param>
    /// <param name="embeddingSize">Length of the output embedding.</param>
    /// <param name="layers">Top-level layers in forward order; the last must output <paramref name="embeddingSize"/> features.</param>
    public FaceNetModel(string architecture, int inputHeight, int inputWidth, int embeddingSize, params Module[] layers)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(architecture);
        ArgumentOutOfRangeException.ThrowIfLessThan(embeddingSize, 1);
        Architecture = architecture;
        InputHeight = inputHeight;
        InputWidth = inputWidth;
        EmbeddingSize = embeddingSize;
        _layers = layers;

        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (Module layer in layers)
        {
            layer.AssignPaths("");
            if (!names.Add(layer.Name))
            {
                throw new ArgumentException($"Model '{architecture}' has two top-level layers named '{layer.Name}'.");
            }
        }
        var tensorNames = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, _) in ParameterShapes().Concat(StateShapes()))
        {
            if (!tensorNames.Add(name))
            {
                throw new ArgumentException($"Model '{architecture}' has two tensors named '{name}'.");
            }
        }

        FeatureShape output = OutputShape;
        if (!output.IsFlat || output.Channels != embeddingSize)
        {
            throw new ArgumentException(
                $"Model '{architecture}' outputs {output} per image, not a {embeddingSize}-dimensional embedding.");
        }
    }

    /// <summary>Registry name of the architecture.</summary>
    public string Architecture { get; }

    /// <summary>Input image height in pixels.</summary>
    public int InputHeight { get; }

    /// <summary>Input image width in pixels.</summary>
    public int InputWidth { get; }

    /// <summary>Length of the output embedding.</summary>
    public int EmbeddingSize { get; }

    /// <summary>Per-image input shape: 3 x height x width.</summary>
    public FeatureShape InputShape => new(3, InputHeight, InputWidth);

    /// <summary>Per-image output shape.</summary>
    public FeatureShape OutputShape
    {
        get
        {
            FeatureShape shape = InputShape;
            foreach (Module layer in _layers)
            {
                shape = layer.OutputShape(shape);
            }
            return shape;
        }
    }

    /// <summary>Top-level layers in forward order.</summary>
    public IReadOnlyList<Module> Layers => _layers;

    /// <summary>Trainable scalars (running statistics excluded).</summary>
    public long ParameterCount => _layers.Sum(l => l.ParameterCount);

    /// <summary>Multiply-adds of one image's forward pass (see <see cref="LayerRow.MultiplyAdds"/>).</summary>
    public long MultiplyAdds => Describe().Where(r => r.Depth == 0).Sum(r => r.MultiplyAdds);

    /// <summary>Whether the weights exist.</summary>
    public bool IsAllocated => _layers.All(l => l.IsAllocated);

    /// <summary>
    /// The layer table for one image: top-level layers at depth 0, their parts below. Allocates no activations.
    /// </summary>
    public IReadOnlyList<LayerRow> Describe()
    {
        var rows = new List<LayerRow>();
        FeatureShape shape = InputShape;
        foreach (Module layer in _layers)
        {
            shape = layer.Describe(shape, 0, rows);
        }
        return rows;
    }

    /// <summary>Names and dimensions of the trainable tensors, in a fixed order.</summary>
    public IEnumerable<(string Name, int[] Dims)> ParameterShapes() => _layers.SelectMany(l => l.ParameterShapes());

    /// <summary>Names and dimensions of the state tensors (batch normalisation running statistics).</summary>
    public IEnumerable<(string Name, int[] Dims)> StateShapes() => _layers.SelectMany(l => l.StateShapes());

    /// <summary>
    /// Creates every weight on <paramref name="backend"/>, initialised from a <see cref="Random"/> seeded
    /// with <paramref name="seed"/>, so equal seeds give equal weights on every backend.
    /// </summary>
    public void Allocate(IBackend backend, int seed)
    {
        var random = new Random(seed);
        foreach (Module layer in _layers)
        {
            layer.Allocate(backend, random);
        }
    }

    /// <summary>The trainable parameters, in the order of <see cref="ParameterShapes"/>.</summary>
    public IEnumerable<Parameter> Parameters() => _layers.SelectMany(l => l.Parameters());

    /// <summary>The state tensors with their names, in the order of <see cref="StateShapes"/>.</summary>
    public IEnumerable<(string Name, Tensor Tensor)> States() => _layers.SelectMany(l => l.States());

    /// <summary>Computes embeddings (N, D) for images (N, 3, H, W) whose size matches the model's input.</summary>
    /// <exception cref="ArgumentException">The batch does not have the model's input shape.</exception>
    public Tensor Forward(Graph graph, Tensor images)
    {
        if (images.Rank != 4 || images.C != 3 || images.H != InputHeight || images.W != InputWidth)
        {
            throw new ArgumentException(
                $"Model '{Architecture}' expects images of shape [N, 3, {InputHeight}, {InputWidth}] " +
                $"but got {images.ShapeText}; resize the images to {InputWidth}x{InputHeight} first.");
        }
        Tensor y = images;
        foreach (Module layer in _layers)
        {
            y = layer.Forward(graph, y);
        }
        return y;
    }

    /// <summary>Releases every weight and state tensor.</summary>
    public void Dispose()
    {
        foreach (Module layer in _layers)
        {
            layer.Dispose();
        }
    }
}
