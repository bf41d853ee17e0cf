using System.Runtime.InteropServices;

namespace FaceNet.Runtime.Cpu;

/// <summary>
/// Binding to OpenBLAS (<c>libopenblas.so.0</c>, Debian package libopenblas0-pthread). OpenBLAS is pinned
/// to one thread when it loads: the backend splits large products across cores itself and runs
/// per-sample products of a batch on several threads at once, so OpenBLAS's own thread pool would only
/// oversubscribe the cores.
/// </summary>
internal static partial class OpenBlas
{
    private const string Library = "libopenblas.so.0";

    private const int RowMajor = 101;
    private const int NoTranspose = 111;
    private const int Transpose = 112;

    private static readonly Lazy<string?> LoadError = new(Load);

    /// <summary>Whether the library and <c>cblas_sgemm</c> were found.</summary>
    public static bool IsAvailable => LoadError.Value is null;

    /// <summary>Why the library could not be used, or null when it loaded.</summary>
    public static string? UnavailableReason => LoadError.Value;

    /// <summary>
    /// Row-major <c>C = alpha * op(A) * op(B) + beta * C</c> on one thread. The caller has checked every
    /// extent against the arrays, because OpenBLAS reads and writes through raw pointers.
    /// </summary>
    public static unsafe void Sgemm(bool transposeA, bool transposeB, int m, int n, int k, float alpha,
        float[] a, int aOffset, int lda, float[] b, int bOffset, int ldb, float beta, float[] c, int cOffset, int ldc)
    {
        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* pc = c)
        {
            CblasSgemm(RowMajor, transposeA ? Transpose : NoTranspose, transposeB ? Transpose : NoTranspose,
                m, n, k, alpha, pa + aOffset, lda, pb + bOffset, ldb, beta, pc + cOffset, ldc);
        }
    }

    private static string? Load()
    {
        if (!NativeLibrary.TryLoad(Library, out IntPtr handle))
        {
            return $"{Library} was not found; install the libopenblas0-pthread package to use OpenBLAS.";
        }
        if (!NativeLibrary.TryGetExport(handle, "cblas_sgemm", out _))
        {
            return $"{Library} loaded but does not export cblas_sgemm.";
        }
        if (NativeLibrary.TryGetExport(handle, "openblas_set_num_threads", out _))
        {
            SetNumThreads(1);
        }
        return null;
    }

    [LibraryImport(Library, EntryPoint = "cblas_sgemm")]
    private static unsafe partial void CblasSgemm(int order, int transposeA, int transposeB, int m, int n, int k,
        float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc);

    [LibraryImport(Library, EntryPoint = "openblas_set_num_threads")]
    private static partial void SetNumThreads(int threads);
}
