using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FaceNet.Runtime.Cpu;

/// <summary>
/// Row-major SGEMM in managed code, <c>C = alpha * op(A) * op(B) + beta * C</c>, laid out the way BLIS and
/// GotoBLAS lay out theirs: op(B) is packed in blocks of KC x <see cref="NC"/> into panels NR columns wide,
/// op(A) in blocks of <see cref="MC"/> x KC into panels MR rows high, and an MR x NR register tile of FMAs
/// computes each piece of C. With AVX-512 the tile is 12 x 32 (Vector512) and KC is 128. Otherwise the tile
/// is 6 x 16 (Vector256) and KC is 256.
/// </summary>
/// <remarks>
/// Block sizes suit common x86 cores with at least 32 KiB of L1 and 512 KiB of L2 per core. An A block
/// (at most 96 x 256 floats, 96 KiB) stays in L2 and a B panel (16 KiB) in L1. The packed B block (at most
/// 256 x 2048 floats, 2 MiB) stays in L3. Each thread keeps its own packing buffers, so repeated calls allocate
/// nothing after a thread's first call. The caller has checked every extent against the arrays, because the
/// kernels use raw pointers.
/// </remarks>
internal static class ManagedGemm
{
    /// <summary>This thread's idle packing buffer for op(B), or null while a call on this thread uses it.</summary>
    [ThreadStatic]
    private static float[]? t_packedB;

    /// <summary>This thread's idle packing buffer for op(A), or null while a task on this thread uses it.</summary>
    [ThreadStatic]
    private static float[]? t_packedA;

    /// <summary>Rows of op(A) per packed block, a multiple of both tiles' rows.</summary>
    public const int MC = 96;

    /// <summary>Largest depth of op(A) and op(B) per packed block, over both tiles.</summary>
    private const int MaxKC = 256;

    /// <summary>Columns of op(B) per packed block.</summary>
    public const int NC = 2048;

    /// <summary>Products with fewer multiply-adds than this run on one thread even when allowed more.</summary>
    private const long ParallelThreshold = 64 * 64 * 64;

    /// <summary>Register tiles of the micro-kernel.</summary>
    public enum Kernel
    {
        /// <summary>12 x 32 with Vector512 when the CPU has AVX-512F, else 6 x 16.</summary>
        Widest,

        /// <summary>6 x 16 with Vector256, whatever the CPU has.</summary>
        Vector256,
    }

    /// <summary>Whether <see cref="Kernel.Widest"/> means the Vector512 tile on this CPU.</summary>
    public static bool HasVector512Kernel => Avx512F.IsSupported && Vector512.IsHardwareAccelerated;

    /// <summary>
    /// Computes <c>C = alpha * op(A) * op(B) + beta * C</c>; op(A) is m x k, op(B) is k x n, and each matrix
    /// starts at its offset with its leading dimension as row stride. When <paramref name="parallel"/> is set,
    /// large products are split across the thread pool.
    /// </summary>
    public static unsafe void Sgemm(bool transposeA, bool transposeB, int m, int n, int k, float alpha,
        float[] a, int aOffset, int lda, float[] b, int bOffset, int ldb, float beta, float[] c, int cOffset, int ldc,
        bool parallel, Kernel kernel = Kernel.Widest)
    {
        if (m == 0 || n == 0)
        {
            return;
        }
        ScaleRows(m, n, beta, c, cOffset, ldc);
        if (k == 0 || alpha == 0f)
        {
            return;
        }

        int threads = parallel && (long)m * n * k >= ParallelThreshold ? Environment.ProcessorCount : 1;
        bool wide = kernel == Kernel.Widest && HasVector512Kernel;
        int tileRows = wide ? 12 : 6;
        int tileColumns = wide ? 32 : 16;
        int depth = wide ? 128 : 256;
        float[] packedB = PackingBuffer.Rent(ref t_packedB, MaxKC * NC);
        try
        {
            fixed (float* pa = a)
            fixed (float* pb = b)
            fixed (float* pc = c)
            fixed (float* pPackedB = packedB)
            {
                var job = new Job
                {
                    Wide = wide,
                    TileRows = tileRows,
                    TileColumns = tileColumns,
                    TransposeA = transposeA,
                    M = m,
                    Alpha = alpha,
                    A = pa + aOffset,
                    Lda = lda,
                    C = pc + cOffset,
                    Ldc = ldc,
                    PackedB = pPackedB,
                };
                for (int jc = 0; jc < n; jc += NC)
                {
                    int nc = Math.Min(NC, n - jc);
                    for (int pcol = 0; pcol < k; pcol += depth)
                    {
                        int kc = Math.Min(depth, k - pcol);
                        PackB(transposeB, pb + bOffset, ldb, pcol, kc, jc, nc, tileColumns, pPackedB);
                        job.Jc = jc;
                        job.Nc = nc;
                        job.Pc = pcol;
                        job.Kc = kc;
                        RunBlocks(job, threads);
                    }
                }
            }
        }
        finally
        {
            PackingBuffer.Return(ref t_packedB, packedB);
        }
    }

    /// <summary>Multiplies m rows of n elements by beta; beta 0 stores zeros, so NaN in C does not survive.</summary>
    public static void ScaleRows(int m, int n, float beta, float[] c, int cOffset, int ldc)
    {
        if (beta == 1f)
        {
            return;
        }
        for (int i = 0; i < m; i++)
        {
            Span<float> row = c.AsSpan(cOffset + i * ldc, n);
            if (beta == 0f)
            {
                row.Clear();
            }
            else
            {
                TensorPrimitives.Multiply(row, beta, row);
            }
        }
    }

    /// <summary>
    /// Hands out a thread's cached buffer and takes it back. A call that finds the slot empty, because an
    /// outer call on the same thread still uses the buffer, gets one from the shared array pool instead.
    /// </summary>
    private static class PackingBuffer
    {
        public static float[] Rent(ref float[]? slot, int length)
        {
            float[]? cached = slot;
            if (cached is not null)
            {
                slot = null;
                return cached;
            }
            return ArrayPool<float>.Shared.Rent(length);
        }

        public static void Return(ref float[]? slot, float[] buffer)
        {
            if (slot is null)
            {
                slot = buffer;
                return;
            }
            ArrayPool<float>.Shared.Return(buffer);
        }
    }

    /// <summary>One packed (KC x NC) block of op(B) and what the workers need to multiply it.</summary>
    private unsafe struct Job
    {
        public bool Wide;
        public int TileRows;
        public int TileColumns;
        public bool TransposeA;
        public int M;
        public float Alpha;
        public float* A;
        public int Lda;
        public float* C;
        public int Ldc;
        public float* PackedB;
        public int Jc;
        public int Nc;
        public int Pc;
        public int Kc;
    }

    /// <summary>
    /// Multiplies every MC-row block of op(A) by the packed B block. With several threads, the work is split
    /// into row blocks, and into column ranges of B panels as well when there are too few row blocks. Each
    /// task packs its own A block.
    /// </summary>
    private static void RunBlocks(Job job, int threads)
    {
        int rowBlocks = (job.M + MC - 1) / MC;
        int panels = (job.Nc + job.TileColumns - 1) / job.TileColumns;
        int columnChunks = 1;
        if (threads > 1 && rowBlocks < 2 * threads)
        {
            columnChunks = Math.Min(panels, (2 * threads + rowBlocks - 1) / rowBlocks);
        }
        int tasks = rowBlocks * columnChunks;
        if (threads > 1 && tasks > 1)
        {
            Parallel.For(0, tasks, new ParallelOptions { MaxDegreeOfParallelism = threads },
                t => RunTask(job, t / columnChunks, t % columnChunks, columnChunks, panels));
        }
        else
        {
            for (int t = 0; t < tasks; t++)
            {
                RunTask(job, t / columnChunks, t % columnChunks, columnChunks, panels);
            }
        }
    }

    private static unsafe void RunTask(Job job, int rowBlock, int chunk, int chunks, int panels)
    {
        int ic = rowBlock * MC;
        int mc = Math.Min(MC, job.M - ic);
        int firstPanel = (int)((long)chunk * panels / chunks);
        int endPanel = (int)((long)(chunk + 1) * panels / chunks);
        if (firstPanel == endPanel)
        {
            return;
        }
        float[] packedA = PackingBuffer.Rent(ref t_packedA, MC * MaxKC);
        try
        {
            fixed (float* pPackedA = packedA)
            {
                PackA(job.TransposeA, job.A, job.Lda, job.Alpha, ic, mc, job.Pc, job.Kc, job.TileRows,
                    pPackedA);
                MultiplyBlock(job, ic, mc, pPackedA, firstPanel, endPanel);
            }
        }
        finally
        {
            PackingBuffer.Return(ref t_packedA, packedA);
        }
    }

    /// <summary>
    /// Runs the register tile over B panels [firstPanel, endPanel) and every tile-high panel of the packed A
    /// block. The B panel loop is outside so that one B panel stays in L1 while the A panels stream past.
    /// </summary>
    private static unsafe void MultiplyBlock(Job job, int ic, int mc, float* packedA, int firstPanel, int endPanel)
    {
        int kc = job.Kc;
        int tileRows = job.TileRows;
        int tileColumns = job.TileColumns;
        float* edge = stackalloc float[12 * 32];
        for (int panel = firstPanel; panel < endPanel; panel++)
        {
            int j = panel * tileColumns;
            int nr = Math.Min(tileColumns, job.Nc - j);
            float* bPanel = job.PackedB + (long)panel * tileColumns * kc;
            for (int ir = 0; ir < mc; ir += tileRows)
            {
                int mr = Math.Min(tileRows, mc - ir);
                float* aPanel = packedA + (long)ir * kc;
                float* cTile = job.C + (long)(ic + ir) * job.Ldc + job.Jc + j;
                if (mr == tileRows && nr == tileColumns)
                {
                    RunKernel(job.Wide, kc, aPanel, bPanel, cTile, job.Ldc);
                    continue;
                }

                // A partial tile is computed into a zeroed scratch tile and only its valid part added to C.
                new Span<float>(edge, tileRows * tileColumns).Clear();
                RunKernel(job.Wide, kc, aPanel, bPanel, edge, tileColumns);
                for (int r = 0; r < mr; r++)
                {
                    float* cRow = cTile + (long)r * job.Ldc;
                    for (int col = 0; col < nr; col++)
                    {
                        cRow[col] += edge[r * tileColumns + col];
                    }
                }
            }
        }
    }

    /// <summary>
    /// Packs alpha * op(A)[ic .. ic + mc, pc .. pc + kc] into panels of MR (tileRows) rows: element (r, kk) of
    /// panel p is at <c>(p * kc + kk) * MR + r</c>. Rows past the end of A are zero.
    /// </summary>
    private static unsafe void PackA(bool transposeA, float* a, int lda, float alpha, int ic, int mc, int pc, int kc,
        int tileRows, float* dst)
    {
        for (int ir = 0; ir < mc; ir += tileRows)
        {
            int mr = Math.Min(tileRows, mc - ir);
            float* panel = dst + (long)ir * kc;
            if (transposeA)
            {
                // op(A)[i, p] = A[p, i]: each k step reads mr contiguous elements.
                for (int kk = 0; kk < kc; kk++)
                {
                    float* src = a + (long)(pc + kk) * lda + ic + ir;
                    float* d = panel + kk * tileRows;
                    for (int r = 0; r < mr; r++)
                    {
                        d[r] = alpha * src[r];
                    }
                    for (int r = mr; r < tileRows; r++)
                    {
                        d[r] = 0f;
                    }
                }
                continue;
            }
            for (int r = 0; r < tileRows; r++)
            {
                if (r >= mr)
                {
                    for (int kk = 0; kk < kc; kk++)
                    {
                        panel[kk * tileRows + r] = 0f;
                    }
                    continue;
                }
                float* src = a + (long)(ic + ir + r) * lda + pc;
                for (int kk = 0; kk < kc; kk++)
                {
                    panel[kk * tileRows + r] = alpha * src[kk];
                }
            }
        }
    }

    /// <summary>
    /// Packs op(B)[pc .. pc + kc, jc .. jc + nc] into panels of NR (tileColumns) columns: element (kk, col) of
    /// panel p is at <c>(p * kc + kk) * NR + col</c>. Columns past the end of B are zero.
    /// </summary>
    private static unsafe void PackB(bool transposeB, float* b, int ldb, int pc, int kc, int jc, int nc,
        int tileColumns, float* dst)
    {
        for (int j = 0; j < nc; j += tileColumns)
        {
            int nr = Math.Min(tileColumns, nc - j);
            float* panel = dst + (long)j * kc;
            if (transposeB)
            {
                // op(B)[p, j] = B[j, p]: each column of the panel is a contiguous run of B.
                for (int col = 0; col < tileColumns; col++)
                {
                    if (col >= nr)
                    {
                        for (int kk = 0; kk < kc; kk++)
                        {
                            panel[kk * tileColumns + col] = 0f;
                        }
                        continue;
                    }
                    float* src = b + (long)(jc + j + col) * ldb + pc;
                    for (int kk = 0; kk < kc; kk++)
                    {
                        panel[kk * tileColumns + col] = src[kk];
                    }
                }
                continue;
            }
            for (int kk = 0; kk < kc; kk++)
            {
                float* src = b + (long)(pc + kk) * ldb + jc + j;
                float* d = panel + kk * tileColumns;
                if (nr == tileColumns)
                {
                    new ReadOnlySpan<float>(src, tileColumns).CopyTo(new Span<float>(d, tileColumns));
                    continue;
                }
                for (int col = 0; col < nr; col++)
                {
                    d[col] = src[col];
                }
                for (int col = nr; col < tileColumns; col++)
                {
                    d[col] = 0f;
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void RunKernel(bool wide, int kc, float* a, float* b, float* c, int ldc)
    {
        if (wide)
        {
            Kernel12x32(kc, a, b, c, ldc);
        }
        else
        {
            Kernel6x16(kc, a, b, c, ldc);
        }
    }

    /// <summary>
    /// Adds the product of a 6 x kc panel of A and a kc x 16 panel of B into a 6 x 16 tile of C with row
    /// stride <paramref name="ldc"/>. The twelve accumulators stay in vector registers for the whole k loop.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Kernel6x16(int kc, float* a, float* b, float* c, int ldc)
    {
        Vector256<float> c00 = Vector256<float>.Zero, c01 = Vector256<float>.Zero;
        Vector256<float> c10 = Vector256<float>.Zero, c11 = Vector256<float>.Zero;
        Vector256<float> c20 = Vector256<float>.Zero, c21 = Vector256<float>.Zero;
        Vector256<float> c30 = Vector256<float>.Zero, c31 = Vector256<float>.Zero;
        Vector256<float> c40 = Vector256<float>.Zero, c41 = Vector256<float>.Zero;
        Vector256<float> c50 = Vector256<float>.Zero, c51 = Vector256<float>.Zero;

        for (int p = 0; p < kc; p++)
        {
            Vector256<float> b0 = Vector256.Load(b);
            Vector256<float> b1 = Vector256.Load(b + 8);

            Vector256<float> ai = Vector256.Create(a[0]);
            c00 = MultiplyAdd(ai, b0, c00);
            c01 = MultiplyAdd(ai, b1, c01);
            ai = Vector256.Create(a[1]);
            c10 = MultiplyAdd(ai, b0, c10);
            c11 = MultiplyAdd(ai, b1, c11);
            ai = Vector256.Create(a[2]);
            c20 = MultiplyAdd(ai, b0, c20);
            c21 = MultiplyAdd(ai, b1, c21);
            ai = Vector256.Create(a[3]);
            c30 = MultiplyAdd(ai, b0, c30);
            c31 = MultiplyAdd(ai, b1, c31);
            ai = Vector256.Create(a[4]);
            c40 = MultiplyAdd(ai, b0, c40);
            c41 = MultiplyAdd(ai, b1, c41);
            ai = Vector256.Create(a[5]);
            c50 = MultiplyAdd(ai, b0, c50);
            c51 = MultiplyAdd(ai, b1, c51);

            a += 6;
            b += 16;
        }

        AddRow(c, c00, c01);
        AddRow(c + ldc, c10, c11);
        AddRow(c + 2 * ldc, c20, c21);
        AddRow(c + 3 * ldc, c30, c31);
        AddRow(c + 4 * ldc, c40, c41);
        AddRow(c + 5 * ldc, c50, c51);
    }

    /// <summary>
    /// Adds the product of a 12 x kc panel of A and a kc x 32 panel of B into a 12 x 32 tile of C with row
    /// stride <paramref name="ldc"/>. The 24 accumulators, two B vectors and one broadcast fit the 32 AVX-512
    /// registers, so nothing spills inside the k loop.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Kernel12x32(int kc, float* a, float* b, float* c, int ldc)
    {
        Vector512<float> c00 = Vector512<float>.Zero, c01 = Vector512<float>.Zero;
        Vector512<float> c10 = Vector512<float>.Zero, c11 = Vector512<float>.Zero;
        Vector512<float> c20 = Vector512<float>.Zero, c21 = Vector512<float>.Zero;
        Vector512<float> c30 = Vector512<float>.Zero, c31 = Vector512<float>.Zero;
        Vector512<float> c40 = Vector512<float>.Zero, c41 = Vector512<float>.Zero;
        Vector512<float> c50 = Vector512<float>.Zero, c51 = Vector512<float>.Zero;
        Vector512<float> c60 = Vector512<float>.Zero, c61 = Vector512<float>.Zero;
        Vector512<float> c70 = Vector512<float>.Zero, c71 = Vector512<float>.Zero;
        Vector512<float> c80 = Vector512<float>.Zero, c81 = Vector512<float>.Zero;
        Vector512<float> c90 = Vector512<float>.Zero, c91 = Vector512<float>.Zero;
        Vector512<float> ca0 = Vector512<float>.Zero, ca1 = Vector512<float>.Zero;
        Vector512<float> cb0 = Vector512<float>.Zero, cb1 = Vector512<float>.Zero;

        for (int p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Vector512.Load(b);
            Vector512<float> b1 = Vector512.Load(b + 16);

            Vector512<float> ai = Vector512.Create(a[0]);
            c00 = Avx512F.FusedMultiplyAdd(ai, b0, c00);
            c01 = Avx512F.FusedMultiplyAdd(ai, b1, c01);
            ai = Vector512.Create(a[1]);
            c10 = Avx512F.FusedMultiplyAdd(ai, b0, c10);
            c11 = Avx512F.FusedMultiplyAdd(ai, b1, c11);
            ai = Vector512.Create(a[2]);
            c20 = Avx512F.FusedMultiplyAdd(ai, b0, c20);
            c21 = Avx512F.FusedMultiplyAdd(ai, b1, c21);
            ai = Vector512.Create(a[3]);
            c30 = Avx512F.FusedMultiplyAdd(ai, b0, c30);
            c31 = Avx512F.FusedMultiplyAdd(ai, b1, c31);
            ai = Vector512.Create(a[4]);
            c40 = Avx512F.FusedMultiplyAdd(ai, b0, c40);
            c41 = Avx512F.FusedMultiplyAdd(ai, b1, c41);
            ai = Vector512.Create(a[5]);
            c50 = Avx512F.FusedMultiplyAdd(ai, b0, c50);
            c51 = Avx512F.FusedMultiplyAdd(ai, b1, c51);
            ai = Vector512.Create(a[6]);
            c60 = Avx512F.FusedMultiplyAdd(ai, b0, c60);
            c61 = Avx512F.FusedMultiplyAdd(ai, b1, c61);
            ai = Vector512.Create(a[7]);
            c70 = Avx512F.FusedMultiplyAdd(ai, b0, c70);
            c71 = Avx512F.FusedMultiplyAdd(ai, b1, c71);
            ai = Vector512.Create(a[8]);
            c80 = Avx512F.FusedMultiplyAdd(ai, b0, c80);
            c81 = Avx512F.FusedMultiplyAdd(ai, b1, c81);
            ai = Vector512.Create(a[9]);
            c90 = Avx512F.FusedMultiplyAdd(ai, b0, c90);
            c91 = Avx512F.FusedMultiplyAdd(ai, b1, c91);
            ai = Vector512.Create(a[10]);
            ca0 = Avx512F.FusedMultiplyAdd(ai, b0, ca0);
            ca1 = Avx512F.FusedMultiplyAdd(ai, b1, ca1);
            ai = Vector512.Create(a[11]);
            cb0 = Avx512F.FusedMultiplyAdd(ai, b0, cb0);
            cb1 = Avx512F.FusedMultiplyAdd(ai, b1, cb1);

            a += 12;
            b += 32;
        }

        AddRow(c, c00, c01);
        AddRow(c + ldc, c10, c11);
        AddRow(c + 2 * ldc, c20, c21);
        AddRow(c + 3 * ldc, c30, c31);
        AddRow(c + 4 * ldc, c40, c41);
        AddRow(c + 5 * ldc, c50, c51);
        AddRow(c + 6 * ldc, c60, c61);
        AddRow(c + 7 * ldc, c70, c71);
        AddRow(c + 8 * ldc, c80, c81);
        AddRow(c + 9 * ldc, c90, c91);
        AddRow(c + 10 * ldc, ca0, ca1);
        AddRow(c + 11 * ldc, cb0, cb1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void AddRow(float* c, Vector512<float> left, Vector512<float> right)
    {
        Vector512.Store(Vector512.Load(c) + left, c);
        Vector512.Store(Vector512.Load(c + 16) + right, c + 16);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void AddRow(float* c, Vector256<float> left, Vector256<float> right)
    {
        Vector256.Store(Vector256.Load(c) + left, c);
        Vector256.Store(Vector256.Load(c + 8) + right, c + 8);
    }

    /// <summary><c>a * b + c</c>, fused where the CPU has FMA (the JIT drops the other branch).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> MultiplyAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c) =>
        Fma.IsSupported ? Fma.MultiplyAdd(a, b, c) : a * b + c;
}
