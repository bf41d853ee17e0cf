using BenchmarkDotNet.Attributes;
using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Cpu;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Bench;

/// <summary>
/// LRN, pooling and batch normalisation, forward and backward, at batch 16 on nn4-small2 feature maps
/// (64x24x24 after the first pooling, 192x12x12 after conv3's pooling) and an odd 23x23 map.
/// These kernels are memory-bound, so only images/s is reported.
/// </summary>
[Config(typeof(ThroughputConfig))]
public class LayerKernelBenchmarks : IThroughputWork
{
    private const int Batch = 16;
    private readonly CpuBackend _backend = new();
    private Tensor? _x;
    private Tensor? _y;
    private Tensor? _scale;
    private Tensor? _dy;
    private Tensor? _dx;
    private Tensor? _maxPooled;
    private Tensor? _l2Pooled;
    private Tensor? _dPooled;
    private Tensor? _gamma;
    private Tensor? _beta;
    private Tensor? _mean;
    private Tensor? _invStd;
    private Tensor? _runningMean;
    private Tensor? _runningVar;
    private Tensor? _dGamma;
    private Tensor? _dBeta;

    /// <summary>Feature map as CxHxW.</summary>
    [Params("64x24x24", "192x12x12", "96x23x23")]
    public string Map { get; set; } = "64x24x24";

    private (int C, int H, int W) Dims
    {
        get
        {
            int[] parts = Map.Split('x').Select(int.Parse).ToArray();
            return (parts[0], parts[1], parts[2]);
        }
    }

    private Pool2dGeometry MaxPool => new(Batch, Dims.C, Dims.H, Dims.W, 3, 3, 2, 2, 1, 1);

    private Pool2dGeometry L2Pool => new(Batch, Dims.C, Dims.H, Dims.W, 3, 3, 3, 3, 0, 0);

    /// <inheritdoc />
    public double Items => Batch;

    /// <inheritdoc />
    public double Flops => 0;

    /// <summary>Allocates the maps and per-channel tensors.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var (c, h, w) = Dims;
        _x = KernelData.Random(_backend, 1, Batch, c, h, w);
        _y = KernelData.Filled(_backend, 0f, Batch, c, h, w);
        _scale = KernelData.Filled(_backend, 1f, Batch, c, h, w);
        _dy = KernelData.Random(_backend, 2, Batch, c, h, w);
        _dx = KernelData.Filled(_backend, 0f, Batch, c, h, w);
        Pool2dGeometry max = MaxPool;
        Pool2dGeometry l2 = L2Pool;
        _maxPooled = KernelData.Filled(_backend, 0f, Batch, c, max.OutH, max.OutW);
        _l2Pooled = KernelData.Filled(_backend, 0f, Batch, c, l2.OutH, l2.OutW);
        _dPooled = KernelData.Random(_backend, 3, Batch, c, max.OutH, max.OutW);
        _gamma = KernelData.Filled(_backend, 1f, c);
        _beta = KernelData.Filled(_backend, 0f, c);
        _mean = KernelData.Filled(_backend, 0f, c);
        _invStd = KernelData.Filled(_backend, 1f, c);
        _runningMean = KernelData.Filled(_backend, 0f, c);
        _runningVar = KernelData.Filled(_backend, 1f, c);
        _dGamma = KernelData.Filled(_backend, 0f, c);
        _dBeta = KernelData.Filled(_backend, 0f, c);
        _backend.LrnForward(LrnParameters.Default, _x, _y, _scale);
        _backend.Pool2dForward(PoolKind.Max, max, _x, _maxPooled);
    }

    /// <summary>LRN forward (size 5).</summary>
    [Benchmark]
    public void LrnForward() => _backend.LrnForward(LrnParameters.Default, _x!, _y!, _scale!);

    /// <summary>LRN backward.</summary>
    [Benchmark]
    public void LrnBackward() => _backend.LrnBackward(LrnParameters.Default, _x!, _y!, _scale!, _dy!, _dx!);

    /// <summary>Max pooling 3x3/2, padding 1.</summary>
    [Benchmark]
    public void MaxPoolForward() => _backend.Pool2dForward(PoolKind.Max, MaxPool, _x!, _maxPooled!);

    /// <summary>Max pooling backward.</summary>
    [Benchmark]
    public void MaxPoolBackward() =>
        _backend.Pool2dBackward(PoolKind.Max, MaxPool, _x!, _maxPooled!, _dPooled!, _dx!);

    /// <summary>L2 pooling 3x3/3, as in nn4-small2's inception blocks.</summary>
    [Benchmark]
    public void L2PoolForward() => _backend.Pool2dForward(PoolKind.L2, L2Pool, _x!, _l2Pooled!);

    /// <summary>Batch normalisation forward with batch statistics.</summary>
    [Benchmark]
    public void BatchNormForward() => _backend.BatchNormForwardTraining(_x!, _gamma!, _beta!, _y!, _mean!, _invStd!,
        _runningMean!, _runningVar!, 0.1f, 1e-5f);

    /// <summary>Batch normalisation backward.</summary>
    [Benchmark]
    public void BatchNormBackward() =>
        _backend.BatchNormBackward(_x!, _dy!, _gamma!, _mean!, _invStd!, _dx!, _dGamma!, _dBeta!);
}
