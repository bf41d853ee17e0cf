using FaceNet.Runtime.Cpu;

namespace FaceNet.Tests.Cpu;

public class CpuBufferPoolTests
{
    [Fact]
    public void Return_ManyLengths_KeepsIdleBytesUnderLimit()
    {
        var pool = new CpuBufferPool(idleLimitBytes: 10_000 * sizeof(float));

        // Batch sizes that change every step bring new lengths each time, as a P x K sampler does.
        for (int length = 1_000; length < 4_000; length += 100)
        {
            float[] a = pool.Rent(length);
            float[] b = pool.Rent(length);
            pool.Return(a);
            pool.Return(b);
        }

        Assert.True(pool.Statistics.PooledBytes <= 10_000 * sizeof(float),
            $"{pool.Statistics.PooledBytes} idle bytes kept, limit {10_000 * sizeof(float)}.");
        Assert.Equal(0, pool.Statistics.LiveBuffers);
    }

    [Fact]
    public void Return_OverLimit_KeepsMostRecentLength()
    {
        var pool = new CpuBufferPool(idleLimitBytes: 3_000 * sizeof(float));
        pool.Return(pool.Rent(2_000));
        pool.Return(pool.Rent(2_500));
        long freshBefore = pool.Statistics.FreshAllocations;

        pool.Return(pool.Rent(2_500));

        Assert.Equal(freshBefore, pool.Statistics.FreshAllocations);
    }

    [Fact]
    public void Rent_SameLengthsEveryStep_AllocatesOnlyOnce()
    {
        var pool = new CpuBufferPool(idleLimitBytes: 1 << 20);
        for (int step = 0; step < 5; step++)
        {
            float[][] arrays = [pool.Rent(300), pool.Rent(700), pool.Rent(300)];
            foreach (float[] array in arrays)
            {
                pool.Return(array);
            }
        }

        Assert.Equal(3, pool.Statistics.FreshAllocations);
    }
}
