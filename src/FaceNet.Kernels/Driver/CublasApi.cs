using System.Reflection;
using System.Runtime.InteropServices;

namespace FaceNet.Kernels.Driver;

/// <summary>
/// The cuBLAS entry points the driver uses. The library name <c>cublas</c> resolves to the first of
/// <c>libcublas.so.11</c> (CUDA 11.x), <c>libcublas.so.12</c> and <c>libcublas.so</c> that loads.
/// Every call returns a <c>cublasStatus_t</c>; pass it to <see cref="CudaCheck.ThrowIfCublasFailed"/>.
/// </summary>
internal static unsafe partial class CublasApi
{
    public const string Library = "cublas";

    public const int StatusSuccess = 0;
    public const int StatusAllocFailed = 3;

    /// <summary>CUBLAS_OP_N and CUBLAS_OP_T.</summary>
    public const int OperationNone = 0;
    public const int OperationTranspose = 1;

    private static readonly string[] Candidates = ["libcublas.so.11", "libcublas.so.12", "libcublas.so"];

    static CublasApi()
    {
        NativeLibrary.SetDllImportResolver(typeof(CublasApi).Assembly, Resolve);
    }

    /// <summary>Runs the static constructor, which installs the library-name resolver.</summary>
    public static void EnsureResolver()
    {
    }

    /// <summary>Loads cuBLAS, or returns zero when no candidate library loads.</summary>
    public static nint TryLoad()
    {
        foreach (string candidate in Candidates)
        {
            if (NativeLibrary.TryLoad(candidate, out nint handle))
            {
                return handle;
            }
        }
        return 0;
    }

    private static nint Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        return name == Library ? TryLoad() : 0;
    }

    [LibraryImport(Library)]
    public static partial int cublasCreate_v2(out nint handle);

    [LibraryImport(Library)]
    public static partial int cublasDestroy_v2(nint handle);

    [LibraryImport(Library)]
    public static partial int cublasSetStream_v2(nint handle, nint stream);

    [LibraryImport(Library)]
    public static partial int cublasSgemm_v2(nint handle, int transposeA, int transposeB, int m, int n, int k,
        float* alpha, ulong a, int lda, ulong b, int ldb, float* beta, ulong c, int ldc);

    [LibraryImport(Library)]
    public static partial int cublasSgemmStridedBatched(nint handle, int transposeA, int transposeB, int m, int n,
        int k, float* alpha, ulong a, int lda, long strideA, ulong b, int ldb, long strideB, float* beta, ulong c,
        int ldc, long strideC, int batchCount);

    /// <summary>The <c>cublasStatus_t</c> enumerator name of <paramref name="status"/> (cublas_api.h, CUDA 11.8).</summary>
    public static string StatusName(int status) => status switch
    {
        0 => "CUBLAS_STATUS_SUCCESS",
        1 => "CUBLAS_STATUS_NOT_INITIALIZED",
        3 => "CUBLAS_STATUS_ALLOC_FAILED",
        7 => "CUBLAS_STATUS_INVALID_VALUE",
        8 => "CUBLAS_STATUS_ARCH_MISMATCH",
        11 => "CUBLAS_STATUS_MAPPING_ERROR",
        13 => "CUBLAS_STATUS_EXECUTION_FAILED",
        14 => "CUBLAS_STATUS_INTERNAL_ERROR",
        15 => "CUBLAS_STATUS_NOT_SUPPORTED",
        16 => "CUBLAS_STATUS_LICENSE_ERROR",
        _ => $"cublasStatus_t {status}",
    };
}
