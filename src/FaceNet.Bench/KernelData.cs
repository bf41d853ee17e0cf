using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Bench;

/// <summary>Seeded random tensors for the kernel benchmarks.</summary>
internal static class KernelData
{
    /// <summary>Allocates a tensor on the backend filled with uniform values in [-1, 1).</summary>
    public static Tensor Random(IBackend backend, int seed, params int[] dims)
    {
        int count = 1;
        foreach (int d in dims)
        {
            count *= d;
        }
        var random = new Random(seed);
        var host = new float[count];
        for (int i = 0; i < count; i++)
        {
            host[i] = (float)(random.NextDouble() * 2 - 1);
        }
        Tensor t = Tensor.Own(backend.Allocate(count), dims);
        backend.Upload(host, t);
        return t;
    }

    /// <summary>Allocates a tensor filled with <paramref name="value"/>.</summary>
    public static Tensor Filled(IBackend backend, float value, params int[] dims)
    {
        int count = 1;
        foreach (int d in dims)
        {
            count *= d;
        }
        Tensor t = Tensor.Own(backend.Allocate(count), dims);
        backend.Fill(t, value);
        return t;
    }
}
