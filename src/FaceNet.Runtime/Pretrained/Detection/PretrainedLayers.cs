using FaceNet.Runtime.Autograd;
using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Cpu;
using FaceNet.Runtime.Operations;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Runtime.Pretrained;

/// <summary>
/// Parameter loading and the TensorFlow-style layers that the face-api detectors and the landmark network
/// share: convolutions with "SAME" padding, which pads the odd cell after (bottom, right), and separable
/// convolutions (depthwise, then pointwise with bias).
/// </summary>
internal sealed class PretrainedLayers : IDisposable
{
    private readonly List<Parameter> _parameters = new();

    public PretrainedLayers(IBackend backend, TfjsWeights weights)
    {
        Backend = backend;
        Weights = weights;
    }

    /// <summary>
    /// Reads a TensorFlow.js manifest and builds a network from its weights; the uploaded parameters are
    /// released when <paramref name="build"/> throws, so a bad file leaks nothing.
    /// </summary>
    public static TNetwork Build<TNetwork>(string manifestPath, IBackend? backend, Func<PretrainedLayers, TNetwork> build)
    {
        var layers = new PretrainedLayers(backend ?? CpuBackend.Instance, TfjsWeights.Load(manifestPath));
        try
        {
            return build(layers);
        }
        catch
        {
            layers.Dispose();
            throw;
        }
    }

    public IBackend Backend { get; }

    public TfjsWeights Weights { get; }

    public IReadOnlyList<Parameter> Parameters => _parameters;

    /// <summary>Uploads values into a new parameter of the given shape.</summary>
    public Parameter Add(string name, float[] values, params int[] dims)
    {
        var parameter = new Parameter(name, Backend, dims);
        Backend.Upload(values, parameter.Value);
        _parameters.Add(parameter);
        return parameter;
    }

    /// <summary>A convolution filter <c>[KH, KW, Cin, Cout]</c> as an OIHW parameter.</summary>
    public Parameter Convolution(string name, int kernel, int inChannels, int outChannels)
    {
        TfjsTensor filter = Weights.Get(name, kernel, kernel, inChannels, outChannels);
        return Add(name, TfLayout.ConvolutionFilter(filter), outChannels, inChannels, kernel, kernel);
    }

    /// <summary>A depthwise filter <c>[KH, KW, C, 1]</c> as a (C, 1, KH, KW) parameter.</summary>
    public Parameter Depthwise(string name, int kernel, int channels)
    {
        TfjsTensor filter = Weights.Get(name, kernel, kernel, channels, 1);
        return Add(name, TfLayout.DepthwiseFilter(filter), channels, 1, kernel, kernel);
    }

    /// <summary>A vector weight of <paramref name="length"/> values.</summary>
    public Parameter Vector(string name, int length) => Add(name, Weights.Get(name, length).Values, length);

    /// <summary>
    /// Convolution with TensorFlow "SAME" padding: output <c>ceil(size / stride)</c>, and when the total padding
    /// is odd the extra zero row and column go after, so an explicit zero pad precedes the convolution.
    /// </summary>
    public static Tensor ConvSame(Graph graph, Tensor x, Parameter weight, Parameter? bias, int stride)
    {
        int kernel = weight.Value.Dim(2);
        (Tensor input, int pad) = PadSame(graph, x, kernel, stride);
        return Operations.Convolution.Conv2d(graph, input, weight.Value, bias?.Value, stride, pad);
    }

    /// <summary>Depthwise convolution with TensorFlow "SAME" padding.</summary>
    public static Tensor DepthwiseSame(Graph graph, Tensor x, Parameter weight, Parameter? bias, int stride)
    {
        int kernel = weight.Value.Dim(2);
        (Tensor input, int pad) = PadSame(graph, x, kernel, stride);
        return DepthwiseConvolution.Conv2d(graph, input, weight.Value, bias?.Value, stride, pad);
    }

    /// <summary>
    /// TensorFlow's separable convolution with "SAME" padding: depthwise with the stride, then a 1x1
    /// pointwise convolution, then the bias.
    /// </summary>
    public static Tensor SeparableSame(Graph graph, Tensor x, Parameter depthwise, Parameter pointwise,
        Parameter bias, int stride)
    {
        Tensor spatial = DepthwiseSame(graph, x, depthwise, null, stride);
        return Operations.Convolution.Conv2d(graph, spatial, pointwise.Value, bias.Value, 1, 0);
    }

    /// <summary>
    /// Returns the input and the symmetric padding to give the convolution. An asymmetric "SAME" padding is
    /// applied here as an explicit zero pad, so the convolution then gets none.
    /// </summary>
    private static (Tensor Input, int Pad) PadSame(Graph graph, Tensor x, int kernel, int stride)
    {
        (int top, int bottom) = TensorFlowPadding.Same(x.H, kernel, stride);
        (int left, int right) = TensorFlowPadding.Same(x.W, kernel, stride);
        if (top == bottom && left == right && top == left)
        {
            return (x, top);
        }
        return (Features.ZeroPad2d(graph, x, top, bottom, left, right), 0);
    }

    public void Dispose()
    {
        foreach (Parameter parameter in _parameters)
        {
            parameter.Dispose();
        }
        _parameters.Clear();
    }
}
