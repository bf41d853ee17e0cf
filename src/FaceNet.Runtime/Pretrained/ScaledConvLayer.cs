using FaceNet.Runtime.Autograd;
using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Models;
using FaceNet.Runtime.Operations;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Runtime.Pretrained;

/// <summary>
/// A square convolution with bias, then the per-channel scale layer <c>y * scale[c] + shift[c]</c>, then an
/// optional ReLU: the convolution unit of dlib's face recognition ResNet. Parameters: <c>weight</c>
/// (Cout, Cin, K, K), <c>bias</c>, <c>scale</c> and <c>shift</c> (Cout).
/// </summary>
public sealed class ScaledConvLayer : Module
{
    /// <summary>Creates the layer.</summary>
    /// <param name="name">Local name.</param>
    /// <param name="inChannels">Input channels.</param>
    /// <param name="outChannels">Output channels.</param>
    /// <param name="kernel">Kernel side.</param>
    /// <param name="stride">Stride in both directions.</param>
    /// <param name="padding">Zero cells on every side: (kernel - 1) / 2 for TensorFlow "SAME" at stride 1,
    /// 0 for "VALID".</param>
    /// <param name="relu">Whether ReLU follows the scale layer.</param>
    public ScaledConvLayer(string name, int inChannels, int outChannels, int kernel, int stride, int padding, bool relu)
        : base(name)
    {
        InChannels = inChannels;
        OutChannels = outChannels;
        Kernel = kernel;
        Stride = stride;
        Padding = padding;
        Relu = relu;
        DeclareParameter("weight", [outChannels, inChannels, kernel, kernel], Initialization.HeNormal,
            inChannels * kernel * kernel);
        DeclareParameter("bias", [outChannels], Initialization.Zeros);
        DeclareParameter("scale", [outChannels], Initialization.Ones);
        DeclareParameter("shift", [outChannels], Initialization.Zeros);
    }

    /// <summary>Input channels.</summary>
    public int InChannels { get; }

    /// <summary>Output channels.</summary>
    public int OutChannels { get; }

    /// <summary>Kernel side.</summary>
    public int Kernel { get; }

    /// <summary>Stride in both directions.</summary>
    public int Stride { get; }

    /// <summary>Zero cells added on every side.</summary>
    public int Padding { get; }

    /// <summary>Whether ReLU follows.</summary>
    public bool Relu { get; }

    /// <inheritdoc />
    public override string Kind =>
        $"conv {Kernel}x{Kernel}{(Stride == 1 ? "" : "/" + Stride)} + scale{(Relu ? " + relu" : "")}";

    /// <inheritdoc />
    public override FeatureShape OutputShape(FeatureShape input)
    {
        if (input.IsFlat || input.Channels != InChannels || input.Height + 2 * Padding < Kernel ||
            input.Width + 2 * Padding < Kernel)
        {
            throw ShapeError(input, $"{InChannels} channels of at least {Kernel - 2 * Padding}x{Kernel - 2 * Padding}");
        }
        Conv2dGeometry g = Geometry(input);
        return new FeatureShape(OutChannels, g.OutH, g.OutW);
    }

    /// <inheritdoc />
    protected override long OwnMultiplyAdds(FeatureShape input) => Geometry(input).MultiplyAdds;

    /// <inheritdoc />
    public override Tensor Forward(Graph graph, Tensor x)
    {
        OutputShape(ShapeOf(x));
        Tensor y = Convolution.Conv2d(graph, x, GetParameter("weight").Value, GetParameter("bias").Value, Stride,
            Padding);
        y = Arithmetic.ScaleShift(graph, y, GetParameter("scale").Value, GetParameter("shift").Value);
        return Relu ? Activations.Relu(graph, y) : y;
    }

    private Conv2dGeometry Geometry(FeatureShape input) =>
        new(1, InChannels, input.Height, input.Width, OutChannels, Kernel, Kernel, Stride, Stride, Padding, Padding);
}
