using FaceNet.Runtime.Autograd;
using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Models;
using FaceNet.Runtime.Operations;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Runtime.Pretrained;

/// <summary>The mean of each channel over its whole feature map: (N, C, H, W) to (N, C, 1, 1).</summary>
public sealed class GlobalAveragePool(string name) : Module(name)
{
    /// <inheritdoc />
    public override string Kind => "global avg pool";

    /// <inheritdoc />
    public override FeatureShape OutputShape(FeatureShape input) =>
        input.IsFlat ? throw ShapeError(input, "a feature map") : new FeatureShape(input.Channels, 1, 1);

    /// <inheritdoc />
    public override Tensor Forward(Graph graph, Tensor x)
    {
        OutputShape(ShapeOf(x));
        return Pooling.Pool2d(graph, PoolKind.Average, x, x.H, x.W, 1, 1, 0, 0);
    }
}
