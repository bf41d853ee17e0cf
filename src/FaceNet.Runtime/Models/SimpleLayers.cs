using FaceNet.Runtime.Autograd;
using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Operations;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Runtime.Models;

/// <summary>Cross-channel local response normalisation (see <see cref="LrnParameters"/>); no parameters.</summary>
public sealed class LrnLayer : Module
{
    /// <summary>Creates the layer with the given window and constants.</summary>
    public LrnLayer(string name, LrnParameters parameters)
        : base(name)
    {
        Settings = parameters;
    }

    /// <summary>Window size, alpha, beta and k.</summary>
    public LrnParameters Settings { get; }

    /// <inheritdoc />
    public override string Kind => $"LRN {Settings.Size}";

    /// <inheritdoc />
    public override FeatureShape OutputShape(FeatureShape input) =>
        input.IsFlat ? throw ShapeError(input, "a CxHxW feature map") : input;

    /// <inheritdoc />
    public override Tensor Forward(Graph graph, Tensor x)
    {
        OutputShape(ShapeOf(x));
        return Normalization.Lrn(graph, x, Settings);
    }

    /// <inheritdoc />
    public override Tensor Forward(Graph graph, Tensor x, Tensor output)
    {
        OutputShape(ShapeOf(x));
        return Normalization.Lrn(graph, x, Settings, output);
    }
}

/// <summary>Row-wise L2 normalisation <c>y = x / ||x||</c>, which puts embeddings on the unit sphere.</summary>
public sealed class L2NormalizationLayer : Module
{
    /// <summary>Creates the layer.</summary>
    public L2NormalizationLayer(string name)
        : base(name)
    {
    }

    /// <inheritdoc />
    public override string Kind => "L2 normalize";

    /// <inheritdoc />
    public override FeatureShape OutputShape(FeatureShape input) =>
        input.IsFlat ? input : throw ShapeError(input, "a flat feature vector");

    /// <inheritdoc />
    public override Tensor Forward(Graph graph, Tensor x)
    {
        OutputShape(ShapeOf(x));
        return Features.L2Normalize(graph, x);
    }
}

/// <summary>Runs its children one after another.</summary>
public sealed class Sequential : Module
{
    private readonly Module[] _children;

    /// <summary>Creates the sequence; child names must be unique.</summary>
    public Sequential(string name, params Module[] children)
        : base(name)
    {
        if (children.Length == 0)
        {
            throw new ArgumentException($"Sequential '{name}' needs at least one child.", nameof(children));
        }
        _children = children;
    }

    /// <inheritdoc />
    public override IReadOnlyList<Module> Children => _children;

    /// <inheritdoc />
    public override string Kind => "sequential";

    /// <inheritdoc />
    public override FeatureShape OutputShape(FeatureShape input)
    {
        FeatureShape shape = input;
        foreach (Module child in _children)
        {
            shape = child.OutputShape(shape);
        }
        return shape;
    }

    /// <inheritdoc />
    public override Tensor Forward(Graph graph, Tensor x)
    {
        Tensor y = x;
        foreach (Module child in _children)
        {
            y = child.Forward(graph, y);
        }
        return y;
    }

    /// <inheritdoc />
    public override Tensor Forward(Graph graph, Tensor x, Tensor output)
    {
        Tensor y = x;
        for (int i = 0; i < _children.Length - 1; i++)
        {
            y = _children[i].Forward(graph, y);
        }
        return _children[^1].Forward(graph, y, output);
    }
}
