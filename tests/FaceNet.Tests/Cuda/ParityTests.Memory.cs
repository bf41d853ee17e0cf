namespace FaceNet.Tests.Cuda;

public sealed partial class ParityTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 257)]
    [InlineData(5, 1031)]
    public void Fill_ContiguousAndSlice_MatchesCpu(int n, int features)
    {
        using TensorPair parent = Random(1, n, 3, features, 1);
        using TensorPair slice = parent.Slice(1, 1);
        _cpu.Fill(slice.Cpu, 2.5f);
        _cuda.Fill(slice.Cuda, 2.5f);
        AssertClose(parent, Exact, "Fill of a channel slice");

        _cpu.Fill(parent.Cpu, -1f);
        _cuda.Fill(parent.Cuda, -1f);
        AssertClose(parent, Exact, "Fill of a contiguous tensor");
    }

    [Theory]
    [InlineData(2, 7)]
    [InlineData(4, 300)]
    public void CopyAndAddScaled_SliceViews_MatchesCpu(int n, int plane)
    {
        using TensorPair source = Random(2, n, 5, plane, 1);
        using TensorPair destination = Random(3, n, 9, plane, 1);
        using TensorPair sourceSlice = source.Slice(2, 3);
        using TensorPair destinationSlice = destination.Slice(4, 3);
        _cpu.Copy(sourceSlice.Cpu, destinationSlice.Cpu);
        _cuda.Copy(sourceSlice.Cuda, destinationSlice.Cuda);
        AssertClose(destination, Exact, "Copy between channel slices");

        _cpu.AddScaled(source.Slice(0, 3).Cpu, -0.75f, destinationSlice.Cpu);
        _cuda.AddScaled(source.Slice(0, 3).Cuda, -0.75f, destinationSlice.Cuda);
        AssertClose(destination, Elementwise, "AddScaled into a channel slice");
    }

    [Fact]
    public void UploadDownload_SliceView_RoundTrips()
    {
        using TensorPair parent = Random(4, 3, 4, 5, 6);
        using TensorPair slice = parent.Slice(1, 2);
        float[] values = Enumerable.Range(0, slice.Cuda.Count).Select(i => i * 0.5f).ToArray();
        _cpu.Upload(values, slice.Cpu);
        _cuda.Upload(values, slice.Cuda);
        float[] back = new float[values.Length];
        _cuda.Download(slice.Cuda, back);

        Assert.Equal(values, back);
        AssertClose(parent, Exact, "Upload into a channel slice");
    }

    [Theory]
    [InlineData(false, false, 7, 5, 3)]
    [InlineData(true, false, 33, 65, 17)]
    [InlineData(false, true, 64, 1, 129)]
    [InlineData(true, true, 13, 31, 9)]
    public void Gemm_TransposesAndOddSizes_MatchesCpu(bool transposeA, bool transposeB, int m, int n, int k)
    {
        // Each matrix sits at an offset inside a larger buffer with padded rows, so offsets and leading
        // dimensions are both exercised.
        int lda = (transposeA ? m : k) + 3;
        int ldb = (transposeB ? k : n) + 2;
        int ldc = n + 1;
        int rowsA = transposeA ? k : m;
        int rowsB = transposeB ? n : k;
        using TensorPair a = Random(5, 1, rowsA * lda + 5);
        using TensorPair b = Random(6, 1, rowsB * ldb + 7);
        using TensorPair c = Random(7, 1, m * ldc + 11);
        _cpu.Gemm(transposeA, transposeB, m, n, k, 0.5f, a.Cpu, 5, lda, b.Cpu, 7, ldb, 0.25f, c.Cpu, 11, ldc);
        _cuda.Gemm(transposeA, transposeB, m, n, k, 0.5f, a.Cuda, 5, lda, b.Cuda, 7, ldb, 0.25f, c.Cuda, 11, ldc);
        AssertClose(c, Reduction, $"Gemm {(transposeA ? "T" : "N")}{(transposeB ? "T" : "N")} {m}x{n}x{k}");
    }

    [Fact]
    public void AddScaled_MoreThanOneGridPass_MatchesCpu()
    {
        // The grid-stride launch caps the grid at 4,096 blocks of 256 threads; 777 elements more make some
        // threads take a second pass.
        const int count = 4096 * 256 + 777;
        using TensorPair source = Random(8, 1, count);
        using TensorPair destination = Random(9, 1, count);
        _cpu.AddScaled(source.Cpu, 1.5f, destination.Cpu);
        _cuda.AddScaled(source.Cuda, 1.5f, destination.Cuda);
        AssertClose(destination, Elementwise, "AddScaled over two grid passes");
    }
}
