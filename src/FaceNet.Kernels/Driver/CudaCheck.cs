using System.Runtime.InteropServices;

namespace FaceNet.Kernels.Driver;

/// <summary>Turns failed CUDA driver and cuBLAS status codes into exceptions that name the call.</summary>
public static class CudaCheck
{
    /// <summary>
    /// Throws when <paramref name="result"/> (a <c>CUresult</c>) is not <c>CUDA_SUCCESS</c>: a
    /// <see cref="CudaOutOfMemoryException"/> for <c>CUDA_ERROR_OUT_OF_MEMORY</c>, else a
    /// <see cref="CudaException"/> with the call's name, the driver's error name and its description.
    /// </summary>
    /// <param name="result">The status the call returned.</param>
    /// <param name="call">The driver function, e.g. <c>cuModuleLoadData</c>.</param>
    /// <param name="detail">What the call worked on (a kernel, a size), appended to the message.</param>
    public static void ThrowIfFailed(int result, string call, string? detail = null)
    {
        if (result == CudaApi.Success)
        {
            return;
        }

        string message = $"{call} failed: {DescribeResult(result)}" + (detail is null ? "" : $" ({detail})");
        if (result == CudaApi.ErrorOutOfMemory)
        {
            throw new CudaOutOfMemoryException(message);
        }
        throw new CudaException(message);
    }

    /// <summary>
    /// Throws when <paramref name="status"/> (a <c>cublasStatus_t</c>) is not <c>CUBLAS_STATUS_SUCCESS</c>;
    /// <c>CUBLAS_STATUS_ALLOC_FAILED</c> becomes a <see cref="CudaOutOfMemoryException"/>.
    /// </summary>
    public static void ThrowIfCublasFailed(int status, string call, string? detail = null)
    {
        if (status == CublasApi.StatusSuccess)
        {
            return;
        }

        string message = $"{call} failed: {CublasApi.StatusName(status)}" + (detail is null ? "" : $" ({detail})");
        if (status == CublasApi.StatusAllocFailed)
        {
            throw new CudaOutOfMemoryException(message);
        }
        throw new CudaException(message);
    }

    /// <summary>"CUDA_ERROR_NAME: description" from the driver, or the bare number when the driver library is missing or does not know the code.</summary>
    internal static unsafe string DescribeResult(int result)
    {
        try
        {
            string name = CudaApi.cuGetErrorName(result, out byte* namePointer) == CudaApi.Success
                ? Marshal.PtrToStringUTF8((nint)namePointer) ?? "unknown"
                : $"CUresult {result}";
            string description = CudaApi.cuGetErrorString(result, out byte* textPointer) == CudaApi.Success
                ? Marshal.PtrToStringUTF8((nint)textPointer) ?? ""
                : "";
            return description.Length == 0 ? name : $"{name}: {description}";
        }
        catch (DllNotFoundException)
        {
            return $"CUresult {result}";
        }
    }
}
