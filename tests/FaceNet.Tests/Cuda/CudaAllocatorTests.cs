using FaceNet.Kernels;
using FaceNet.Kernels.Driver;

namespace FaceNet.Tests.Cuda;

/// <summary>Tests of the caching allocator and the launch plumbing that need no kernels.</summary>
public sealed class CudaAllocatorTests
{
    [Theory]
    [InlineData(1, 256)]
    [InlineData(256, 256)]
    [InlineData(257, 320)]
    [InlineData(1000, 1024)]
    [InlineData(1025, 1280)]
    [InlineData(3_000_000, 3_145_728)]
    public void SizeClass_RoundsUpByAQuarterPower(long bytes, long expected)
    {
        Assert.Equal(expected, CudaAllocator.SizeClass(bytes));
    }

    [Fact]
    public void Allocate_AfterRelease_ReusesTheBlock()
    {
        using var driver = new CountingDriver(long.MaxValue);
        using var backend = new CudaBackend(driver, ownsDriver: false);

        var first = (CudaBuffer)backend.Allocate(1000);
        backend.Release(first);
        var second = (CudaBuffer)backend.Allocate(990);

        Assert.Equal(first.Pointer, second.Pointer);
        Assert.Equal(990, second.Length);
        Assert.Equal(1, backend.PoolStatistics.FreshAllocations);
        Assert.Equal(1, backend.PoolStatistics.Reuses);
        Assert.Equal(1, backend.PoolStatistics.LiveBuffers);
        Assert.Equal(1, driver.Allocations);
    }

    [Fact]
    public void Release_Twice_Throws()
    {
        using var driver = new CountingDriver(long.MaxValue);
        using var backend = new CudaBackend(driver, ownsDriver: false);
        var buffer = backend.Allocate(10);
        backend.Release(buffer);

        var error = Assert.Throws<InvalidOperationException>(() => backend.Release(buffer));
        Assert.Contains("released twice", error.Message);
    }

    [Fact]
    public void Allocate_DeviceFull_FreesCacheAndRetries()
    {
        using var driver = new CountingDriver(capacity: 8192);
        using var backend = new CudaBackend(driver, ownsDriver: false);
        backend.Release(backend.Allocate(1024)); // 4 KiB cached in one size class

        var buffer = (CudaBuffer)backend.Allocate(1500); // 6 KiB fits only after the cache is freed

        Assert.Equal(6144, buffer.BlockBytes);
        Assert.Equal(0, backend.PoolStatistics.PooledBytes);
    }

    [Fact]
    public void Allocate_DeviceFull_ReportsRequestAndCache()
    {
        using var driver = new CountingDriver(capacity: 8192);
        using var backend = new CudaBackend(driver, ownsDriver: false);
        var live = backend.Allocate(1024);
        backend.Release(backend.Allocate(256));

        var error = Assert.Throws<CudaOutOfMemoryException>(() => backend.Allocate(4096));

        Assert.Contains("16,384 bytes", error.Message);
        Assert.Contains("1,024 cached bytes", error.Message);
        Assert.Contains("4,096 bytes are in live buffers", error.Message);
        Assert.Equal(1, backend.PoolStatistics.LiveBuffers);
        backend.Release(live);
    }

    [Fact]
    public void FilterSplits_ShallowReduction_UsesOneSlice()
    {
        (int splits, int depth) = CudaBackend.FilterSplits(64, 27, 100);

        Assert.Equal(1, splits);
        Assert.Equal(112, depth);
    }

    [Fact]
    public void FilterSplits_DeepReduction_CoversEveryPosition()
    {
        (int splits, int depth) = CudaBackend.FilterSplits(64, 576, 64 * 48 * 48);

        Assert.True(splits > 1, $"expected a split reduction, got {splits} slice");
        Assert.Equal(0, depth % 16);
        Assert.True(splits * depth >= 64 * 48 * 48, $"{splits} slices of {depth} miss positions");
        Assert.True((splits - 1) * depth < 64 * 48 * 48, $"slice {splits - 1} of {depth} positions is empty");
    }

    /// <summary>A driver with a byte budget that only counts memory; launching anything is a test bug.</summary>
    private sealed class CountingDriver(long capacity) : ICudaDriver
    {
        private long _used;
        private ulong _next = 0x1000;
        private readonly Dictionary<ulong, long> _sizes = new();

        public int Allocations { get; private set; }

        public string Name => "counting";

        public string DeviceName => "counting test device";

        public CudaModule LoadModule(string name, byte[] ptx) => throw new NotSupportedException();

        public CudaFunction GetFunction(CudaModule module, string kernelName) => throw new NotSupportedException();

        public unsafe void Launch(CudaFunction function, Dim3 grid, Dim3 block, int dynamicSharedBytes, void** arguments) =>
            throw new NotSupportedException();

        public DevicePointer Allocate(long bytes)
        {
            if (_used + bytes > capacity)
            {
                throw new CudaOutOfMemoryException($"{bytes} bytes requested, {capacity - _used} free");
            }
            _used += bytes;
            Allocations++;
            ulong address = _next;
            _next += (ulong)bytes;
            _sizes[address] = bytes;
            return new DevicePointer(address);
        }

        public void Free(DevicePointer pointer)
        {
            _used -= _sizes[pointer.Address];
            _sizes.Remove(pointer.Address);
        }

        public unsafe void CopyToDevice(DevicePointer destination, void* source, long bytes) => throw new NotSupportedException();

        public unsafe void CopyToHost(void* destination, DevicePointer source, long bytes) => throw new NotSupportedException();

        public void CopyDeviceToDevice(DevicePointer destination, DevicePointer source, long bytes) =>
            throw new NotSupportedException();

        public void Memset32(DevicePointer destination, uint value, long count) => throw new NotSupportedException();

        public void Synchronize()
        {
        }

        public void Sgemm(bool transposeA, bool transposeB, int m, int n, int k, float alpha, DevicePointer a, int lda,
            DevicePointer b, int ldb, float beta, DevicePointer c, int ldc) => throw new NotSupportedException();

        public void SgemmStridedBatched(bool transposeA, bool transposeB, int m, int n, int k, float alpha,
            DevicePointer a, int lda, long strideA, DevicePointer b, int ldb, long strideB, float beta,
            DevicePointer c, int ldc, long strideC, int batchCount) => throw new NotSupportedException();

        public void Dispose()
        {
        }
    }
}
