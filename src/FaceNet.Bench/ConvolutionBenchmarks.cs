using BenchmarkDotNet.Attributes;
using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Cpu;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Bench;

/// <summary>A convolution layer shape at batch 16.</summary>
public sealed record ConvShape(string Name, int InChannels, int Size, int OutChannels, int Kernel, int Stride)
{
    /// <summary>The geometry with "same" padding (kernel / 2).</summary>
    public Conv2dGeometry Geometry => new(16, InChannels, Size, Size, OutChannels, Kernel, Kernel, Stride, Stride,
        Kernel / 2, Kernel / 2);

    /// <inheritdoc />
    public override string ToString() => Name;
}

/// <summary>
/// Convolution forward, data gradient and weight gradient at nn4-small2 layer shapes and one odd size,
/// batch 16. Each pass counts 2 FLOPs per multiply-add of the forward convolution.
/// </summary>
[Config(typeof(ThroughputConfig))]
public class ConvolutionBenchmarks : IThroughputWork
{
    private readonly CpuBackend _backend = new();
    private Tensor? _x;
    private Tensor? _weight;
    private Tensor? _bias;
    private Tensor? _y;
    private Tensor? _dx;
    private Tensor? _dWeight;
    private Tensor? _dBias;

    /// <summary>Layer shapes of nn4-small2 and an odd spatial size.</summary>
    public static IEnumerable<ConvShape> Shapes =>
    [
        new("conv1 7x7/2 96", 3, 96, 64, 7, 2),
        new("conv3 3x3 24", 64, 24, 192, 3, 1),
        new("3a 3x3 12", 96, 12, 128, 3, 1),
        new("3x3 odd 23", 64, 23, 96, 3, 1),
    ];

    /// <summary>The layer.</summary>
    [ParamsSource(nameof(Shapes))]
    public ConvShape Shape { get; set; } = new("conv3 3x3 24", 64, 24, 192, 3, 1);

    /// <inheritdoc />
    public double Items => Shape.Geometry.N;

    /// <inheritdoc />
    public double Flops => 2.0 * Shape.Geometry.MultiplyAdds;

    /// <summary>Allocates input, weights and gradients.</summary>
    [GlobalSetup]
    public void Setup()
    {
        Conv2dGeometry g = Shape.Geometry;
        _x = KernelData.Random(_backend, 1, g.N, g.InChannels, g.H, g.W);
        _weight = KernelData.Random(_backend, 2, g.OutChannels, g.InChannels, g.KernelH, g.KernelW);
        _bias = KernelData.Random(_backend, 3, g.OutChannels);
        _y = KernelData.Random(_backend, 4, g.N, g.OutChannels, g.OutH, g.OutW);
        _dx = KernelData.Filled(_backend, 0f, g.N, g.InChannels, g.H, g.W);
        _dWeight = KernelData.Filled(_backend, 0f, g.OutChannels, g.InChannels, g.KernelH, g.KernelW);
        _dBias = KernelData.Filled(_backend, 0f, g.OutChannels);
    }

    /// <summary>y = relu(conv(x, w) + b).</summary>
    [Benchmark]
    public void Forward() => _backend.Conv2dForward(Shape.Geometry, _x!, _weight!, _bias, _y!, relu: true);

    /// <summary>dx += conv_transpose(dy, w), with y standing in for dy.</summary>
    [Benchmark]
    public void BackwardData() => _backend.Conv2dBackwardData(Shape.Geometry, _y!, _weight!, _dx!);

    /// <summary>dW += correlation(x, dy) and dB += sum dy.</summary>
    [Benchmark]
    public void BackwardFilter() => _backend.Conv2dBackwardFilter(Shape.Geometry, _x!, _y!, _dWeight!, _dBias);
}
