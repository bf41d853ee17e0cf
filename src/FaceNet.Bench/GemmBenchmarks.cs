using BenchmarkDotNet.Attributes;
using FaceNet.Runtime.Cpu;

namespace FaceNet.Bench;

/// <summary>A GEMM problem: C (M x N) = A (M x K) * B (K x N), row-major, no transposes.</summary>
/// <param name="Name">Label in the summary table.</param>
/// <param name="M">Rows of A and C.</param>
/// <param name="N">Columns of B and C.</param>
/// <param name="K">Columns of A, rows of B.</param>
/// <param name="PerCore">When set, every core runs its own product on the calling thread, as the
/// convolution kernels do with one sample per core; otherwise one product is split across the cores.</param>
public sealed record GemmShape(string Name, int M, int N, int K, bool PerCore)
{
    /// <inheritdoc />
    public override string ToString() => $"{Name} {M}x{N}x{K}";
}

/// <summary>
/// SGEMM through the CPU backend with OpenBLAS and with the managed SIMD kernels, at square sizes (one
/// product split over the cores) and at the im2col shapes of nn4-small2's convolutions (M = output
/// channels, N = output positions, K = input channels * kernel area; one product per core, as in a batch).
/// The "samples" shapes are the products the convolution kernels issue at batch 64 on 2 cores, where
/// several samples' columns sit side by side until N reaches 512 or the core's 32 samples run out.
/// </summary>
[Config(typeof(ThroughputConfig))]
public class GemmBenchmarks : IThroughputWork
{
    private CpuBackend? _backend;
    private float[][] _a = [];
    private float[][] _b = [];
    private float[][] _c = [];

    /// <summary>Square sizes, including an odd one that exercises the kernel tails, and network shapes.</summary>
    public static IEnumerable<GemmShape> Shapes =>
    [
        new("square", 256, 256, 256, false),
        new("square", 512, 512, 512, false),
        new("square", 1024, 1024, 1024, false),
        new("square odd", 1023, 1023, 1023, false),
        new("conv1 7x7/2", 64, 2304, 147, true),
        new("conv3 3x3", 192, 576, 576, true),
        new("3a 3x3", 128, 144, 864, true),
        new("3c 3x3/2", 256, 36, 1152, true),
        new("4a 1x1", 256, 36, 640, true),
        new("5a 3x3", 384, 9, 864, true),
        new("3a 3x3, 4 samples", 128, 576, 864, true),
        new("3c 3x3/2, 15 samples", 256, 540, 1152, true),
        new("4a 1x1, 15 samples", 256, 540, 640, true),
        new("5a 3x3, 32 samples", 384, 288, 864, true),
    ];

    /// <summary>The problem.</summary>
    [ParamsSource(nameof(Shapes))]
    public GemmShape Shape { get; set; } = new("square", 256, 256, 256, false);

    /// <summary>GEMM implementation.</summary>
    [Params(GemmProviderKind.OpenBlas, GemmProviderKind.Managed)]
    public GemmProviderKind Provider { get; set; } = GemmProviderKind.OpenBlas;

    private int Copies => Shape.PerCore ? Environment.ProcessorCount : 1;

    /// <inheritdoc />
    public double Items => 0;

    /// <inheritdoc />
    public double Flops => 2.0 * Shape.M * Shape.N * Shape.K * Copies;

    /// <summary>Creates the backend and random operands, one set per core for per-core shapes.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _backend = new CpuBackend(Provider);
        var random = new Random(3);
        _a = new float[Copies][];
        _b = new float[Copies][];
        _c = new float[Copies][];
        for (int i = 0; i < Copies; i++)
        {
            _a[i] = RandomArray(random, Shape.M * Shape.K);
            _b[i] = RandomArray(random, Shape.K * Shape.N);
            _c[i] = new float[Shape.M * Shape.N];
        }
    }

    /// <summary>One product, or one product per core.</summary>
    [Benchmark]
    public void Sgemm()
    {
        GemmShape s = Shape;
        if (!s.PerCore)
        {
            _backend!.GemmArrays(false, false, s.M, s.N, s.K, 1f, _a[0], 0, s.K, _b[0], 0, s.N, 0f, _c[0], 0, s.N,
                parallel: true);
            return;
        }
        Parallel.For(0, Copies, i => _backend!.GemmArrays(false, false, s.M, s.N, s.K, 1f, _a[i], 0, s.K, _b[i], 0,
            s.N, 0f, _c[i], 0, s.N, parallel: false));
    }

    private static float[] RandomArray(Random random, int length)
    {
        var values = new float[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = (float)(random.NextDouble() * 2 - 1);
        }
        return values;
    }
}
