using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FaceNet.Runtime.Cpu;

/// <summary>
/// Row-major SGEMM in managed code, <c>C = alpha * op(A) * op(B) + beta * C</c>, laid out the way BLIS and
/// GotoBLAS lay out theirs: op(B) is packed in blocks of <see cref="KC"/> x <see cref="NC"/> into panels
/// <see cref="NR"/> columns wide, op(A) in blocks of <see cref="MC"/> x <see cref="KC"/> into panels
/// <see cref="MR"/> rows high, and a 6 x 16 register tile of Vector256 FMAs computes each piece of C.
/// </summary>
/// <remarks>
/// Block sizes suit common x86 cores with at least 32 KiB of L1 and 512 KiB of L2 per core: an A block
/// (96 x 256 floats, 96 KiB) stays in L2, a B panel (256 x 16 floats, 16 KiB) in L1, and the packed B block
/// (256 x 2048 floats, 2 MiB) in L3. Each thread keeps its own packing buffers, so repeated calls allocate
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

    /// <summary>Rows of the register tile.</summary>
    public const int MR = 6;

    /// <summary>Columns of the register tile: two Vector256 of floats.</summary>
    public const int NR = 16;

    /// <summary>Rows of op(A) per packed block.</summary>
    public const int MC = 96;

    /// <summary>Depth of op(A) and op(B) per packed block.</summary>
    public const int KC = 256;

    /// <summary>Columns of op(B) per packed block.</summary>
    public const int NC = 2048;

    /// <summary>Products with fewer multiply-adds than this run on one thread even when allowed more.</summary>
    private const long ParallelThreshold = 64 * 64 * 64;

    /// <summary>
    /// Computes <c>C = alpha * op(A) * op(B) + beta * C</c>; op(A) is m x k, op(B) is k x n, and each matrix
    /// starts at its offset with its leading dimension as row stride. When <paramref name="parallel"/> is set,
    /// large products are split across the thread pool.
    /// </summary>
    public static unsafe void Sgemm(bool transposeA, bool transposeB, int m, int n, int k, float alpha,
        float[] a, int aOffset, int lda, float[] b, int bOffset, int ldb, float beta, float[] c, int cOffset, int ldc,
        bool parallel)
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
        float[] packedB = PackingBuffer.Rent(ref t_packedB, KC * NC);
        try
        {
            fixed (float* pa = a)
            fixed (float* pb = b)
            fixed (float* pc = c)
            fixed (float* pPackedB = packedB)
            {
                var job = new Job
                {
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
                    for (int pcol = 0; pcol < k; pcol += KC)
                    {
                        int kc = Math.Min(KC, k - pcol);
                        PackB(transposeB, pb + bOffset, ldb, pcol, kc, jc, nc, pPackedB);
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
        int panels = (job.Nc + NR - 1) / NR;
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
        float[] packedA = PackingBuffer.Rent(ref t_packedA, MC * KC);
        try
        {
            fixed (float* pPackedA = packedA)
            {
                PackA(job.TransposeA, job.A, job.Lda, job.Alpha, ic, mc, job.Pc, job.Kc, pPackedA);
                MultiplyBlock(job, ic, mc, pPackedA, firstPanel, endPanel);
            }
        }
        finally
        {
            PackingBuffer.Return(ref t_packedA, packedA);
        }
    }

    /// <summary>
    /// Runs the register tile over B panels [firstPanel, endPanel) and every MR-row panel of the packed A
    /// block. The B panel loop is outside so that one B panel stays in L1 while the A panels stream past.
    /// </summary>
    private static unsafe void MultiplyBlock(Job job, int ic, int mc, float* packedA, int firstPanel, int endPanel)
    {
        int kc = job.Kc;
        float* edge = stackalloc float[MR * NR];
        for (int panel = firstPanel; panel < endPanel; panel++)
        {
            int j = panel * NR;
            int nr = Math.Min(NR, job.Nc - j);
            float* bPanel = job.PackedB + (long)panel * NR * kc;
            for (int ir = 0; ir < mc; ir += MR)
            {
                int mr = Math.Min(MR, mc - ir);
                float* aPanel = packedA + (long)ir * kc;
                float* cTile = job.C + (long)(ic + ir) * job.Ldc + job.Jc + j;
                if (mr == MR && nr == NR)
                {
                    Kernel6x16(kc, aPanel, bPanel, cTile, job.Ldc);
                    continue;
                }

                // A partial tile is computed into a zeroed scratch tile and only its valid part added to C.
                new Span<float>(edge, MR * NR).Clear();
                Kernel6x16(kc, aPanel, bPanel, edge, NR);
                for (int r = 0; r < mr; r++)
                {
                    float* cRow = cTile + (long)r * job.Ldc;
                    for (int col = 0; col < nr; col++)
                    {
                        cRow[col] += edge[r * NR + col];
                    }
                }
            }
        }
    }

    /// <summary>
    /// Packs alpha * op(A)[ic .. ic + mc, pc .. pc + kc] into panels of MR rows: element (r, kk) of panel p is at
    /// <c>(p * kc + kk) * MR + r</c>. Rows past the end of A are zero.
    /// </summary>
    private static unsafe void PackA(bool transposeA, float* a, int lda, float alpha, int ic, int mc, int pc, int kc,
        float* dst)
    {
        for (int ir = 0; ir < mc; ir += MR)
        {
            int mr = Math.Min(MR, mc - ir);
            float* panel = dst + (long)ir * kc;
            if (transposeA)
            {
                // op(A)[i, p] = A[p, i]: each k step reads mr contiguous elements.
                for (int kk = 0; kk < kc; kk++)
                {
                    float* src = a + (long)(pc + kk) * lda + ic + ir;
                    float* d = panel + kk * MR;
                    for (int r = 0; r < mr; r++)
                    {
                        d[r] = alpha * src[r];
                    }
                    for (int r = mr; r < MR; r++)
                    {
                        d[r] = 0f;
                    }
                }
                continue;
            }
            for (int r = 0; r < MR; r++)
            {
                if (r >= mr)
                {
                    for (int kk = 0; kk < kc; kk++)
                    {
                        panel[kk * MR + r] = 0f;
                    }
                    continue;
                }
                float* src = a + (long)(ic + ir + r) * lda + pc;
                for (int kk = 0; kk < kc; kk++)
                {
                    panel[kk * MR + r] = alpha * src[kk];
                }
            }
        }
    }

    /// <summary>
    /// Packs op(B)[pc .. pc + kc, jc .. jc + nc] into panels of NR columns: element (kk, col) of panel p is at
    /// <c>(p * kc + kk) * NR + col</c>. Columns past the end of B are zero.
    /// </summary>
    private static unsafe void PackB(bool transposeB, float* b, int ldb, int pc, int kc, int jc, int nc, float* dst)
    {
        for (int j = 0; j < nc; j += NR)
        {
            int nr = Math.Min(NR, nc - j);
            float* panel = dst + (long)j * kc;
            if (transposeB)
            {
                // op(B)[p, j] = B[j, p]: each column of the panel is a contiguous run of B.
                for (int col = 0; col < NR; col++)
                {
                    if (col >= nr)
                    {
                        for (int kk = 0; kk < kc; kk++)
                        {
                            panel[kk * NR + col] = 0f;
                        }
                        continue;
                    }
                    float* src = b + (long)(jc + j + col) * ldb + pc;
                    for (int kk = 0; kk < kc; kk++)
                    {
                        panel[kk * NR + col] = src[kk];
                    }
                }
                continue;
            }
            for (int kk = 0; kk < kc; kk++)
            {
                float* src = b + (long)(pc + kk) * ldb + jc + j;
                float* d = panel + kk * NR;
                if (nr == NR)
                {
                    Vector256.Store(Vector256.Load(src), d);
                    Vector256.Store(Vector256.Load(src + 8), d + 8);
                    continue;
                }
                for (int col = 0; col < nr; col++)
                {
                    d[col] = src[col];
                }
                for (int col = nr; col < NR; col++)
                {
                    d[col] = 0f;
                }
            }
        }
    }

    /// <summary>
    /// Adds the product of an MR x kc panel of A and a kc x NR panel of B into a 6 x 16 tile of C with row
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

            a += MR;
            b += NR;
        }

        AddRow(c, c00, c01);
        AddRow(c + ldc, c10, c11);
        AddRow(c + 2 * ldc, c20, c21);
        AddRow(c + 3 * ldc, c30, c31);
        AddRow(c + 4 * ldc, c40, c41);
        AddRow(c + 5 * ldc, c50, c51);
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
