using FaceNet.Runtime.Autograd;
using FaceNet.Runtime.Operations;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Runtime.Models;

/// <summary>What follows the convolution in a <see cref="ConvBlock"/>.</summary>
/// <param name="Bias">Whether the convolution adds a per-channel bias.</param>
/// <param name="BatchNorm">Whether batch normalisation follows the convolution.</param>
/// <param name="Relu">Whether ReLU follows (after batch normalisation when both are set).</param>
/// <param name="BatchNormMomentum">Weight of the batch statistic in the running-statistics update.</param>
/// <param name="BatchNormEpsilon">Added to the variance before the square root.</param>
public sealed record ConvOptions(
    bool Bias = true, bool BatchNorm = false, bool Relu = true,
    float BatchNormMomentum = 0.1f, float BatchNormEpsilon = 1e-5f)
{
    /// <summary>Convolution with bias and ReLU, no batch normalisation: as in the FaceNet paper's NN1 and NN2 tables.</summary>
    public static ConvOptions BiasRelu { get; } = new();

    /// <summary>Convolution with bias, then batch normalisation and ReLU: OpenFace nn4.small2.</summary>
    public static ConvOptions BiasBatchNormRelu { get; } = new(BatchNorm: true);
}

/// <summary>
/// A square 2-D convolution, optionally followed by batch normalisation and ReLU.
/// Parameters: <c>weight</c> (Cout, Cin, K, K), <c>bias</c> (Cout), <c>bn.gamma</c> and <c>bn.beta</c> (Cout);
/// states: <c>bn.running_mean</c> (zeros) and <c>bn.running_var</c> (ones). Weights start He-normal
/// with fan-in Cin * K * K when ReLU follows, LeCun-normal otherwise; biases start at zero.
/// </summary>
public sealed class ConvBlock : Module
{
    /// <summary>Creates the block.</summary>
    /// <param name="name">Local name.</param>
    /// <param name="inChannels">Input channels.</param>
    /// <param name="outChannels">Output channels.</param>
    /// <param name="kernel">Kernel height and width.</param>
    /// <param name="stride">Stride in both directions.</param>
    /// <param name="padding">Zero padding on every side; null means <c>kernel / 2</c> (size-preserving for odd kernels at stride 1).</param>
    /// <param name="options">Bias, batch normalisation and ReLU; null means <see cref="ConvOptions.BiasRelu"/>.</param>
    public ConvBlock(string name, int inChannels, int outChannels, int kernel, int stride = 1, int? padding = null,
        ConvOptions? options = null)
        : base(name)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inChannels, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outChannels, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(kernel, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(stride, 1);
        InChannels = inChannels;
        OutChannels = outChannels;
        Kernel = kernel;
        Stride = stride;
        Padding = padding ?? kernel / 2;
        ArgumentOutOfRangeException.ThrowIfNegative(Padding, nameof(padding));
        Options = options ?? ConvOptions.BiasRelu;

        int fanIn = inChannels * kernel * kernel;
        Initialization init = Options.Relu ? Initialization.HeNormal : Initialization.LeCunNormal;
        DeclareParameter("weight", [outChannels, inChannels, kernel, kernel], init, fanIn);
        if (Options.Bias)
        {
            DeclareParameter("bias", [outChannels], Initialization.Zeros);
        }
        if (Options.BatchNorm)
        {
            DeclareParameter("bn.gamma", [outChannels], Initialization.Ones);
            DeclareParameter("bn.beta", [outChannels], Initialization.Zeros);
            DeclareState("bn.running_mean", [outChannels], Initialization.Zeros);
            DeclareState("bn.running_var", [outChannels], Initialization.Ones);
        }
    }

    /// <summary>Input channels.</summary>
    public int InChannels { get; }

    /// <summary>Output channels.</summary>
    public int OutChannels { get; }

    /// <summary>Kernel height and width.</summary>
    public int Kernel { get; }

    /// <summary>Stride in both directions.</summary>
    public int Stride { get; }

    /// <summary>Zero padding on every side.</summary>
    public int Padding { get; }

    /// <summary>Bias, batch normalisation and ReLU settings.</summary>
    public ConvOptions Options { get; }

    /// <inheritdoc />
    public override string Kind => Stride == 1 ? $"conv {Kernel}x{Kernel}" : $"conv {Kernel}x{Kernel}/{Stride}";

    /// <inheritdoc />
    public override FeatureShape OutputShape(FeatureShape input)
    {
        if (input.IsFlat || input.Channels != InChannels)
        {
            throw ShapeError(input, $"{InChannels} channels");
        }
        int outH = (input.Height + 2 * Padding - Kernel) / Stride + 1;
        int outW = (input.Width + 2 * Padding - Kernel) / Stride + 1;
        if (input.Height + 2 * Padding < Kernel || input.Width + 2 * Padding < Kernel)
        {
            throw ShapeError(input, $"at least {Kernel - 2 * Padding}x{Kernel - 2 * Padding} pixels");
        }
        return new FeatureShape(OutChannels, outH, outW);
    }

    /// <inheritdoc />
    protected override long OwnMultiplyAdds(FeatureShape input)
    {
        FeatureShape output = OutputShape(input);
        return (long)output.Channels * output.Height * output.Width * InChannels * Kernel * Kernel;
    }

    /// <inheritdoc />
    public override Tensor Forward(Graph graph, Tensor x) => Run(graph, x, null);

    /// <inheritdoc />
    public override Tensor Forward(Graph graph, Tensor x, Tensor output) => Run(graph, x, output);

    // The last of convolution, batch normalisation and ReLU writes into the output when one is given.
    private Tensor Run(Graph graph, Tensor x, Tensor? output)
    {
        OutputShape(ShapeOf(x));
        bool convIsLast = !Options.BatchNorm && !Options.Relu;
        Tensor? bias = Options.Bias ? GetParameter("bias").Value : null;
        Tensor y = Convolution.Conv2d(graph, x, GetParameter("weight").Value, bias, Stride, Stride, Padding, Padding,
            convIsLast ? output : null);
        if (Options.BatchNorm)
        {
            y = Normalization.BatchNorm(graph, y, GetParameter("bn.gamma").Value, GetParameter("bn.beta").Value,
                GetState("bn.running_mean"), GetState("bn.running_var"), Options.BatchNormMomentum,
                Options.BatchNormEpsilon, Options.Relu ? null : output);
        }
        if (Options.Relu)
        {
            y = Activations.Relu(graph, y, output);
        }
        return y;
    }
}
