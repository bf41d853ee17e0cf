using System.Collections.Concurrent;

namespace FaceNet.Kernels.Driver;

/// <summary>
/// <see cref="ICudaDriver"/> that runs the kernels of <c>kernels/*.cu</c> compiled for the CPU into
/// <c>libfacenet_emu.so</c>. "Device" memory is host memory that the library allocates (256-byte aligned, like
/// <c>cuMemAlloc</c>), launches are synchronous, and SGEMM runs on the host (<see cref="HostGemm"/>). Launch errors (unknown kernel, invalid
/// block, too much shared memory, a barrier deadlock, a misused warp collective) throw <see cref="CudaException"/>
/// with the emulator's message.
/// </summary>
public sealed unsafe class EmulatedDriver : ICudaDriver
{
    private readonly EmulatorLibrary _library;
    private readonly ConcurrentDictionary<ulong, long> _allocations = new();
    private long _allocatedBytes;
    private bool _disposed;

    /// <summary>
    /// Loads the emulation library: <paramref name="library"/> (a file name in the application folder or a path),
    /// else the one named by the environment variable <c>FACENET_EMU_LIBRARY</c>, else <c>libfacenet_emu.so</c>.
    /// Throws <see cref="CudaException"/> when the file is missing.
    /// </summary>
    public EmulatedDriver(string? library = null)
    {
        _library = EmulatorLibrary.Open(library);
    }

    /// <inheritdoc />
    public string Name => "emulated";

    /// <inheritdoc />
    public string DeviceName => $"CUDA emulator on {_library.ThreadCount} CPU threads";

    /// <summary>Full path of the loaded emulation library.</summary>
    public string LibraryPath => _library.Path;

    /// <summary>Bytes currently allocated through <see cref="Allocate"/>.</summary>
    public long AllocatedBytes => Interlocked.Read(ref _allocatedBytes);

    /// <summary>Names of all kernels compiled into the emulation library.</summary>
    public IReadOnlyList<string> KernelNames => _library.KernelNames();

    /// <summary>
    /// OS threads that run blocks, the launching thread included (default: <c>FACENET_EMU_THREADS</c>, else the core
    /// count). The setting is process-wide.
    /// </summary>
    public int ThreadCount
    {
        get => _library.ThreadCount;
        set => ThrowIfEmulatorFailed(_library.SetThreadCount(value), "set the emulator thread count");
    }

    /// <inheritdoc />
    public CudaModule LoadModule(string name, byte[] ptx)
    {
        // Every kernel is compiled into the library, so a module is only a name for error messages.
        return new CudaModule(name, 0);
    }

    /// <inheritdoc />
    public CudaFunction GetFunction(CudaModule module, string kernelName)
    {
        ArgumentNullException.ThrowIfNull(module);
        nint kernel = _library.FindKernel(kernelName);
        if (kernel == 0)
        {
            throw new CudaException($"Kernel '{kernelName}' of module '{module.Name}' was not found: " +
                _library.LastError());
        }
        return new CudaFunction(kernelName, kernel);
    }

    /// <inheritdoc />
    public void Launch(CudaFunction function, Dim3 grid, Dim3 block, int dynamicSharedBytes, void** arguments)
    {
        ArgumentNullException.ThrowIfNull(function);
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(dynamicSharedBytes);
        int status = _library.Launch(function.Handle, grid, block, (uint)dynamicSharedBytes, arguments);
        ThrowIfEmulatorFailed(status, $"launch kernel '{function.Name}' (grid {grid}, block {block})");
    }

    /// <summary>Lets <paramref name="function"/> use more than 48 KiB of dynamic shared memory (up to 227 KiB).</summary>
    public void SetMaxDynamicSharedBytes(CudaFunction function, int bytes)
    {
        ArgumentNullException.ThrowIfNull(function);
        ThrowIfEmulatorFailed(_library.SetMaxDynamicShared(function.Handle, bytes),
            $"set the dynamic shared memory limit of '{function.Name}'");
    }

    /// <inheritdoc />
    public DevicePointer Allocate(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        ObjectDisposedException.ThrowIf(_disposed, this);
        void* memory = _library.DeviceAlloc((nuint)bytes);
        if (memory == null)
        {
            throw new CudaOutOfMemoryException($"Allocating {bytes:N0} bytes of emulated device memory failed with " +
                $"{AllocatedBytes:N0} bytes in use. Use a smaller batch.");
        }

        _allocations[(ulong)memory] = bytes;
        Interlocked.Add(ref _allocatedBytes, bytes);
        return new DevicePointer((ulong)memory);
    }

    /// <inheritdoc />
    public void Free(DevicePointer pointer)
    {
        if (pointer == DevicePointer.Null)
        {
            return;
        }
        if (!_allocations.TryRemove(pointer.Address, out long bytes))
        {
            throw new CudaException($"cuMemFree_v2 failed: address 0x{pointer.Address:x} was not returned by Allocate " +
                "of this driver or was already freed.");
        }
        Interlocked.Add(ref _allocatedBytes, -bytes);
        _library.DeviceFree((void*)pointer.Address);
    }

    /// <inheritdoc />
    public void CopyToDevice(DevicePointer destination, void* source, long bytes) =>
        Buffer.MemoryCopy(source, (void*)destination.Address, bytes, bytes);

    /// <inheritdoc />
    public void CopyToHost(void* destination, DevicePointer source, long bytes) =>
        Buffer.MemoryCopy((void*)source.Address, destination, bytes, bytes);

    /// <inheritdoc />
    public void CopyDeviceToDevice(DevicePointer destination, DevicePointer source, long bytes) =>
        Buffer.MemoryCopy((void*)source.Address, (void*)destination.Address, bytes, bytes);

    /// <inheritdoc />
    public void Memset32(DevicePointer destination, uint value, long count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        uint* words = (uint*)destination.Address;
        while (count > 0)
        {
            int chunk = (int)Math.Min(count, int.MaxValue);
            new Span<uint>(words, chunk).Fill(value);
            words += chunk;
            count -= chunk;
        }
    }

    /// <inheritdoc />
    public void Synchronize()
    {
        // Launches and copies complete before they return.
    }

    /// <inheritdoc />
    public void Sgemm(bool transposeA, bool transposeB, int m, int n, int k, float alpha, DevicePointer a, int lda,
        DevicePointer b, int ldb, float beta, DevicePointer c, int ldc)
    {
        HostGemm.Sgemm(transposeA, transposeB, m, n, k, alpha, (float*)a.Address, lda, (float*)b.Address, ldb, beta,
            (float*)c.Address, ldc);
    }

    /// <inheritdoc />
    public void SgemmStridedBatched(bool transposeA, bool transposeB, int m, int n, int k, float alpha,
        DevicePointer a, int lda, long strideA, DevicePointer b, int ldb, long strideB, float beta,
        DevicePointer c, int ldc, long strideC, int batchCount)
    {
        HostGemm.SgemmStridedBatched(transposeA, transposeB, m, n, k, alpha, (float*)a.Address, lda, strideA,
            (float*)b.Address, ldb, strideB, beta, (float*)c.Address, ldc, strideC, batchCount);
    }

    /// <summary>Frees every allocation still outstanding. The native library stays loaded.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        foreach (ulong address in _allocations.Keys)
        {
            if (_allocations.TryRemove(address, out long bytes))
            {
                Interlocked.Add(ref _allocatedBytes, -bytes);
                _library.DeviceFree((void*)address);
            }
        }
    }

    private void ThrowIfEmulatorFailed(int status, string action)
    {
        if (status != 0)
        {
            throw new CudaException($"Failed to {action}: {EmulatorLibrary.ErrorName(status)}: {_library.LastError()}");
        }
    }
}
