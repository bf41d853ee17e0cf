namespace FaceNet.Kernels.Driver;

/// <summary>A device address: a CUdeviceptr on a GPU, a host address under emulation.</summary>
public readonly record struct DevicePointer(ulong Address)
{
    /// <summary>The null pointer.</summary>
    public static DevicePointer Null => default;

    /// <summary>This address plus <paramref name="bytes"/>.</summary>
    public DevicePointer Add(long bytes) => new(Address + (ulong)bytes);
}

/// <summary>Grid or block dimensions of a launch.</summary>
public readonly record struct Dim3(uint X, uint Y = 1, uint Z = 1);

/// <summary>
/// The part of the CUDA driver API and cuBLAS that the CUDA backend uses. Two implementations:
/// the real driver (<c>libcuda.so.1</c> and <c>libcublas</c>) and the emulated driver, which runs the same
/// kernel sources compiled for the CPU. The backend's launch code is identical for both.
/// </summary>
public interface ICudaDriver : IDisposable
{
    /// <summary><c>cuda</c> or <c>emulated</c>.</summary>
    string Name { get; }

    /// <summary>Device name as the driver reports it.</summary>
    string DeviceName { get; }

    /// <summary>
    /// Loads a module. The real driver JIT-compiles <paramref name="ptx"/>; the emulated driver ignores it and
    /// resolves kernels compiled into its native library.
    /// </summary>
    CudaModule LoadModule(string name, byte[] ptx);

    /// <summary>Looks up an <c>extern "C"</c> kernel by name; throws naming the module and kernel when absent.</summary>
    CudaFunction GetFunction(CudaModule module, string kernelName);

    /// <summary>
    /// Launches a kernel. <paramref name="arguments"/> holds one pointer per kernel parameter, each pointing at
    /// the parameter's value, as <c>cuLaunchKernel</c> expects.
    /// </summary>
    unsafe void Launch(CudaFunction function, Dim3 grid, Dim3 block, int dynamicSharedBytes, void** arguments);

    /// <summary>Allocates device memory; throws <see cref="CudaOutOfMemoryException"/> when the device is full.</summary>
    DevicePointer Allocate(long bytes);

    /// <summary>Frees memory from <see cref="Allocate"/>.</summary>
    void Free(DevicePointer pointer);

    /// <summary>Copies host memory to the device.</summary>
    unsafe void CopyToDevice(DevicePointer destination, void* source, long bytes);

    /// <summary>Copies device memory to the host.</summary>
    unsafe void CopyToHost(void* destination, DevicePointer source, long bytes);

    /// <summary>Copies device memory to device memory.</summary>
    void CopyDeviceToDevice(DevicePointer destination, DevicePointer source, long bytes);

    /// <summary>Sets <paramref name="count"/> 32-bit words to <paramref name="value"/>.</summary>
    void Memset32(DevicePointer destination, uint value, long count);

    /// <summary>Waits for all queued work.</summary>
    void Synchronize();

    /// <summary>
    /// Column-major SGEMM with cuBLAS semantics (<c>cublasSgemm</c>):
    /// <c>C = alpha * op(A) * op(B) + beta * C</c>, op(A) m x k, op(B) k x n, leading dimensions in elements.
    /// </summary>
    void Sgemm(bool transposeA, bool transposeB, int m, int n, int k, float alpha, DevicePointer a, int lda,
        DevicePointer b, int ldb, float beta, DevicePointer c, int ldc);

    /// <summary>
    /// Strided batched column-major SGEMM with cuBLAS semantics (<c>cublasSgemmStridedBatched</c>); strides in elements.
    /// </summary>
    void SgemmStridedBatched(bool transposeA, bool transposeB, int m, int n, int k, float alpha,
        DevicePointer a, int lda, long strideA, DevicePointer b, int ldb, long strideB, float beta,
        DevicePointer c, int ldc, long strideC, int batchCount);
}

/// <summary>A loaded module; its lifetime is the driver's.</summary>
public sealed class CudaModule(string name, nint handle)
{
    /// <summary>Module name, usually the .cu file's stem.</summary>
    public string Name { get; } = name;

    /// <summary>CUmodule, or an emulator handle.</summary>
    public nint Handle { get; } = handle;
}

/// <summary>A kernel entry point.</summary>
public sealed class CudaFunction(string name, nint handle)
{
    /// <summary>Kernel name.</summary>
    public string Name { get; } = name;

    /// <summary>CUfunction, or an emulator handle.</summary>
    public nint Handle { get; } = handle;
}

/// <summary>A driver or cuBLAS call failed; the message names the call and the driver's error text.</summary>
public class CudaException(string message) : Exception(message);

/// <summary>The device ran out of memory; the message gives the request and what is in use.</summary>
public sealed class CudaOutOfMemoryException(string message) : CudaException(message);
