using FaceNet.Kernels;
using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Cpu;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Tests.Cuda;

/// <summary>
/// Compares every <see cref="IBackend"/> kernel of <see cref="CudaBackend"/> on the emulated driver with
/// <see cref="CpuBackend"/>, the reference. Cases cover several launch shapes, odd sizes that leave partial
/// blocks and tiles, and channel-slice views. The kernel families are in the partial files beside this one.
/// </summary>
public sealed partial class ParityTests : IClassFixture<EmulatedBackendFixture>
{
    /// <summary>Bit-identical: the kernel does the same single float operation (or none) per element.</summary>
    private static readonly Tolerance Exact = new(0f, 0f);

    /// <summary>
    /// One or two float operations per element. Either side may contract a multiply-add into an FMA, which
    /// rounds once instead of twice, so results differ by an ulp or so.
    /// </summary>
    private static readonly Tolerance Elementwise = new(1e-6f, 2e-6f);

    /// <summary>
    /// Sums of up to a few hundred products of values in [-1, 1] (GEMM, convolution, distances). The
    /// kernels sum in tile order and the CPU in its own order; each order's rounding error grows with
    /// sqrt(terms) * 6e-8 * |terms|, which stays under 1e-4 for these sizes.
    /// </summary>
    private static readonly Tolerance Reduction = new(1e-4f, 1e-4f);

    /// <summary>Sums of about a thousand products: the rounding error above grows with sqrt(terms).</summary>
    private static readonly Tolerance LongReduction = new(3e-4f, 1e-4f);

    /// <summary>
    /// Statistics over whole channels followed by a division by the standard deviation (batch
    /// normalisation, L2 normalisation): the reduction error above, amplified by 1 / std of order 2.
    /// </summary>
    private static readonly Tolerance Statistics = new(2e-4f, 2e-4f);

    /// <summary>
    /// LRN and Adam use powf and sqrtf, whose device and libm results may differ by an ulp; the backward
    /// pass sums a few such terms.
    /// </summary>
    private static readonly Tolerance Transcendental = new(2e-6f, 1e-5f);

    private readonly CudaBackend _cuda;
    private readonly CpuBackend _cpu = CpuBackend.Instance;

    public ParityTests(EmulatedBackendFixture fixture) => _cuda = fixture.Backend;

    /// <summary>Random tensor pair with values in [-1, 1).</summary>
    private TensorPair Random(int seed, params int[] dims)
    {
        int count = dims.Aggregate(1, (a, b) => a * b);
        var random = new Random(seed);
        float[] values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = (float)(random.NextDouble() * 2 - 1);
        }
        return FromValues(values, dims);
    }

    /// <summary>Random tensor pair with values in [low, high).</summary>
    private TensorPair Uniform(int seed, float low, float high, params int[] dims)
    {
        int count = dims.Aggregate(1, (a, b) => a * b);
        var random = new Random(seed);
        float[] values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = low + (float)random.NextDouble() * (high - low);
        }
        return FromValues(values, dims);
    }

    private TensorPair FromValues(float[] values, int[] dims)
    {
        Tensor cpu = Tensor.Own(_cpu.Allocate(values.Length), dims);
        Tensor cuda = Tensor.Own(_cuda.Allocate(values.Length), dims);
        _cpu.Upload(values, cpu);
        _cuda.Upload(values, cuda);
        return new TensorPair(cpu, cuda);
    }

    /// <summary>Asserts that the two tensors agree within <c>abs + rel * |cpu|</c> element by element.</summary>
    private void AssertClose(TensorPair pair, Tolerance tolerance, string caseName)
    {
        float[] expected = new float[pair.Cpu.Count];
        float[] actual = new float[pair.Cuda.Count];
        _cpu.Download(pair.Cpu, expected);
        _cuda.Download(pair.Cuda, actual);
        AssertClose(expected, actual, tolerance, caseName);
    }

    private static void AssertClose(float[] expected, float[] actual, Tolerance tolerance, string caseName)
    {
        Assert.True(expected.Length == actual.Length, $"{caseName}: {actual.Length} elements, expected {expected.Length}.");
        int worst = -1;
        double worstExcess = 0;
        int failures = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double limit = tolerance.Absolute + tolerance.Relative * Math.Abs(expected[i]);
            double error = Math.Abs((double)expected[i] - actual[i]);
            bool bad = double.IsNaN(actual[i]) != double.IsNaN(expected[i]) || error > limit;
            if (bad)
            {
                failures++;
                if (worst < 0 || error - limit > worstExcess)
                {
                    worst = i;
                    worstExcess = error - limit;
                }
            }
        }
        Assert.True(failures == 0,
            $"{caseName}: {failures} of {expected.Length} elements differ; worst at {worst}: cuda {Value(actual, worst)}, " +
            $"cpu {Value(expected, worst)} (tolerance {tolerance.Absolute:G3} + {tolerance.Relative:G3} * |cpu|).");
    }

    private static string Value(float[] values, int index) => index >= 0 ? values[index].ToString("G9") : "-";
}

/// <summary>Absolute and relative parts of an element-wise tolerance.</summary>
internal readonly record struct Tolerance(float Absolute, float Relative);

/// <summary>The same tensor on the CPU backend and on the CUDA backend.</summary>
internal sealed class TensorPair(Tensor cpu, Tensor cuda) : IDisposable
{
    public Tensor Cpu { get; } = cpu;

    public Tensor Cuda { get; } = cuda;

    /// <summary>Channel slice [start, start + count) of both tensors.</summary>
    public TensorPair Slice(int start, int count) => new(Cpu.SliceChannels(start, count), Cuda.SliceChannels(start, count));

    public void Dispose()
    {
        Cpu.Dispose();
        Cuda.Dispose();
    }
}
