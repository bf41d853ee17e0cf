using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Runtime.Cpu;

/// <summary>
/// The reference backend: managed float arrays, kernels in C# spread over the cores with
/// <see cref="Parallel"/>, GEMM through OpenBLAS when installed and a managed SIMD GEMM otherwise.
/// The kernels for each operation family live in the partial files beside this one.
/// </summary>
public sealed partial class CpuBackend : IBackend
{
    private readonly CpuBufferPool _pool = new();

    /// <summary>The process-wide CPU backend.</summary>
    public static CpuBackend Instance { get; } = new();

    /// <inheritdoc />
    public string Name => "cpu";

    /// <inheritdoc />
    public PoolStatistics PoolStatistics => _pool.Statistics;

    /// <inheritdoc />
    public DeviceBuffer Allocate(int length) => new CpuBuffer(this, _pool.Rent(length));

    /// <inheritdoc />
    public void Release(DeviceBuffer buffer) => _pool.Return(Array(buffer));

    /// <summary>Drops idle pooled arrays.</summary>
    public void TrimPool() => _pool.Trim();

    /// <inheritdoc />
    public void Synchronize()
    {
    }

    /// <summary>The managed array behind a tensor, with a clear error for a tensor of another backend.</summary>
    internal static float[] Array(Tensor t) => Array(t.Buffer);

    internal static float[] Array(DeviceBuffer buffer) => buffer is CpuBuffer cpu
        ? cpu.Array
        : throw new InvalidOperationException(
            $"A {buffer.Backend.Name} buffer was passed to the CPU backend; move the tensor to the CPU first.");

    /// <summary>The contiguous elements of sample <paramref name="n"/>.</summary>
    internal static Span<float> Sample(Tensor t, int n) => Array(t).AsSpan(t.Offset + n * t.BatchStride, t.SampleSize);

    /// <inheritdoc />
    public void Upload(ReadOnlySpan<float> source, Tensor destination)
    {
        CheckLength("Upload", source.Length, destination);
        int sample = destination.SampleSize;
        for (int n = 0; n < destination.N; n++)
        {
            source.Slice(n * sample, sample).CopyTo(Sample(destination, n));
        }
    }

    /// <inheritdoc />
    public void Download(Tensor source, Span<float> destination)
    {
        CheckLength("Download", destination.Length, source);
        int sample = source.SampleSize;
        for (int n = 0; n < source.N; n++)
        {
            Sample(source, n).CopyTo(destination.Slice(n * sample, sample));
        }
    }

    /// <inheritdoc />
    public void Fill(Tensor tensor, float value)
    {
        for (int n = 0; n < tensor.N; n++)
        {
            Sample(tensor, n).Fill(value);
        }
    }

    /// <inheritdoc />
    public void Copy(Tensor source, Tensor destination)
    {
        CheckSameCount("Copy", source, destination);
        for (int n = 0; n < source.N; n++)
        {
            Sample(source, n).CopyTo(Sample(destination, n));
        }
    }

    /// <inheritdoc />
    public void AddScaled(Tensor source, float alpha, Tensor destination)
    {
        CheckSameCount("AddScaled", source, destination);
        for (int n = 0; n < source.N; n++)
        {
            Span<float> dst = Sample(destination, n);
            ReadOnlySpan<float> src = Sample(source, n);
            if (alpha == 1f)
            {
                System.Numerics.Tensors.TensorPrimitives.Add(dst, src, dst);
            }
            else
            {
                System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(src, alpha, dst, dst);
            }
        }
    }

    private static void CheckLength(string operation, int length, Tensor tensor)
    {
        if (length != tensor.Count)
        {
            throw new ArgumentException(
                $"{operation}: host span has {length} elements but tensor {tensor.ShapeText} has {tensor.Count}.");
        }
    }

    private static void CheckSameCount(string operation, Tensor a, Tensor b)
    {
        if (a.N != b.N || a.SampleSize != b.SampleSize)
        {
            throw new ArgumentException($"{operation}: shapes {a.ShapeText} and {b.ShapeText} differ.");
        }
    }
}
