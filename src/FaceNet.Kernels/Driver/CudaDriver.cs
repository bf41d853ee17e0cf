using System.Text;

namespace FaceNet.Kernels.Driver;

/// <summary>
/// <see cref="ICudaDriver"/> over the real CUDA driver (<c>libcuda.so.1</c>) and cuBLAS. It uses the device's
/// primary context and one stream created with default flags, so kernels, cuBLAS calls and the synchronous
/// <c>cuMemcpy*</c> calls (which run on the legacy default stream) execute in program order.
/// </summary>
public sealed unsafe class CudaDriver : ICudaDriver
{
    private readonly CudaPrimaryContextHandle _context;
    private readonly CudaStreamHandle _stream;
    private readonly CublasHandle _cublas;
    private readonly List<CudaModuleHandle> _modules = [];
    private readonly object _modulesLock = new();
    private bool _disposed;

    /// <summary>Opens device <paramref name="ordinal"/>; throws <see cref="CudaException"/> when it cannot.</summary>
    public CudaDriver(int ordinal = 0)
    {
        CublasApi.EnsureResolver();
        CudaCheck.ThrowIfFailed(CudaApi.cuInit(0), "cuInit");
        CudaCheck.ThrowIfFailed(CudaApi.cuDeviceGet(out int device, ordinal), "cuDeviceGet", $"ordinal {ordinal}");
        Device = device;

        byte* name = stackalloc byte[256];
        CudaCheck.ThrowIfFailed(CudaApi.cuDeviceGetName(name, 256, device), "cuDeviceGetName");
        DeviceName = Encoding.UTF8.GetString(name, new ReadOnlySpan<byte>(name, 256).IndexOf((byte)0));

        CudaCheck.ThrowIfFailed(CudaApi.cuDeviceGetAttribute(out int major,
            CudaApi.AttributeComputeCapabilityMajor, device), "cuDeviceGetAttribute");
        CudaCheck.ThrowIfFailed(CudaApi.cuDeviceGetAttribute(out int minor,
            CudaApi.AttributeComputeCapabilityMinor, device), "cuDeviceGetAttribute");
        CudaCheck.ThrowIfFailed(CudaApi.cuDeviceGetAttribute(out int multiprocessors,
            CudaApi.AttributeMultiprocessorCount, device), "cuDeviceGetAttribute");
        ComputeCapability = major * 10 + minor;
        MultiprocessorCount = multiprocessors;

        CudaCheck.ThrowIfFailed(CudaApi.cuDevicePrimaryCtxRetain(out nint context, device), "cuDevicePrimaryCtxRetain");
        _context = new CudaPrimaryContextHandle(context, device);
        MakeCurrent();

        CudaCheck.ThrowIfFailed(CudaApi.cuStreamCreate(out nint stream, 0), "cuStreamCreate");
        _stream = new CudaStreamHandle(stream);

        CudaCheck.ThrowIfCublasFailed(CublasApi.cublasCreate_v2(out nint cublas), "cublasCreate_v2");
        _cublas = new CublasHandle(cublas);
        CudaCheck.ThrowIfCublasFailed(CublasApi.cublasSetStream_v2(cublas, stream), "cublasSetStream_v2");
    }

    /// <inheritdoc />
    public string Name => "cuda";

    /// <inheritdoc />
    public string DeviceName { get; }

    /// <summary>CUdevice of the open device.</summary>
    public int Device { get; }

    /// <summary>Compute capability as major * 10 + minor, e.g. 90 for an H100 or H200.</summary>
    public int ComputeCapability { get; }

    /// <summary>Number of streaming multiprocessors.</summary>
    public int MultiprocessorCount { get; }

    /// <summary>
    /// The embedded PTX architecture to load on this device: <c>sm_90</c> from compute capability 9.0 on,
    /// <c>sm_80</c> for 8.x (see <see cref="PtxResources.ArchitectureFor"/>).
    /// </summary>
    /// <exception cref="CudaException">The device is older than compute capability 8.0.</exception>
    public string PtxArchitecture => PtxResources.ArchitectureFor(ComputeCapability);

    /// <inheritdoc />
    public CudaModule LoadModule(string name, byte[] ptx)
    {
        ArgumentNullException.ThrowIfNull(ptx);
        MakeCurrent();

        // cuModuleLoadData reads PTX as a NUL-terminated string.
        byte[] image = ptx.Length > 0 && ptx[^1] == 0 ? ptx : [.. ptx, 0];
        nint module;
        fixed (byte* imagePointer = image)
        {
            CudaCheck.ThrowIfFailed(CudaApi.cuModuleLoadData(out module, imagePointer), "cuModuleLoadData",
                $"module '{name}', {ptx.Length} bytes of PTX");
        }

        lock (_modulesLock)
        {
            _modules.Add(new CudaModuleHandle(module));
        }
        return new CudaModule(name, module);
    }

    /// <inheritdoc />
    public CudaFunction GetFunction(CudaModule module, string kernelName)
    {
        ArgumentNullException.ThrowIfNull(module);
        MakeCurrent();
        int result = CudaApi.cuModuleGetFunction(out nint function, module.Handle, kernelName);
        if (result == CudaApi.ErrorNotFound)
        {
            throw new CudaException($"Kernel '{kernelName}' was not found in module '{module.Name}'; check that the " +
                "kernel is declared extern \"C\" and that the module's PTX was rebuilt.");
        }
        CudaCheck.ThrowIfFailed(result, "cuModuleGetFunction", $"kernel '{kernelName}' in module '{module.Name}'");
        return new CudaFunction(kernelName, function);
    }

    /// <inheritdoc />
    public void Launch(CudaFunction function, Dim3 grid, Dim3 block, int dynamicSharedBytes, void** arguments)
    {
        ArgumentNullException.ThrowIfNull(function);
        MakeCurrent();
        int result = CudaApi.cuLaunchKernel(function.Handle, grid.X, grid.Y, grid.Z, block.X, block.Y, block.Z,
            (uint)dynamicSharedBytes, _stream.DangerousGetHandle(), arguments, null);
        CudaCheck.ThrowIfFailed(result, "cuLaunchKernel",
            $"kernel '{function.Name}', grid {grid}, block {block}, {dynamicSharedBytes} bytes of dynamic shared memory");
    }

    /// <summary>
    /// Lets <paramref name="function"/> use more than 48 KiB of dynamic shared memory (up to 227 KiB on sm_90).
    /// </summary>
    public void SetMaxDynamicSharedBytes(CudaFunction function, int bytes)
    {
        ArgumentNullException.ThrowIfNull(function);
        MakeCurrent();
        CudaCheck.ThrowIfFailed(CudaApi.cuFuncSetAttribute(function.Handle,
            CudaApi.FunctionAttributeMaxDynamicSharedBytes, bytes), "cuFuncSetAttribute",
            $"kernel '{function.Name}', {bytes} bytes of dynamic shared memory");
    }

    /// <inheritdoc />
    public DevicePointer Allocate(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        MakeCurrent();
        int result = CudaApi.cuMemAlloc_v2(out ulong pointer, (nuint)Math.Max(bytes, 1));
        if (result == CudaApi.ErrorOutOfMemory)
        {
            CudaApi.cuMemGetInfo_v2(out nuint free, out nuint total);
            throw new CudaOutOfMemoryException($"cuMemAlloc_v2 failed: out of device memory while allocating " +
                $"{bytes:N0} bytes on {DeviceName}; {free:N0} of {total:N0} bytes are free. Use a smaller batch.");
        }
        CudaCheck.ThrowIfFailed(result, "cuMemAlloc_v2", $"{bytes:N0} bytes");
        return new DevicePointer(pointer);
    }

    /// <inheritdoc />
    public void Free(DevicePointer pointer)
    {
        if (pointer == DevicePointer.Null)
        {
            return;
        }
        MakeCurrent();
        CudaCheck.ThrowIfFailed(CudaApi.cuMemFree_v2(pointer.Address), "cuMemFree_v2", $"address 0x{pointer.Address:x}");
    }

    /// <inheritdoc />
    public void CopyToDevice(DevicePointer destination, void* source, long bytes)
    {
        MakeCurrent();
        CudaCheck.ThrowIfFailed(CudaApi.cuMemcpyHtoD_v2(destination.Address, source, (nuint)bytes), "cuMemcpyHtoD_v2",
            $"{bytes:N0} bytes");
    }

    /// <inheritdoc />
    public void CopyToHost(void* destination, DevicePointer source, long bytes)
    {
        MakeCurrent();
        CudaCheck.ThrowIfFailed(CudaApi.cuMemcpyDtoH_v2(destination, source.Address, (nuint)bytes), "cuMemcpyDtoH_v2",
            $"{bytes:N0} bytes");
    }

    /// <inheritdoc />
    public void CopyDeviceToDevice(DevicePointer destination, DevicePointer source, long bytes)
    {
        MakeCurrent();
        CudaCheck.ThrowIfFailed(CudaApi.cuMemcpyDtoD_v2(destination.Address, source.Address, (nuint)bytes),
            "cuMemcpyDtoD_v2", $"{bytes:N0} bytes");
    }

    /// <inheritdoc />
    public void Memset32(DevicePointer destination, uint value, long count)
    {
        MakeCurrent();
        CudaCheck.ThrowIfFailed(CudaApi.cuMemsetD32_v2(destination.Address, value, (nuint)count), "cuMemsetD32_v2",
            $"{count:N0} words");
    }

    /// <inheritdoc />
    public void Synchronize()
    {
        MakeCurrent();
        CudaCheck.ThrowIfFailed(CudaApi.cuStreamSynchronize(_stream.DangerousGetHandle()), "cuStreamSynchronize");
        CudaCheck.ThrowIfFailed(CudaApi.cuCtxSynchronize(), "cuCtxSynchronize");
    }

    /// <summary>Free and total device memory in bytes.</summary>
    public (long Free, long Total) MemoryInfo()
    {
        MakeCurrent();
        CudaCheck.ThrowIfFailed(CudaApi.cuMemGetInfo_v2(out nuint free, out nuint total), "cuMemGetInfo_v2");
        return ((long)free, (long)total);
    }

    /// <summary>
    /// Runs <paramref name="enqueue"/> between two events recorded on the driver's stream and returns the GPU time
    /// between them in milliseconds (event resolution is about 0.5 microseconds).
    /// </summary>
    public float TimeMilliseconds(Action enqueue)
    {
        ArgumentNullException.ThrowIfNull(enqueue);
        MakeCurrent();
        CudaCheck.ThrowIfFailed(CudaApi.cuEventCreate(out nint startEvent, 0), "cuEventCreate");
        using var start = new CudaEventHandle(startEvent);
        CudaCheck.ThrowIfFailed(CudaApi.cuEventCreate(out nint endEvent, 0), "cuEventCreate");
        using var end = new CudaEventHandle(endEvent);

        nint stream = _stream.DangerousGetHandle();
        CudaCheck.ThrowIfFailed(CudaApi.cuEventRecord(startEvent, stream), "cuEventRecord");
        enqueue();
        CudaCheck.ThrowIfFailed(CudaApi.cuEventRecord(endEvent, stream), "cuEventRecord");
        CudaCheck.ThrowIfFailed(CudaApi.cuEventSynchronize(endEvent), "cuEventSynchronize");
        CudaCheck.ThrowIfFailed(CudaApi.cuEventElapsedTime(out float milliseconds, startEvent, endEvent),
            "cuEventElapsedTime");
        return milliseconds;
    }

    /// <inheritdoc />
    public void Sgemm(bool transposeA, bool transposeB, int m, int n, int k, float alpha, DevicePointer a, int lda,
        DevicePointer b, int ldb, float beta, DevicePointer c, int ldc)
    {
        MakeCurrent();
        int status = CublasApi.cublasSgemm_v2(_cublas.DangerousGetHandle(), Operation(transposeA),
            Operation(transposeB), m, n, k, &alpha, a.Address, lda, b.Address, ldb, &beta, c.Address, ldc);
        CudaCheck.ThrowIfCublasFailed(status, "cublasSgemm_v2",
            $"m={m}, n={n}, k={k}, lda={lda}, ldb={ldb}, ldc={ldc}, transposeA={transposeA}, transposeB={transposeB}");
    }

    /// <inheritdoc />
    public void SgemmStridedBatched(bool transposeA, bool transposeB, int m, int n, int k, float alpha,
        DevicePointer a, int lda, long strideA, DevicePointer b, int ldb, long strideB, float beta,
        DevicePointer c, int ldc, long strideC, int batchCount)
    {
        MakeCurrent();
        int status = CublasApi.cublasSgemmStridedBatched(_cublas.DangerousGetHandle(), Operation(transposeA),
            Operation(transposeB), m, n, k, &alpha, a.Address, lda, strideA, b.Address, ldb, strideB, &beta,
            c.Address, ldc, strideC, batchCount);
        CudaCheck.ThrowIfCublasFailed(status, "cublasSgemmStridedBatched",
            $"m={m}, n={n}, k={k}, batchCount={batchCount}, lda={lda}, ldb={ldb}, ldc={ldc}");
    }

    /// <summary>Destroys the cuBLAS handle, the stream and the modules, then releases the primary context.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        MakeCurrent();
        _disposed = true;
        _cublas.Dispose();
        _stream.Dispose();
        lock (_modulesLock)
        {
            foreach (CudaModuleHandle module in _modules)
            {
                module.Dispose();
            }
            _modules.Clear();
        }
        _context.Dispose();
    }

    private static int Operation(bool transpose) => transpose ? CublasApi.OperationTranspose : CublasApi.OperationNone;

    // The primary context must be current on whichever thread calls in; setting it is a cheap driver call.
    private void MakeCurrent()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        CudaCheck.ThrowIfFailed(CudaApi.cuCtxSetCurrent(_context.DangerousGetHandle()), "cuCtxSetCurrent");
    }
}
