using FaceNet.Runtime.Autograd;
using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Operations;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Runtime.Models;

/// <summary>Square max, average or L2 pooling (see <see cref="PoolKind"/>); no parameters.</summary>
public sealed class PoolLayer : Module
{
    /// <summary>Creates the layer.</summary>
    /// <param name="name">Local name.</param>
    /// <param name="kind">Max, average or L2.</param>
    /// <param name="kernel">Window height and width.</param>
    /// <param name="stride">Stride in both directions.</param>
    /// <param name="padding">Padding on every side.</param>
    /// <param name="ceilMode">Round the output size up instead of down.</param>
    public PoolLayer(string name, PoolKind kind, int kernel, int stride, int padding = 0, bool ceilMode = false)
        : base(name)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(kernel, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(stride, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(padding);
        PoolKind = kind;
        KernelSize = kernel;
        Stride = stride;
        Padding = padding;
        CeilMode = ceilMode;
    }

    /// <summary>Max, average or L2.</summary>
    public PoolKind PoolKind { get; }

    /// <summary>Window height and width.</summary>
    public int KernelSize { get; }

    /// <summary>Stride in both directions.</summary>
    public int Stride { get; }

    /// <summary>Padding on every side.</summary>
    public int Padding { get; }

    /// <summary>Whether the output size is rounded up.</summary>
    public bool CeilMode { get; }

    /// <inheritdoc />
    public override string Kind
    {
        get
        {
            string kind = PoolKind switch
            {
                PoolKind.Max => "max pool",
                PoolKind.Average => "avg pool",
                _ => "L2 pool",
            };
            return $"{kind} {KernelSize}x{KernelSize}/{Stride}";
        }
    }

    /// <inheritdoc />
    public override FeatureShape OutputShape(FeatureShape input)
    {
        if (input.IsFlat)
        {
            throw ShapeError(input, "a CxHxW feature map");
        }
        var geometry = new Pool2dGeometry(1, input.Channels, input.Height, input.Width,
            KernelSize, KernelSize, Stride, Stride, Padding, Padding, CeilMode);
        try
        {
            geometry.Validate(Path);
        }
        catch (ArgumentException e)
        {
            throw new InvalidOperationException($"Layer '{Path}' ({Kind}) cannot pool input {input}: {e.Message}", e);
        }
        return new FeatureShape(input.Channels, geometry.OutH, geometry.OutW);
    }

    /// <inheritdoc />
    public override Tensor Forward(Graph graph, Tensor x) => Run(graph, x, null);

    /// <inheritdoc />
    public override Tensor Forward(Graph graph, Tensor x, Tensor output) => Run(graph, x, output);

    private Tensor Run(Graph graph, Tensor x, Tensor? output)
    {
        OutputShape(ShapeOf(x));
        return PoolKind switch
        {
            PoolKind.Max => Pooling.MaxPool2d(graph, x, KernelSize, Stride, Padding, CeilMode, output),
            PoolKind.Average => Pooling.AvgPool2d(graph, x, KernelSize, Stride, Padding, CeilMode, output),
            _ => Pooling.L2Pool2d(graph, x, KernelSize, Stride, Padding, CeilMode, output),
        };
    }
}
