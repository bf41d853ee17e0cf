using FaceNet.Runtime.Tensors;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FaceNet.Runtime.Cpu;

public sealed partial class CpuBackend
{
    /// <summary>
    /// Environment variable that forces the GEMM provider of backends built with <see cref="GemmProviderKind.Auto"/>.
    /// </summary>
    public const string GemmEnvironmentVariable = "FACENET_GEMM";

    /// <summary>Products smaller than this (in multiply-adds) are not split across threads.</summary>
    private const long ParallelGemmThreshold = 64 * 64 * 64;

    private readonly GemmProviderKind _requestedGemm;
    private readonly Lazy<GemmProviderKind> _gemm;
    private int _gemmLogged;

    /// <summary>Creates a CPU backend with the <see cref="GemmProviderKind.Auto"/> GEMM provider.</summary>
    public CpuBackend()
        : this(GemmProviderKind.Auto)
    {
    }

    /// <summary>Creates a CPU backend with the given GEMM provider; tests use this to run both providers.</summary>
    /// <param name="gemm">
    /// The provider. <see cref="GemmProviderKind.OpenBlas"/> makes the first GEMM throw
    /// <see cref="InvalidOperationException"/> when <c>libopenblas.so.0</c> does not load.
    /// </param>
    public CpuBackend(GemmProviderKind gemm)
    {
        _requestedGemm = gemm;
        _gemm = new Lazy<GemmProviderKind>(ResolveGemmProvider);
    }

    /// <summary>
    /// Logger for backend decisions, such as the GEMM provider chosen. The host sets it before the first
    /// kernel runs; the default discards everything.
    /// </summary>
    public static ILogger Logger { get; set; } = NullLogger.Instance;

    /// <summary>Name of the GEMM implementation in use: <c>openblas</c> or <c>managed</c>.</summary>
    /// <exception cref="InvalidOperationException">OpenBLAS was requested but does not load, or
    /// <c>FACENET_GEMM</c> contains an unknown value.</exception>
    public string GemmProvider => _gemm.Value == GemmProviderKind.OpenBlas ? "openblas" : "managed";

    /// <inheritdoc />
    public void Gemm(bool transposeA, bool transposeB, int m, int n, int k, float alpha, Tensor a, int aOffset,
        int lda, Tensor b, int bOffset, int ldb, float beta, Tensor c, int cOffset, int ldc)
    {
        if (m < 0 || n < 0 || k < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(m), $"Gemm: sizes m={m}, n={n}, k={k} must not be negative.");
        }
        float[] aArray = Array(a);
        float[] bArray = Array(b);
        float[] cArray = Array(c);
        CheckMatrix("A", transposeA ? k : m, transposeA ? m : k, aArray.Length, aOffset, lda);
        CheckMatrix("B", transposeB ? n : k, transposeB ? k : n, bArray.Length, bOffset, ldb);
        CheckMatrix("C", m, n, cArray.Length, cOffset, ldc);
        GemmArrays(transposeA, transposeB, m, n, k, alpha, aArray, aOffset, lda, bArray, bOffset, ldb, beta,
            cArray, cOffset, ldc, parallel: true);
    }

    /// <summary>
    /// <c>C = alpha * op(A) * op(B) + beta * C</c> on raw arrays whose extents the caller has checked. With
    /// <paramref name="parallel"/> unset the product runs on the calling thread, which is what kernels want
    /// when they already run one product per sample on every core.
    /// </summary>
    internal void GemmArrays(bool transposeA, bool transposeB, int m, int n, int k, float alpha,
        float[] a, int aOffset, int lda, float[] b, int bOffset, int ldb, float beta, float[] c, int cOffset, int ldc,
        bool parallel)
    {
        if (m == 0 || n == 0)
        {
            return;
        }
        GemmProviderKind provider = _gemm.Value;
        LogGemmProviderOnce(provider);
        if (provider == GemmProviderKind.Managed)
        {
            ManagedGemm.Sgemm(transposeA, transposeB, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb, beta, c,
                cOffset, ldc, parallel);
            return;
        }

        // OpenBLAS validates lda against k even when k is 0, so the empty product is handled here.
        if (k == 0 || alpha == 0f)
        {
            ManagedGemm.ScaleRows(m, n, beta, c, cOffset, ldc);
            return;
        }
        int threads = Environment.ProcessorCount;
        if (!parallel || threads == 1 || (long)m * n * k < ParallelGemmThreshold)
        {
            OpenBlas.Sgemm(transposeA, transposeB, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb, beta, c, cOffset,
                ldc);
            return;
        }

        // OpenBLAS runs single-threaded (see OpenBlas), so a large product is cut into independent pieces of C,
        // along whichever of m and n is longer, one piece per core.
        bool splitColumns = n >= m;
        int length = splitColumns ? n : m;
        int pieces = Math.Min(threads, Math.Max(1, length / 16));
        Parallel.For(0, pieces, piece =>
        {
            int start = (int)((long)piece * length / pieces);
            int count = (int)((long)(piece + 1) * length / pieces) - start;
            if (splitColumns)
            {
                int bStart = bOffset + (transposeB ? start * ldb : start);
                OpenBlas.Sgemm(transposeA, transposeB, m, count, k, alpha, a, aOffset, lda, b, bStart, ldb, beta,
                    c, cOffset + start, ldc);
            }
            else
            {
                int aStart = aOffset + (transposeA ? start : start * lda);
                OpenBlas.Sgemm(transposeA, transposeB, count, n, k, alpha, a, aStart, lda, b, bOffset, ldb, beta,
                    c, cOffset + start * ldc, ldc);
            }
        });
    }

    private GemmProviderKind ResolveGemmProvider() =>
        ResolveGemmProvider(_requestedGemm, Environment.GetEnvironmentVariable(GemmEnvironmentVariable));

    /// <summary>
    /// Picks the provider for a request and a <c>FACENET_GEMM</c> value (null when unset), which only an
    /// <see cref="GemmProviderKind.Auto"/> request reads.
    /// </summary>
    internal static GemmProviderKind ResolveGemmProvider(GemmProviderKind requested, string? environmentValue)
    {
        GemmProviderKind kind = requested;
        if (kind == GemmProviderKind.Auto)
        {
            kind = environmentValue?.Trim().ToLowerInvariant() switch
            {
                null or "" or "auto" => OpenBlas.IsAvailable ? GemmProviderKind.OpenBlas : GemmProviderKind.Managed,
                "openblas" => GemmProviderKind.OpenBlas,
                "managed" => GemmProviderKind.Managed,
                _ => throw new InvalidOperationException(
                    $"{GemmEnvironmentVariable}='{environmentValue}' is not a GEMM provider; " +
                    "use 'openblas', 'managed' or 'auto'."),
            };
        }
        if (kind == GemmProviderKind.OpenBlas && !OpenBlas.IsAvailable)
        {
            throw new InvalidOperationException(
                $"The OpenBLAS GEMM provider was requested but cannot be used: {OpenBlas.UnavailableReason}");
        }
        return kind;
    }

    private void LogGemmProviderOnce(GemmProviderKind provider)
    {
        if (Interlocked.Exchange(ref _gemmLogged, 1) != 0)
        {
            return;
        }
        if (provider == GemmProviderKind.OpenBlas)
        {
            Logger.LogInformation("CPU GEMM provider: openblas (libopenblas.so.0, pinned to one thread per call)");
        }
        else if (OpenBlas.UnavailableReason is string reason)
        {
            Logger.LogInformation("CPU GEMM provider: managed, because OpenBLAS is unavailable: {Reason}", reason);
        }
        else
        {
            Logger.LogInformation("CPU GEMM provider: managed, as requested by the constructor or {Variable}",
                GemmEnvironmentVariable);
        }
    }

    /// <summary>Throws unless a rows x cols matrix with row stride ld from offset on lies inside the buffer.</summary>
    private static void CheckMatrix(string name, int rows, int cols, int bufferLength, int offset, int ld)
    {
        if (ld < Math.Max(1, cols))
        {
            throw new ArgumentOutOfRangeException(nameof(ld),
                $"Gemm: leading dimension {ld} of {name} is smaller than its {cols} columns; " +
                $"pass ld >= {Math.Max(1, cols)}.");
        }
        if (rows == 0 || cols == 0)
        {
            return;
        }
        long end = offset + (long)(rows - 1) * ld + cols;
        if (offset < 0 || end > bufferLength)
        {
            throw new ArgumentOutOfRangeException(nameof(offset),
                $"Gemm: {name} ({rows} x {cols}, offset {offset}, ld {ld}) needs elements up to {end} but its buffer " +
                $"holds {bufferLength}.");
        }
    }
}
