using FaceNet.Runtime.Autograd;
using FaceNet.Runtime.Operations;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Runtime.Models;

/// <summary>
/// A fully connected layer on the flattened input, optionally followed by maxout:
/// <c>z = W x + b</c> with W of shape (Out * P, In), then <c>y[f] = max over j &lt; P of z[f * P + j]</c>
/// when the maxout pool size P is above 1, or ReLU when requested. Weights start He-normal when a
/// non-linearity follows and LeCun-normal otherwise (the embedding layer); the bias starts at zero.
/// </summary>
public sealed class FullyConnectedLayer : Module
{
    /// <summary>Creates the layer.</summary>
    /// <param name="name">Local name.</param>
    /// <param name="inFeatures">Input features (C * H * W of a feature map).</param>
    /// <param name="outFeatures">Output features after maxout.</param>
    /// <param name="maxoutPool">Linear units per output feature; 1 means no maxout.</param>
    /// <param name="bias">Whether the layer adds a bias.</param>
    /// <param name="relu">Whether ReLU follows; not allowed together with maxout.</param>
    public FullyConnectedLayer(string name, int inFeatures, int outFeatures, int maxoutPool = 1, bool bias = true,
        bool relu = false)
        : base(name)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inFeatures, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outFeatures, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxoutPool, 1);
        if (relu && maxoutPool > 1)
        {
            throw new ArgumentException($"Layer '{name}': maxout is already the non-linearity; do not add ReLU.");
        }
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        MaxoutPool = maxoutPool;
        HasBias = bias;
        Relu = relu;

        bool nonLinear = relu || maxoutPool > 1;
        int units = outFeatures * maxoutPool;
        DeclareParameter("weight", [units, inFeatures],
            nonLinear ? Initialization.HeNormal : Initialization.LeCunNormal, inFeatures);
        if (bias)
        {
            DeclareParameter("bias", [units], Initialization.Zeros);
        }
    }

    /// <summary>Input features.</summary>
    public int InFeatures { get; }

    /// <summary>Output features after maxout.</summary>
    public int OutFeatures { get; }

    /// <summary>Linear units per output feature.</summary>
    public int MaxoutPool { get; }

    /// <summary>Whether the layer adds a bias.</summary>
    public bool HasBias { get; }

    /// <summary>Whether ReLU follows.</summary>
    public bool Relu { get; }

    /// <inheritdoc />
    public override string Kind => MaxoutPool > 1 ? $"fc, maxout p={MaxoutPool}" : "fc";

    /// <inheritdoc />
    public override FeatureShape OutputShape(FeatureShape input)
    {
        if (input.Elements != InFeatures)
        {
            throw ShapeError(input, $"{InFeatures} features");
        }
        return FeatureShape.Flat(OutFeatures);
    }

    /// <inheritdoc />
    protected override long OwnMultiplyAdds(FeatureShape input) => (long)InFeatures * OutFeatures * MaxoutPool;

    /// <inheritdoc />
    public override Tensor Forward(Graph graph, Tensor x)
    {
        OutputShape(ShapeOf(x));
        // Linear reads an (N, C, H, W) input as (N, C * H * W) in channel-major order, so no flatten is needed.
        Tensor? bias = HasBias ? GetParameter("bias").Value : null;
        Tensor y = Linear.FullyConnected(graph, x, GetParameter("weight").Value, bias);
        if (MaxoutPool > 1)
        {
            y = Features.Maxout(graph, y, MaxoutPool);
        }
        if (Relu)
        {
            y = Activations.Relu(graph, y);
        }
        return y;
    }
}
