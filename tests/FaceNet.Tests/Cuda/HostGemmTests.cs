using FaceNet.Kernels.Driver;

namespace FaceNet.Tests.Cuda;

/// <summary>The emulated driver's column-major SGEMM against a double-precision naive reference.</summary>
public sealed unsafe class HostGemmTests : IDisposable
{
    // Sums of up to 37 products of values in [-1, 1] in float32: rounding stays far below 1e-4.
    private const double AbsoluteTolerance = 1e-4;
    private const double RelativeTolerance = 1e-5;

    private readonly EmulatedDriver _driver = new();

    public void Dispose() => _driver.Dispose();

    public static TheoryData<bool, bool, int, int, int, float> Shapes => new()
    {
        { false, false, 5, 7, 3, 0f },
        { true, false, 4, 9, 37, 0.5f },
        { false, true, 1, 1, 1, 1f },
        { true, true, 13, 6, 11, -2f },
        { false, false, 17, 1, 29, 0f },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Sgemm_EmulatedDriver_MatchesNaive(bool transposeA, bool transposeB, int m, int n, int k, float beta)
    {
        (int lda, int ldb, int ldc) = (Rows(transposeA, m, k) + 2, Rows(transposeB, k, n) + 1, m + 3);
        float[] a = RandomValues(lda * Columns(transposeA, m, k), 1);
        float[] b = RandomValues(ldb * Columns(transposeB, k, n), 2);
        float[] c = RandomValues(ldc * n, 3);
        double[] expected = Reference(transposeA, transposeB, m, n, k, 1.5f, a, lda, b, ldb, beta, c, ldc);

        DevicePointer aPointer = DeviceArrays.Upload(_driver, a);
        DevicePointer bPointer = DeviceArrays.Upload(_driver, b);
        DevicePointer cPointer = DeviceArrays.Upload(_driver, c);
        _driver.Sgemm(transposeA, transposeB, m, n, k, 1.5f, aPointer, lda, bPointer, ldb, beta, cPointer, ldc);

        AssertClose(expected, DeviceArrays.Download<float>(_driver, cPointer, c.Length));
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Sgemm_PlainLoop_MatchesNaive(bool transposeA, bool transposeB, int m, int n, int k, float beta)
    {
        (int lda, int ldb, int ldc) = (Rows(transposeA, m, k), Rows(transposeB, k, n), m);
        float[] a = RandomValues(lda * Columns(transposeA, m, k), 4);
        float[] b = RandomValues(ldb * Columns(transposeB, k, n), 5);
        float[] c = RandomValues(ldc * n, 6);
        double[] expected = Reference(transposeA, transposeB, m, n, k, -0.75f, a, lda, b, ldb, beta, c, ldc);

        fixed (float* aPointer = a, bPointer = b, cPointer = c)
        {
            HostGemm.Sgemm(transposeA, transposeB, m, n, k, -0.75f, aPointer, lda, bPointer, ldb, beta, cPointer, ldc,
                useOpenBlas: false);
        }

        AssertClose(expected, c);
    }

    [Fact]
    public void Sgemm_BetaZeroWithNaNInC_IgnoresC()
    {
        int m = 3, n = 4, k = 2;
        float[] a = RandomValues(m * k, 7);
        float[] b = RandomValues(k * n, 8);
        float[] c = Enumerable.Repeat(float.NaN, m * n).ToArray();
        DevicePointer aPointer = DeviceArrays.Upload(_driver, a);
        DevicePointer bPointer = DeviceArrays.Upload(_driver, b);
        DevicePointer cPointer = DeviceArrays.Upload(_driver, c);

        _driver.Sgemm(false, false, m, n, k, 1f, aPointer, m, bPointer, k, 0f, cPointer, m);

        Assert.DoesNotContain(DeviceArrays.Download<float>(_driver, cPointer, m * n), float.IsNaN);
    }

    [Fact]
    public void SgemmStridedBatched_ThreeBatches_MatchesNaive()
    {
        int m = 5, n = 3, k = 4, batches = 3;
        long strideA = m * k + 2, strideB = k * n + 1, strideC = m * n + 4;
        float[] a = RandomValues((int)(strideA * batches), 9);
        float[] b = RandomValues((int)(strideB * batches), 10);
        float[] c = RandomValues((int)(strideC * batches), 11);
        DevicePointer aPointer = DeviceArrays.Upload(_driver, a);
        DevicePointer bPointer = DeviceArrays.Upload(_driver, b);
        DevicePointer cPointer = DeviceArrays.Upload(_driver, c);

        _driver.SgemmStridedBatched(true, false, m, n, k, 2f, aPointer, k, strideA, bPointer, k, strideB, 0.25f,
            cPointer, m, strideC, batches);

        float[] result = DeviceArrays.Download<float>(_driver, cPointer, c.Length);
        for (int batch = 0; batch < batches; batch++)
        {
            double[] expected = Reference(true, false, m, n, k, 2f, a[(int)(batch * strideA)..], k,
                b[(int)(batch * strideB)..], k, 0.25f, c[(int)(batch * strideC)..((int)(batch * strideC) + m * n)], m);
            AssertClose(expected, result[(int)(batch * strideC)..((int)(batch * strideC) + m * n)]);
        }
    }

    [Fact]
    public void Sgemm_LeadingDimensionTooSmall_ThrowsInvalidValue()
    {
        DevicePointer buffer = DeviceArrays.Filled(_driver, 64, 0f);

        var error = Assert.Throws<CudaException>(() =>
            _driver.Sgemm(false, false, 4, 4, 4, 1f, buffer, 3, buffer, 4, 0f, buffer, 4));

        Assert.Contains("CUBLAS_STATUS_INVALID_VALUE", error.Message);
        Assert.Contains("lda=3", error.Message);
    }

    private static int Rows(bool transpose, int rows, int columns) => transpose ? columns : rows;

    private static int Columns(bool transpose, int rows, int columns) => transpose ? rows : columns;

    private static float[] RandomValues(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
    }

    private static double[] Reference(bool transposeA, bool transposeB, int m, int n, int k, float alpha, float[] a,
        int lda, float[] b, int ldb, float beta, float[] c, int ldc)
    {
        double[] result = c.Select(value => (double)value).ToArray();
        for (int j = 0; j < n; j++)
        {
            for (int i = 0; i < m; i++)
            {
                double sum = 0;
                for (int p = 0; p < k; p++)
                {
                    double valueA = transposeA ? a[p + i * lda] : a[i + p * lda];
                    double valueB = transposeB ? b[j + p * ldb] : b[p + j * ldb];
                    sum += valueA * valueB;
                }
                result[i + j * ldc] = beta == 0 ? alpha * sum : alpha * sum + beta * c[i + j * ldc];
            }
        }
        return result;
    }

    private static void AssertClose(double[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double tolerance = AbsoluteTolerance + RelativeTolerance * Math.Abs(expected[i]);
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance,
                $"Element {i}: expected {expected[i]}, got {actual[i]} (tolerance {tolerance}).");
        }
    }
}
