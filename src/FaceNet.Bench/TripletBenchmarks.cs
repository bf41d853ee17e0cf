using BenchmarkDotNet.Attributes;
using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Cpu;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Bench;

/// <summary>
/// The fused semi-hard triplet step (distances, mining, loss and gradient in one kernel) on L2-normalised
/// 128-dimensional embeddings with identities of 4 rows. One batch size is odd.
/// </summary>
[Config(typeof(ThroughputConfig))]
public class TripletBenchmarks : IThroughputWork
{
    private const int Dimension = 128;
    private readonly CpuBackend _backend = new();
    private Tensor? _embeddings;
    private Tensor? _gradient;
    private int[] _labels = [];

    /// <summary>Rows in the batch.</summary>
    [Params(64, 127, 512)]
    public int Rows { get; set; } = 64;

    /// <inheritdoc />
    public double Items => Rows;

    /// <inheritdoc />
    public double Flops => 0;

    /// <summary>Random unit rows and labels.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(9);
        var host = new float[Rows * Dimension];
        for (int r = 0; r < Rows; r++)
        {
            double norm = 0;
            for (int d = 0; d < Dimension; d++)
            {
                float v = (float)(random.NextDouble() * 2 - 1);
                host[r * Dimension + d] = v;
                norm += v * v;
            }
            for (int d = 0; d < Dimension; d++)
            {
                host[r * Dimension + d] /= (float)Math.Sqrt(norm);
            }
        }
        _embeddings = Tensor.Own(_backend.Allocate(host.Length), [Rows, Dimension]);
        _backend.Upload(host, _embeddings);
        _gradient = KernelData.Filled(_backend, 0f, Rows, Dimension);
        _labels = Enumerable.Range(0, Rows).Select(i => i / 4).ToArray();
    }

    /// <summary>One fused mining, loss and gradient step.</summary>
    [Benchmark]
    public TripletStats SemiHard() =>
        _backend.TripletSemiHard(_embeddings!, _labels, 0.2f, NegativePolicy.SemiHardOrSkip, _gradient!, 1f);
}
