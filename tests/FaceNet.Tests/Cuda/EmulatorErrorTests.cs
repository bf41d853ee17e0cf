using FaceNet.Kernels.Driver;

namespace FaceNet.Tests.Cuda;

/// <summary>Launch errors the emulator must report instead of crashing or hanging.</summary>
public sealed unsafe class EmulatorErrorTests : IDisposable
{
    private readonly EmulatedDriver _driver = new();
    private readonly CudaModule _module;

    public EmulatorErrorTests()
    {
        _module = _driver.LoadModule("emu_selftest", []);
    }

    public void Dispose() => _driver.Dispose();

    [Fact]
    public void GetFunction_UnknownKernel_Throws()
    {
        var error = Assert.Throws<CudaException>(() => _driver.GetFunction(_module, "no_such_kernel"));

        Assert.Contains("no_such_kernel", error.Message);
        Assert.Contains("emu_selftest", error.Message);
    }

    [Fact]
    public void Launch_BlockOf2048Threads_ThrowsInvalidConfiguration()
    {
        DevicePointer output = DeviceArrays.Filled(_driver, 2048, 0);
        ulong outputAddress = output.Address;
        void** arguments = stackalloc void*[] { &outputAddress };

        var error = Assert.Throws<CudaException>(() => _driver.Launch(
            _driver.GetFunction(_module, "selftest_early_exit_barrier"), new Dim3(1), new Dim3(2048), 0, arguments));

        Assert.Contains("FACENET_EMU_ERROR_INVALID_CONFIGURATION", error.Message);
        Assert.Contains("2048 threads", error.Message);
    }

    [Fact]
    public void Launch_BlockZOf65_ThrowsInvalidConfiguration()
    {
        DevicePointer output = DeviceArrays.Filled(_driver, 65, 0);
        ulong outputAddress = output.Address;
        void** arguments = stackalloc void*[] { &outputAddress };

        var error = Assert.Throws<CudaException>(() => _driver.Launch(
            _driver.GetFunction(_module, "selftest_early_exit_barrier"), new Dim3(1), new Dim3(1, 1, 65), 0, arguments));

        Assert.Contains("FACENET_EMU_ERROR_INVALID_CONFIGURATION", error.Message);
    }

    [Fact]
    public void Launch_DynamicSharedOver48KiB_ThrowsUnlessOptedIn()
    {
        int n = 32;
        DevicePointer input = DeviceArrays.Filled(_driver, n, 1f);
        DevicePointer output = DeviceArrays.Filled(_driver, n, 0f);
        ulong inputAddress = input.Address;
        ulong outputAddress = output.Address;
        void** arguments = stackalloc void*[] { &inputAddress, &outputAddress, &n };
        CudaFunction function = _driver.GetFunction(_module, "selftest_reverse_dynamic_shared");

        var error = Assert.Throws<CudaException>(() =>
            _driver.Launch(function, new Dim3(1), new Dim3(32), 48 * 1024 + 4, arguments));
        Assert.Contains("FACENET_EMU_ERROR_SHARED_MEMORY", error.Message);

        _driver.SetMaxDynamicSharedBytes(function, 64 * 1024);
        try
        {
            _driver.Launch(function, new Dim3(1), new Dim3(32), 48 * 1024 + 4, arguments);
        }
        finally
        {
            _driver.SetMaxDynamicSharedBytes(function, 48 * 1024);
        }
        Assert.Equal(1f, DeviceArrays.Download<float>(_driver, output, n)[0]);
    }

    [Fact]
    public void Launch_ThreadsExitBeforeSyncthreads_ReportsDeadlock()
    {
        DevicePointer output = DeviceArrays.Filled(_driver, 64, 0);
        ulong outputAddress = output.Address;
        void** arguments = stackalloc void*[] { &outputAddress };

        var error = Assert.Throws<CudaException>(() => _driver.Launch(
            _driver.GetFunction(_module, "selftest_early_exit_barrier"), new Dim3(3), new Dim3(64), 0, arguments));

        Assert.Contains("FACENET_EMU_ERROR_DEADLOCK", error.Message);
        Assert.Contains("32 of 64 threads wait at __syncthreads", error.Message);
    }

    [Fact]
    public void Launch_AfterDeadlock_RunsNextKernel()
    {
        DevicePointer output = DeviceArrays.Filled(_driver, 64, 0);
        ulong outputAddress = output.Address;
        void** failing = stackalloc void*[] { &outputAddress };
        Assert.Throws<CudaException>(() => _driver.Launch(
            _driver.GetFunction(_module, "selftest_early_exit_barrier"), new Dim3(1), new Dim3(64), 0, failing));

        int n = 256;
        DevicePointer input = DeviceArrays.Filled(_driver, n, 2f);
        DevicePointer sums = DeviceArrays.Filled(_driver, 1, 0f);
        ulong inputAddress = input.Address;
        ulong sumsAddress = sums.Address;
        void** arguments = stackalloc void*[] { &inputAddress, &sumsAddress, &n };
        _driver.Launch(_driver.GetFunction(_module, "selftest_block_sum_static_shared"), new Dim3(1), new Dim3(256), 0,
            arguments);

        Assert.Equal(512f, DeviceArrays.Download<float>(_driver, sums, 1)[0]);
    }

    [Fact]
    public void Launch_ShuffleMaskWithoutOwnLane_Throws()
    {
        DevicePointer output = DeviceArrays.Filled(_driver, 32, 0);
        ulong outputAddress = output.Address;
        void** arguments = stackalloc void*[] { &outputAddress };

        var error = Assert.Throws<CudaException>(() => _driver.Launch(
            _driver.GetFunction(_module, "selftest_shuffle_foreign_mask"), new Dim3(1), new Dim3(32), 0, arguments));

        Assert.Contains("FACENET_EMU_ERROR_INVALID_WARP_COLLECTIVE", error.Message);
        Assert.Contains("does not include its own lane", error.Message);
    }

    [Fact]
    public void Free_UnknownAddress_Throws()
    {
        var error = Assert.Throws<CudaException>(() => _driver.Free(new DevicePointer(0x1000)));

        Assert.Contains("0x1000", error.Message);
    }

    [Fact]
    public void Open_UnknownDriverName_ThrowsListingNames()
    {
        var error = Assert.Throws<ArgumentException>(() => CudaDriverFactory.Open("opencl"));

        Assert.Contains("cuda, emulated", error.Message);
    }

    [Fact]
    public void Open_Emulated_ReturnsEmulatedDriver()
    {
        using ICudaDriver driver = CudaDriverFactory.Open("emulated");

        Assert.Equal("emulated", driver.Name);
    }
}
