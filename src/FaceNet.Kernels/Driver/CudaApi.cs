using System.Runtime.InteropServices;

namespace FaceNet.Kernels.Driver;

/// <summary>
/// The CUDA driver API entry points the driver uses, bound to <c>libcuda.so.1</c> (installed with the NVIDIA
/// driver). Every call returns a <c>CUresult</c>; pass it to <see cref="CudaCheck.ThrowIfFailed"/>.
/// Versioned symbols (<c>_v2</c>) are the ones <c>cuda.h</c> maps the plain names to since CUDA 4.0 and 11.0.
/// </summary>
internal static unsafe partial class CudaApi
{
    public const string Library = "libcuda.so.1";

    public const int Success = 0;
    public const int ErrorOutOfMemory = 2;
    public const int ErrorNotFound = 500;

    public const int AttributeMultiprocessorCount = 16;
    public const int AttributeComputeCapabilityMajor = 75;
    public const int AttributeComputeCapabilityMinor = 76;

    /// <summary>CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES.</summary>
    public const int FunctionAttributeMaxDynamicSharedBytes = 8;

    [LibraryImport(Library)]
    public static partial int cuInit(uint flags);

    [LibraryImport(Library)]
    public static partial int cuDeviceGet(out int device, int ordinal);

    [LibraryImport(Library)]
    public static partial int cuDeviceGetName(byte* name, int length, int device);

    [LibraryImport(Library)]
    public static partial int cuDeviceGetAttribute(out int value, int attribute, int device);

    [LibraryImport(Library)]
    public static partial int cuDevicePrimaryCtxRetain(out nint context, int device);

    [LibraryImport(Library)]
    public static partial int cuDevicePrimaryCtxRelease_v2(int device);

    [LibraryImport(Library)]
    public static partial int cuCtxSetCurrent(nint context);

    [LibraryImport(Library)]
    public static partial int cuCtxSynchronize();

    [LibraryImport(Library)]
    public static partial int cuModuleLoadData(out nint module, void* image);

    [LibraryImport(Library)]
    public static partial int cuModuleUnload(nint module);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int cuModuleGetFunction(out nint function, nint module, string name);

    [LibraryImport(Library)]
    public static partial int cuFuncSetAttribute(nint function, int attribute, int value);

    [LibraryImport(Library)]
    public static partial int cuLaunchKernel(nint function, uint gridX, uint gridY, uint gridZ, uint blockX,
        uint blockY, uint blockZ, uint sharedMemoryBytes, nint stream, void** kernelParameters, void** extra);

    [LibraryImport(Library)]
    public static partial int cuMemAlloc_v2(out ulong pointer, nuint bytes);

    [LibraryImport(Library)]
    public static partial int cuMemFree_v2(ulong pointer);

    [LibraryImport(Library)]
    public static partial int cuMemcpyHtoD_v2(ulong destination, void* source, nuint bytes);

    [LibraryImport(Library)]
    public static partial int cuMemcpyDtoH_v2(void* destination, ulong source, nuint bytes);

    [LibraryImport(Library)]
    public static partial int cuMemcpyDtoD_v2(ulong destination, ulong source, nuint bytes);

    [LibraryImport(Library)]
    public static partial int cuMemsetD32_v2(ulong destination, uint value, nuint count);

    [LibraryImport(Library)]
    public static partial int cuMemGetInfo_v2(out nuint free, out nuint total);

    [LibraryImport(Library)]
    public static partial int cuStreamCreate(out nint stream, uint flags);

    [LibraryImport(Library)]
    public static partial int cuStreamDestroy_v2(nint stream);

    [LibraryImport(Library)]
    public static partial int cuStreamSynchronize(nint stream);

    [LibraryImport(Library)]
    public static partial int cuEventCreate(out nint handle, uint flags);

    [LibraryImport(Library)]
    public static partial int cuEventRecord(nint handle, nint stream);

    [LibraryImport(Library)]
    public static partial int cuEventSynchronize(nint handle);

    [LibraryImport(Library)]
    public static partial int cuEventElapsedTime(out float milliseconds, nint start, nint end);

    [LibraryImport(Library)]
    public static partial int cuEventDestroy_v2(nint handle);

    [LibraryImport(Library)]
    public static partial int cuGetErrorName(int result, out byte* name);

    [LibraryImport(Library)]
    public static partial int cuGetErrorString(int result, out byte* description);
}
