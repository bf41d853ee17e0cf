using System.Runtime.InteropServices;

namespace FaceNet.Kernels.Driver;

/// <summary>
/// Column-major SGEMM on host memory with cuBLAS semantics, for the emulated driver:
/// <c>C = alpha * op(A) * op(B) + beta * C</c> with op(A) m x k and op(B) k x n. It calls OpenBLAS
/// <c>cblas_sgemm</c> (CblasColMajor) from <c>libopenblas.so.0</c> when that library loads, else a plain loop.
/// As in cuBLAS, C is not read when beta is zero, so NaN in C does not propagate.
/// </summary>
internal static unsafe class HostGemm
{
    private const int CblasColMajor = 102;
    private const int CblasNoTrans = 111;
    private const int CblasTrans = 112;

    private static readonly delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float,
        float*, int, void> CblasSgemm = LoadOpenBlas();

    /// <summary>Whether OpenBLAS was found; the plain loop is used otherwise.</summary>
    public static bool HasOpenBlas => CblasSgemm != null;

    /// <summary>Computes one GEMM; throws <see cref="CudaException"/> for arguments cuBLAS rejects.</summary>
    public static void Sgemm(bool transposeA, bool transposeB, int m, int n, int k, float alpha, float* a, int lda,
        float* b, int ldb, float beta, float* c, int ldc, bool useOpenBlas = true)
    {
        Validate("cublasSgemm_v2", transposeA, transposeB, m, n, k, lda, ldb, ldc, batchCount: 1);
        if (m == 0 || n == 0)
        {
            return;
        }

        if (k == 0 || alpha == 0)
        {
            ScaleC(m, n, beta, c, ldc);
            return;
        }

        if (useOpenBlas && CblasSgemm != null)
        {
            CblasSgemm(CblasColMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
            return;
        }

        NaiveSgemm(transposeA, transposeB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    /// <summary>Computes <paramref name="batchCount"/> GEMMs whose operands sit at fixed element strides.</summary>
    public static void SgemmStridedBatched(bool transposeA, bool transposeB, int m, int n, int k, float alpha,
        float* a, int lda, long strideA, float* b, int ldb, long strideB, float beta, float* c, int ldc, long strideC,
        int batchCount, bool useOpenBlas = true)
    {
        Validate("cublasSgemmStridedBatched", transposeA, transposeB, m, n, k, lda, ldb, ldc, batchCount);
        for (int batch = 0; batch < batchCount; batch++)
        {
            Sgemm(transposeA, transposeB, m, n, k, alpha, a + batch * strideA, lda, b + batch * strideB, ldb, beta,
                c + batch * strideC, ldc, useOpenBlas);
        }
    }

    private static void Validate(string call, bool transposeA, bool transposeB, int m, int n, int k, int lda,
        int ldb, int ldc, int batchCount)
    {
        int rowsA = transposeA ? k : m;
        int rowsB = transposeB ? n : k;
        string? problem = null;
        if (m < 0 || n < 0 || k < 0 || batchCount < 0)
        {
            problem = $"m={m}, n={n}, k={k} and batchCount={batchCount} must not be negative";
        }
        else if (lda < Math.Max(1, rowsA))
        {
            problem = $"lda={lda} is less than the {rowsA} rows of A as stored";
        }
        else if (ldb < Math.Max(1, rowsB))
        {
            problem = $"ldb={ldb} is less than the {rowsB} rows of B as stored";
        }
        else if (ldc < Math.Max(1, m))
        {
            problem = $"ldc={ldc} is less than m={m}";
        }

        if (problem is not null)
        {
            throw new CudaException($"{call} failed: CUBLAS_STATUS_INVALID_VALUE ({problem}).");
        }
    }

    private static void ScaleC(int m, int n, float beta, float* c, int ldc)
    {
        for (int j = 0; j < n; j++)
        {
            float* column = c + (long)j * ldc;
            for (int i = 0; i < m; i++)
            {
                column[i] = beta == 0 ? 0 : beta * column[i];
            }
        }
    }

    private static void NaiveSgemm(bool transposeA, bool transposeB, int m, int n, int k, float alpha, float* a,
        int lda, float* b, int ldb, float beta, float* c, int ldc)
    {
        for (int j = 0; j < n; j++)
        {
            for (int i = 0; i < m; i++)
            {
                float sum = 0;
                for (int p = 0; p < k; p++)
                {
                    float valueA = transposeA ? a[p + (long)i * lda] : a[i + (long)p * lda];
                    float valueB = transposeB ? b[j + (long)p * ldb] : b[p + (long)j * ldb];
                    sum += valueA * valueB;
                }

                float* target = c + i + (long)j * ldc;
                *target = beta == 0 ? alpha * sum : alpha * sum + beta * *target;
            }
        }
    }

    private static delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*,
        int, void> LoadOpenBlas()
    {
        if (Environment.GetEnvironmentVariable("FACENET_EMU_BLAS") == "none")
        {
            return null;
        }
        if (!NativeLibrary.TryLoad("libopenblas.so.0", out nint library)
            && !NativeLibrary.TryLoad("libopenblas.so", out library))
        {
            return null;
        }
        return NativeLibrary.TryGetExport(library, "cblas_sgemm", out nint export)
            ? (delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int,
                void>)export
            : null;
    }
}
