using FaceNet.Runtime.Autograd;
using FaceNet.Runtime.Models;
using FaceNet.Runtime.Operations;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Runtime.Pretrained;

/// <summary>
/// A residual block of dlib's face recognition ResNet: <c>relu(conv2(conv1(x)) + shortcut(x))</c> with two
/// 3x3 <see cref="ScaledConvLayer"/>s (ReLU after the first only).
/// </summary>
/// <remarks>
/// A plain block keeps the size, so the shortcut is x itself. A downsampling block runs conv1 at stride 2
/// without padding and takes a 2x2 average pool with stride 2 of x as the shortcut, with zero channels
/// appended when the block widens. When the pool's output is larger than the convolutions' (an even
/// input: 8x8 pools to 4x4 but convolves to 3x3), zero rows and columns are appended at the bottom and right
/// of the convolution output first, as face-api does.
/// </remarks>
public sealed class ResidualBlock : Module
{
    private readonly ScaledConvLayer _conv1;
    private readonly ScaledConvLayer _conv2;

    /// <summary>Creates the block.</summary>
    /// <param name="name">Local name, such as <c>conv64_down</c>.</param>
    /// <param name="inChannels">Input channels.</param>
    /// <param name="outChannels">Output channels; at least the input's.</param>
    /// <param name="downsample">Whether the block halves the spatial size.</param>
    public ResidualBlock(string name, int inChannels, int outChannels, bool downsample) : base(name)
    {
        if (outChannels < inChannels || (!downsample && outChannels != inChannels))
        {
            throw new ArgumentException(
                $"Residual block '{name}': {inChannels} to {outChannels} channels needs a downsampling block " +
                "that widens or keeps the channels.");
        }
        Downsample = downsample;
        _conv1 = new ScaledConvLayer("conv1", inChannels, outChannels, 3, downsample ? 2 : 1, downsample ? 0 : 1,
            relu: true);
        _conv2 = new ScaledConvLayer("conv2", outChannels, outChannels, 3, 1, 1, relu: false);
    }

    /// <summary>Whether the block halves the spatial size.</summary>
    public bool Downsample { get; }

    /// <inheritdoc />
    public override string Kind => Downsample ? "residual, down" : "residual";

    /// <inheritdoc />
    public override IReadOnlyList<Module> Children => [_conv1, _conv2];

    /// <inheritdoc />
    public override FeatureShape OutputShape(FeatureShape input)
    {
        FeatureShape convolved = _conv2.OutputShape(_conv1.OutputShape(input));
        if (!Downsample)
        {
            return convolved;
        }
        if (input.Height < 2 || input.Width < 2)
        {
            throw ShapeError(input, "at least 2x2 values");
        }
        return new FeatureShape(convolved.Channels, input.Height / 2, input.Width / 2);
    }

    /// <inheritdoc />
    public override Tensor Forward(Graph graph, Tensor x)
    {
        Tensor y = _conv2.Forward(graph, _conv1.Forward(graph, x));
        Tensor shortcut = x;
        if (Downsample)
        {
            shortcut = Pooling.AvgPool2d(graph, x, kernel: 2, stride: 2);
            int extraRows = shortcut.H - y.H;
            int extraColumns = shortcut.W - y.W;
            if (extraRows > 0 || extraColumns > 0)
            {
                y = Features.ZeroPad2d(graph, y, 0, extraRows, 0, extraColumns);
            }
            if (shortcut.C < y.C)
            {
                shortcut = Arithmetic.PadChannels(graph, shortcut, y.C);
            }
        }
        return Activations.Relu(graph, Arithmetic.Add(graph, y, shortcut));
    }
}
