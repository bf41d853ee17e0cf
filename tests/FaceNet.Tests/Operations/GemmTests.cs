using FaceNet.Runtime.Cpu;
using FaceNet.Runtime.Tensors;
using FaceNet.Tests.Support;

namespace FaceNet.Tests.Operations;

public class GemmTests
{
    /// <summary>
    /// Each of the k float additions rounds with relative error 2^-24 (about 6e-8) on a running sum that stays
    /// below about 16 for inputs in [-1, 1] at these sizes, so k * 1e-6 bounds the accumulated error.
    /// </summary>
    private const double AbsolutePerTerm = 1e-6;

    /// <summary>Products and the beta term each round once more relative to the result.</summary>
    private const double Relative = 1e-5;

    [Theory]
    [InlineData("managed")]
    [InlineData("openblas")]
    public void GemmProvider_ForcedProvider_ReportsName(string provider)
    {
        Assert.Equal(provider, GemmBackends.Get(provider).GemmProvider);
    }

    [Theory]
    [InlineData(GemmProviderKind.Auto, "managed", GemmProviderKind.Managed)]
    [InlineData(GemmProviderKind.Auto, " OpenBLAS ", GemmProviderKind.OpenBlas)]
    [InlineData(GemmProviderKind.Auto, null, GemmProviderKind.OpenBlas)]
    [InlineData(GemmProviderKind.Auto, "auto", GemmProviderKind.OpenBlas)]
    [InlineData(GemmProviderKind.Managed, "openblas", GemmProviderKind.Managed)]
    [InlineData(GemmProviderKind.OpenBlas, "managed", GemmProviderKind.OpenBlas)]
    public void ResolveGemmProvider_EnvironmentValue_PicksProvider(GemmProviderKind requested, string? value,
        GemmProviderKind expected)
    {
        Assert.Equal(expected, CpuBackend.ResolveGemmProvider(requested, value));
    }

    [Fact]
    public void ResolveGemmProvider_UnknownValue_ThrowsWithValue()
    {
        var error = Assert.Throws<InvalidOperationException>(
            () => CpuBackend.ResolveGemmProvider(GemmProviderKind.Auto, "mkl"));

        Assert.Contains("FACENET_GEMM='mkl'", error.Message);
    }

    [Theory]
    [InlineData("managed", false, false, 1, 1, 1)]
    [InlineData("managed", false, false, 7, 33, 65)]
    [InlineData("managed", true, false, 65, 7, 33)]
    [InlineData("managed", false, true, 33, 130, 7)]
    [InlineData("managed", true, true, 130, 65, 33)]
    [InlineData("managed", false, false, 200, 150, 600)]
    [InlineData("managed", true, true, 97, 131, 257)]
    [InlineData("managed", false, true, 7, 2100, 3)]
    [InlineData("managed", false, false, 1, 130, 65)]
    [InlineData("openblas", false, false, 1, 1, 1)]
    [InlineData("openblas", false, false, 7, 33, 65)]
    [InlineData("openblas", true, false, 65, 7, 33)]
    [InlineData("openblas", false, true, 33, 130, 7)]
    [InlineData("openblas", true, true, 130, 65, 33)]
    [InlineData("openblas", false, false, 200, 150, 600)]
    [InlineData("openblas", true, true, 97, 131, 257)]
    [InlineData("openblas", false, true, 7, 2100, 3)]
    [InlineData("openblas", false, false, 1, 130, 65)]
    public void Gemm_OddSizes_MatchesReference(string provider, bool transposeA, bool transposeB, int m, int n, int k)
    {
        RunCase(provider, transposeA, transposeB, m, n, k, alpha: 1f, beta: 0f, padding: 0, offset: 0);
    }

    [Theory]
    [InlineData(false, false, 1, 1, 1)]
    [InlineData(false, false, 7, 33, 65)]
    [InlineData(true, false, 65, 7, 33)]
    [InlineData(false, true, 33, 130, 7)]
    [InlineData(true, true, 130, 65, 33)]
    [InlineData(false, false, 200, 150, 600)]
    [InlineData(false, true, 7, 2100, 3)]
    public void ManagedGemm_Vector256Kernel_MatchesReference(bool transposeA, bool transposeB, int m, int n, int k)
    {
        // The backend picks the Vector512 tile on CPUs with AVX-512, so the Vector256 tile is tested directly.
        RunCase("managed", transposeA, transposeB, m, n, k, alpha: 0.5f, beta: 0.25f, padding: 1, offset: 3,
            ManagedGemm.Kernel.Vector256);
    }

    [Theory]
    [InlineData("managed", false, false)]
    [InlineData("managed", true, false)]
    [InlineData("managed", false, true)]
    [InlineData("managed", true, true)]
    [InlineData("openblas", false, false)]
    [InlineData("openblas", true, false)]
    [InlineData("openblas", false, true)]
    [InlineData("openblas", true, true)]
    public void Gemm_OffsetsLeadingDimensionsAlphaBeta_MatchesReference(string provider, bool transposeA,
        bool transposeB)
    {
        RunCase(provider, transposeA, transposeB, 37, 53, 71, alpha: 0.75f, beta: -0.5f, padding: 3, offset: 5);
    }

    [Theory]
    [InlineData("managed")]
    [InlineData("openblas")]
    public void Gemm_BetaZero_OverwritesNaN(string provider)
    {
        CpuBackend backend = GemmBackends.Get(provider);
        using Tensor a = Upload(backend, GradientCheck.RandomValues(6 * 5, 1));
        using Tensor b = Upload(backend, GradientCheck.RandomValues(5 * 4, 2));
        using Tensor c = Upload(backend, Enumerable.Repeat(float.NaN, 6 * 4).ToArray());

        backend.Gemm(false, false, 6, 4, 5, 1f, a, 0, 5, b, 0, 4, 0f, c, 0, 4);

        float[] result = Download(backend, c);
        Assert.All(result, value => Assert.False(float.IsNaN(value)));
    }

    [Theory]
    [InlineData("managed")]
    [InlineData("openblas")]
    public void Gemm_ZeroDepth_ScalesC(string provider)
    {
        CpuBackend backend = GemmBackends.Get(provider);
        using Tensor a = Upload(backend, [0f]);
        using Tensor b = Upload(backend, [0f]);
        using Tensor c = Upload(backend, [1f, 2f, 3f, 4f, 5f, 6f]);

        backend.Gemm(false, false, 2, 3, 0, 1f, a, 0, 1, b, 0, 3, 2f, c, 0, 3);

        Assert.Equal([2f, 4f, 6f, 8f, 10f, 12f], Download(backend, c));
    }

    [Fact]
    public void Gemm_MatrixPastBuffer_Throws()
    {
        CpuBackend backend = GemmBackends.Get("managed");
        using Tensor a = Upload(backend, new float[12]);
        using Tensor b = Upload(backend, new float[12]);
        using Tensor c = Upload(backend, new float[12]);

        var error = Assert.Throws<ArgumentOutOfRangeException>(
            () => backend.Gemm(false, false, 4, 3, 4, 1f, a, 0, 4, b, 0, 3, 0f, c, 0, 3));

        Assert.Contains("A (4 x 4", error.Message);
    }

    [Fact]
    public void Gemm_LeadingDimensionTooSmall_Throws()
    {
        CpuBackend backend = GemmBackends.Get("managed");
        using Tensor a = Upload(backend, new float[12]);
        using Tensor b = Upload(backend, new float[12]);
        using Tensor c = Upload(backend, new float[12]);

        var error = Assert.Throws<ArgumentOutOfRangeException>(
            () => backend.Gemm(false, false, 3, 4, 3, 1f, a, 0, 3, b, 0, 3, 0f, c, 0, 4));

        Assert.Contains("leading dimension 3 of B", error.Message);
    }

    private static void RunCase(string provider, bool transposeA, bool transposeB, int m, int n, int k, float alpha,
        float beta, int padding, int offset, ManagedGemm.Kernel? kernel = null)
    {
        CpuBackend backend = GemmBackends.Get(provider);
        int aRows = transposeA ? k : m;
        int aCols = transposeA ? m : k;
        int bRows = transposeB ? n : k;
        int bCols = transposeB ? k : n;
        int lda = aCols + padding;
        int ldb = bCols + padding;
        int ldc = n + padding;
        float[] aHost = GradientCheck.RandomValues(offset + aRows * lda, 11);
        float[] bHost = GradientCheck.RandomValues(offset + bRows * ldb, 12);
        float[] cHost = GradientCheck.RandomValues(offset + m * ldc, 13);

        double[] expected = new double[cHost.Length];
        for (int i = 0; i < cHost.Length; i++)
        {
            expected[i] = cHost[i];
        }
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                for (int p = 0; p < k; p++)
                {
                    double av = aHost[offset + (transposeA ? p * lda + i : i * lda + p)];
                    double bv = bHost[offset + (transposeB ? j * ldb + p : p * ldb + j)];
                    sum += av * bv;
                }
                int index = offset + i * ldc + j;
                expected[index] = alpha * sum + (beta == 0f ? 0 : beta * (double)cHost[index]);
            }
        }

        using Tensor a = Upload(backend, aHost);
        using Tensor b = Upload(backend, bHost);
        using Tensor c = Upload(backend, cHost);
        if (kernel is ManagedGemm.Kernel tile)
        {
            ManagedGemm.Sgemm(transposeA, transposeB, m, n, k, alpha, CpuBackend.Array(a), offset, lda,
                CpuBackend.Array(b), offset, ldb, beta, CpuBackend.Array(c), offset, ldc, parallel: true, tile);
        }
        else
        {
            backend.Gemm(transposeA, transposeB, m, n, k, alpha, a, offset, lda, b, offset, ldb, beta, c, offset,
                ldc);
        }

        double[] actual = Download(backend, c).Select(v => (double)v).ToArray();
        GradientCheck.AssertClose($"Gemm {provider} {(transposeA ? "T" : "N")}{(transposeB ? "T" : "N")} {m}x{n}x{k}",
            expected, actual, AbsolutePerTerm * Math.Max(k, 1), Relative);
    }

    private static Tensor Upload(CpuBackend backend, float[] values)
    {
        Tensor t = Tensor.Own(backend.Allocate(values.Length), [values.Length]);
        backend.Upload(values, t);
        return t;
    }

    private static float[] Download(CpuBackend backend, Tensor t)
    {
        float[] values = new float[t.Count];
        backend.Download(t, values);
        return values;
    }
}
