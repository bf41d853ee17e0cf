using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Runtime.Cpu;

/// <summary>
/// Convolution as GEMM. The inputs of a chunk of B samples are unrolled side by side into one column matrix of
/// K = Cin * KH * KW rows and B * P columns, P = OH * OW (im2col), so that the forward pass of the chunk is one
/// product <c>Y (Cout x B*P) = W (Cout x K) * columns</c>. Sample b owns columns [b * P, (b + 1) * P).
/// </summary>
/// <remarks>
/// <para>
/// B is chosen so that B * P reaches <see cref="ConvolutionColumnTarget"/>: late layers with 6x6 or 3x3 outputs
/// would otherwise run products only 36 or 9 columns wide, where the GEMM spends its time packing W. Layers
/// whose P already reaches the target run one sample per product, and then a 1x1 convolution with stride 1 and
/// no padding uses the input itself as the column matrix and writes straight into the output. With B above 1
/// the product lands in a scratch matrix that is then copied into the NCHW output, and the backward passes
/// gather dy into that layout first. The weight gradient of a chunk is one product whose inner dimension is
/// B * P.
/// </para>
/// <para>
/// Samples are split into contiguous ranges, one worker per core, and each worker's GEMM is single-threaded.
/// When the batch is smaller than the core count, the GEMMs are split across the cores as well. Scratch comes
/// from the backend's pool with one buffer per worker, so after the first step of a training run no large
/// array is allocated.
/// </para>
/// </remarks>
public sealed partial class CpuBackend
{
    /// <summary>Default of <see cref="ConvolutionColumnTarget"/>.</summary>
    // NOTE: OpenBLAS 0.3.21 on the 2-core Zen 4 benchmark machine ran nn4-small2's 3x3 product at K = 864 about
    // 2.5 times faster with 144 columns than with 9; 512 is a round number above the widths measured fast.
    internal const int DefaultConvolutionColumnTarget = 512;

    /// <summary>Upper bound on the floats of one worker's convolution scratch (column and output matrices).</summary>
    private const long MaxConvolutionScratch = 1L << 22;

    /// <summary>
    /// Columns that one convolution GEMM should reach by unrolling several samples side by side. 1 keeps one
    /// sample per product; tests set it to exercise both paths.
    /// </summary>
    internal int ConvolutionColumnTarget { get; init; } = DefaultConvolutionColumnTarget;

    /// <inheritdoc />
    public void Conv2dForward(in Conv2dGeometry g, Tensor x, Tensor weight, Tensor? bias, Tensor y, bool relu)
    {
        Conv2dGeometry geometry = g;
        int k = g.InChannels * g.KernelH * g.KernelW;
        int positions = g.OutH * g.OutW;
        bool direct = IsDirect(g);
        float[] xArray = Array(x);
        float[] wArray = Array(weight);
        float[] yArray = Array(y);
        float[]? bArray = bias is null ? null : Array(bias);
        int workers = SampleWorkers(g.N);
        int chunk = ChunkSamples(g.N, workers, k, g.OutChannels, positions);

        // Scratch per worker: the column matrix (K x B*P), then the product (Cout x B*P) when B > 1.
        int columnsLength = direct && chunk == 1 ? 0 : k * chunk * positions;
        int productLength = chunk == 1 ? 0 : g.OutChannels * chunk * positions;
        float[]?[] scratch = RentScratch(workers, columnsLength + productLength);
        try
        {
            ForEachChunk(g.N, workers, chunk, (worker, first, count, parallelGemm) =>
            {
                int ld = count * positions;
                if (count == 1)
                {
                    ForwardOneSample(geometry, xArray, x, first, wArray, weight, bArray, bias, yArray, y, relu,
                        scratch[worker], parallelGemm);
                    return;
                }
                float[] buffer = scratch[worker]!;
                for (int b = 0; b < count; b++)
                {
                    Im2Col(geometry, xArray, x.Offset + (first + b) * x.BatchStride, buffer, b * positions, ld);
                }
                int productOffset = k * ld;
                GemmArrays(false, false, geometry.OutChannels, ld, k, 1f, wArray, weight.Offset, weight.BatchStride,
                    buffer, 0, ld, 0f, buffer, productOffset, ld, parallelGemm);

                // Copy each sample's block of the product into y, adding the bias and applying ReLU on the way.
                for (int b = 0; b < count; b++)
                {
                    int yOffset = y.Offset + (first + b) * y.BatchStride;
                    for (int co = 0; co < geometry.OutChannels; co++)
                    {
                        ReadOnlySpan<float> source = buffer.AsSpan(productOffset + co * ld + b * positions, positions);
                        Span<float> target = yArray.AsSpan(yOffset + co * positions, positions);
                        if (bArray is null)
                        {
                            source.CopyTo(target);
                        }
                        else
                        {
                            TensorPrimitives.Add(source, bArray[bias!.Offset + co * bias.BatchStride], target);
                        }
                        if (relu)
                        {
                            TensorPrimitives.Max(target, 0f, target);
                        }
                    }
                }
            });
        }
        finally
        {
            ReturnScratch(scratch);
        }
    }

    /// <summary>The forward pass of one sample: one product written straight into y.</summary>
    private void ForwardOneSample(in Conv2dGeometry g, float[] xArray, Tensor x, int n, float[] wArray,
        Tensor weight, float[]? bArray, Tensor? bias, float[] yArray, Tensor y, bool relu, float[]? scratch,
        bool parallelGemm)
    {
        int k = g.InChannels * g.KernelH * g.KernelW;
        int positions = g.OutH * g.OutW;
        float[] columns = xArray;
        int columnsOffset = x.Offset + n * x.BatchStride;
        if (!IsDirect(g))
        {
            columns = scratch!;
            columnsOffset = 0;
            Im2Col(g, xArray, x.Offset + n * x.BatchStride, columns, 0, positions);
        }

        // The bias goes in first and the GEMM adds the product onto it (beta = 1).
        int yOffset = y.Offset + n * y.BatchStride;
        float beta = 0f;
        if (bArray is not null)
        {
            for (int co = 0; co < g.OutChannels; co++)
            {
                float value = bArray[bias!.Offset + co * bias.BatchStride];
                yArray.AsSpan(yOffset + co * positions, positions).Fill(value);
            }
            beta = 1f;
        }
        GemmArrays(false, false, g.OutChannels, positions, k, 1f, wArray, weight.Offset, weight.BatchStride,
            columns, columnsOffset, positions, beta, yArray, yOffset, positions, parallelGemm);

        if (relu)
        {
            Span<float> sample = yArray.AsSpan(yOffset, g.OutChannels * positions);
            TensorPrimitives.Max(sample, 0f, sample);
        }
    }

    /// <inheritdoc />
    public void Conv2dBackwardData(in Conv2dGeometry g, Tensor dy, Tensor weight, Tensor dx)
    {
        Conv2dGeometry geometry = g;
        int k = g.InChannels * g.KernelH * g.KernelW;
        int positions = g.OutH * g.OutW;
        bool direct = IsDirect(g);
        float[] dyArray = Array(dy);
        float[] wArray = Array(weight);
        float[] dxArray = Array(dx);
        int workers = SampleWorkers(g.N);
        int chunk = ChunkSamples(g.N, workers, k, g.OutChannels, positions);

        // Scratch per worker: the column gradient (K x B*P), then dy gathered side by side (Cout x B*P) when B > 1.
        int columnsLength = direct && chunk == 1 ? 0 : k * chunk * positions;
        int gatheredLength = chunk == 1 ? 0 : g.OutChannels * chunk * positions;
        float[]?[] scratch = RentScratch(workers, columnsLength + gatheredLength);
        try
        {
            ForEachChunk(g.N, workers, chunk, (worker, first, count, parallelGemm) =>
            {
                int ld = count * positions;
                int dyOffset = dy.Offset + first * dy.BatchStride;
                if (count == 1 && direct)
                {
                    // dx_n += W^T * dy_n straight into dx, since its layout is the column matrix's.
                    GemmArrays(true, false, k, positions, geometry.OutChannels, 1f, wArray, weight.Offset,
                        weight.BatchStride, dyArray, dyOffset, positions, 1f, dxArray,
                        dx.Offset + first * dx.BatchStride, positions, parallelGemm);
                    return;
                }
                float[] buffer = scratch[worker]!;
                float[] gradient = dyArray;
                int gradientOffset = dyOffset;
                if (count > 1)
                {
                    gradient = buffer;
                    gradientOffset = k * ld;
                    GatherSamples(dyArray, dy, first, count, geometry.OutChannels, positions, buffer, gradientOffset);
                }
                GemmArrays(true, false, k, ld, geometry.OutChannels, 1f, wArray, weight.Offset, weight.BatchStride,
                    gradient, gradientOffset, ld, 0f, buffer, 0, ld, parallelGemm);
                for (int b = 0; b < count; b++)
                {
                    Col2ImAdd(geometry, buffer, b * positions, ld, dxArray, dx.Offset + (first + b) * dx.BatchStride);
                }
            });
        }
        finally
        {
            ReturnScratch(scratch);
        }
    }

    /// <inheritdoc />
    public void Conv2dBackwardFilter(in Conv2dGeometry g, Tensor x, Tensor dy, Tensor dWeight, Tensor? dBias)
    {
        Conv2dGeometry geometry = g;
        int k = g.InChannels * g.KernelH * g.KernelW;
        int positions = g.OutH * g.OutW;
        bool direct = IsDirect(g);
        float[] xArray = Array(x);
        float[] dyArray = Array(dy);
        float[] dwArray = Array(dWeight);
        float[]? dbArray = dBias is null ? null : Array(dBias);
        int workers = SampleWorkers(g.N);
        int chunk = ChunkSamples(g.N, workers, k, g.OutChannels, positions);

        // Scratch per worker: the column matrix (K x B*P), then dy gathered side by side (Cout x B*P) when B > 1.
        int columnsLength = direct && chunk == 1 ? 0 : k * chunk * positions;
        int gatheredLength = chunk == 1 ? 0 : g.OutChannels * chunk * positions;
        float[]?[] scratch = RentScratch(workers, columnsLength + gatheredLength);

        // Worker 0 adds straight into dWeight and dBias. The other workers fill private sums (weights, then
        // bias) that are added afterwards in worker order, so the result does not depend on thread timing.
        int partialLength = g.OutChannels * k + g.OutChannels;
        float[]?[] partials = RentScratch(workers, partialLength, skipFirst: true);
        try
        {
            ForEachChunk(g.N, workers, chunk, (worker, first, count, parallelGemm) =>
            {
                int ld = count * positions;
                float[] columns = xArray;
                int columnsOffset = x.Offset + first * x.BatchStride;
                if (!direct || count > 1)
                {
                    columns = scratch[worker]!;
                    columnsOffset = 0;
                    for (int b = 0; b < count; b++)
                    {
                        Im2Col(geometry, xArray, x.Offset + (first + b) * x.BatchStride, columns, b * positions, ld);
                    }
                }
                float[] gradient = dyArray;
                int gradientOffset = dy.Offset + first * dy.BatchStride;
                if (count > 1)
                {
                    gradient = scratch[worker]!;
                    gradientOffset = k * ld;
                    GatherSamples(dyArray, dy, first, count, geometry.OutChannels, positions, gradient,
                        gradientOffset);
                }

                float[] target = dwArray;
                int targetOffset = dWeight.Offset;
                int targetStride = dWeight.BatchStride;
                bool firstOfWorker = first == FirstSample(geometry.N, workers, worker);
                float beta = 1f;
                if (worker > 0)
                {
                    target = partials[worker]!;
                    targetOffset = 0;
                    targetStride = k;
                    beta = firstOfWorker ? 0f : 1f;
                }
                GemmArrays(false, true, geometry.OutChannels, k, ld, 1f, gradient, gradientOffset, ld, columns,
                    columnsOffset, ld, beta, target, targetOffset, targetStride, parallelGemm);

                if (dbArray is null)
                {
                    return;
                }
                for (int co = 0; co < geometry.OutChannels; co++)
                {
                    float sum = 0f;
                    for (int b = 0; b < count; b++)
                    {
                        int dyOffset = dy.Offset + (first + b) * dy.BatchStride;
                        sum += TensorPrimitives.Sum(dyArray.AsSpan(dyOffset + co * positions, positions));
                    }
                    if (worker == 0)
                    {
                        dbArray[dBias!.Offset + co * dBias.BatchStride] += sum;
                    }
                    else
                    {
                        float[] partial = partials[worker]!;
                        int index = geometry.OutChannels * k + co;
                        partial[index] = beta == 0f ? sum : partial[index] + sum;
                    }
                }
            });

            for (int worker = 1; worker < workers; worker++)
            {
                float[] partial = partials[worker]!;
                for (int co = 0; co < g.OutChannels; co++)
                {
                    Span<float> row = dwArray.AsSpan(dWeight.Offset + co * dWeight.BatchStride, k);
                    TensorPrimitives.Add(row, partial.AsSpan(co * k, k), row);
                    if (dbArray is not null)
                    {
                        dbArray[dBias!.Offset + co * dBias.BatchStride] += partial[g.OutChannels * k + co];
                    }
                }
            }
        }
        finally
        {
            ReturnScratch(scratch);
            ReturnScratch(partials);
        }
    }

    /// <summary>Whether the input is already the column matrix: 1x1 kernel, stride 1, no padding.</summary>
    private static bool IsDirect(in Conv2dGeometry g) =>
        g.KernelH == 1 && g.KernelW == 1 && g.StrideH == 1 && g.StrideW == 1 && g.PadH == 0 && g.PadW == 0;

    private static int SampleWorkers(int samples) => Math.Max(1, Math.Min(samples, Environment.ProcessorCount));

    private static int FirstSample(int samples, int workers, int worker) => (int)((long)worker * samples / workers);

    /// <summary>
    /// Samples per product: enough for <see cref="ConvolutionColumnTarget"/> columns, at most one worker's share
    /// of the batch, and few enough that the scratch stays under <see cref="MaxConvolutionScratch"/> floats.
    /// </summary>
    private int ChunkSamples(int samples, int workers, int k, int outChannels, int positions)
    {
        int forTarget = Math.Max(1, (ConvolutionColumnTarget + positions - 1) / positions);
        int share = (samples + workers - 1) / workers;
        long perSample = (long)(k + outChannels) * positions;
        int fitting = (int)Math.Max(1, MaxConvolutionScratch / perSample);
        return Math.Min(forTarget, Math.Min(share, fitting));
    }

    /// <summary>
    /// Calls <paramref name="body"/>(worker, first sample, sample count, parallelGemm) for every chunk of at most
    /// <paramref name="chunk"/> samples. Samples are split into contiguous ranges, one per worker, and each range
    /// into chunks. The GEMM inside may use every core only while some cores have no sample.
    /// </summary>
    private static void ForEachChunk(int samples, int workers, int chunk, Action<int, int, int, bool> body)
    {
        bool parallelGemm = samples < Environment.ProcessorCount;
        if (workers == 1)
        {
            RunRange(0, 0, samples);
            return;
        }
        Parallel.For(0, workers, worker =>
            RunRange(worker, FirstSample(samples, workers, worker), FirstSample(samples, workers, worker + 1)));

        void RunRange(int worker, int start, int end)
        {
            for (int n = start; n < end; n += chunk)
            {
                body(worker, n, Math.Min(chunk, end - n), parallelGemm);
            }
        }
    }

    /// <summary>
    /// Copies samples [first, first + count) of an NCHW tensor side by side into a (C x count*P) matrix at
    /// <paramref name="offset"/>: row c contains every sample's plane c in sample order.
    /// </summary>
    private static void GatherSamples(float[] source, Tensor tensor, int first, int count, int channels,
        int positions, float[] target, int offset)
    {
        int ld = count * positions;
        for (int b = 0; b < count; b++)
        {
            int sampleOffset = tensor.Offset + (first + b) * tensor.BatchStride;
            for (int c = 0; c < channels; c++)
            {
                source.AsSpan(sampleOffset + c * positions, positions)
                    .CopyTo(target.AsSpan(offset + c * ld + b * positions, positions));
            }
        }
    }

    private float[]?[] RentScratch(int workers, int length, bool skipFirst = false)
    {
        var buffers = new float[]?[workers];
        if (length == 0)
        {
            return buffers;
        }
        for (int worker = skipFirst ? 1 : 0; worker < workers; worker++)
        {
            buffers[worker] = _pool.Rent(length);
        }
        return buffers;
    }

    private void ReturnScratch(float[]?[] buffers)
    {
        foreach (float[]? buffer in buffers)
        {
            if (buffer is not null)
            {
                _pool.Return(buffer);
            }
        }
    }

    /// <summary>
    /// Unrolls one sample (Cin, H, W) starting at <paramref name="xOffset"/> into a column matrix with row stride
    /// <paramref name="ld"/>: row <c>(ci * KH + kh) * KW + kw</c>, column <c>columnOffset + oh * OW + ow</c> is the
    /// input under that kernel tap at that output position, or 0 where the tap falls on padding.
    /// </summary>
    private static void Im2Col(in Conv2dGeometry g, float[] x, int xOffset, float[] columns, int columnOffset, int ld)
    {
        int outH = g.OutH;
        int outW = g.OutW;
        int positions = outH * outW;
        if (IsDirect(g))
        {
            for (int ci = 0; ci < g.InChannels; ci++)
            {
                x.AsSpan(xOffset + ci * positions, positions).CopyTo(columns.AsSpan(columnOffset + ci * ld, positions));
            }
            return;
        }
        if (IsSamePadded(g))
        {
            Im2ColSamePadded(g, x, xOffset, columns, columnOffset, ld);
            return;
        }
        int row = 0;
        for (int ci = 0; ci < g.InChannels; ci++)
        {
            for (int kh = 0; kh < g.KernelH; kh++)
            {
                for (int kw = 0; kw < g.KernelW; kw++, row++)
                {
                    (int owStart, int owEnd) = ValidOutputRange(kw, g.W, g.StrideW, g.PadW, outW);
                    Span<float> rowSpan = columns.AsSpan(columnOffset + row * ld, positions);
                    for (int oh = 0; oh < outH; oh++)
                    {
                        Span<float> dst = rowSpan.Slice(oh * outW, outW);
                        int ih = oh * g.StrideH - g.PadH + kh;
                        if (ih < 0 || ih >= g.H || owStart >= owEnd)
                        {
                            dst.Clear();
                            continue;
                        }
                        dst[..owStart].Clear();
                        dst[owEnd..].Clear();
                        int src = xOffset + (ci * g.H + ih) * g.W - g.PadW + kw;
                        if (g.StrideW == 1)
                        {
                            x.AsSpan(src + owStart, owEnd - owStart).CopyTo(dst[owStart..owEnd]);
                            continue;
                        }
                        GatherStrided(x, src, g.StrideW, dst, owStart, owEnd);
                    }
                }
            }
        }
    }

    /// <summary>Copies <c>x[src + ow * stride]</c> into <c>dst[ow]</c> for ow in [start, end).</summary>
    private static void GatherStrided(float[] x, int src, int stride, Span<float> dst, int start, int end)
    {
        // The slice checks the whole source range once, so the loops run without per-element bounds checks.
        ReadOnlySpan<float> source = x.AsSpan(src + start * stride, (end - start - 1) * stride + 1);
        Span<float> target = dst[start..end];
        ref float from = ref MemoryMarshal.GetReference(source);
        ref float to = ref MemoryMarshal.GetReference(target);
        int i = 0;
        if (stride == 2 && Avx512F.IsSupported)
        {
            // 16 outputs from 32 consecutive inputs: the even lanes of two vectors. The last input read, one past
            // the last one used, must still lie inside the source slice, hence the strict bound.
            Vector512<int> even = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
            for (; i + 16 < target.Length; i += 16)
            {
                Vector512<float> low = Vector512.LoadUnsafe(ref from, (nuint)(2 * i));
                Vector512<float> high = Vector512.LoadUnsafe(ref from, (nuint)(2 * i + 16));
                Avx512F.PermuteVar16x32x2(low, even, high).StoreUnsafe(ref to, (nuint)i);
            }
        }
        for (; i < target.Length; i++)
        {
            Unsafe.Add(ref to, i) = Unsafe.Add(ref from, i * stride);
        }
    }

    /// <summary>
    /// Scatters a column matrix back, the inverse of <see cref="Im2Col"/>: adds every entry of the sample's
    /// columns into the input position it came from.
    /// </summary>
    private static void Col2ImAdd(in Conv2dGeometry g, float[] columns, int columnOffset, int ld, float[] dx,
        int dxOffset)
    {
        int outH = g.OutH;
        int outW = g.OutW;
        int positions = outH * outW;
        if (IsDirect(g))
        {
            for (int ci = 0; ci < g.InChannels; ci++)
            {
                Span<float> target = dx.AsSpan(dxOffset + ci * positions, positions);
                TensorPrimitives.Add(target, columns.AsSpan(columnOffset + ci * ld, positions), target);
            }
            return;
        }        if (IsSamePadded(g))
        {
            Col2ImAddSamePadded(g, columns, columnOffset, ld, dx, dxOffset);
            return;
        }
        int row = 0;
        for (int ci = 0; ci < g.InChannels; ci++)
        {
            for (int kh = 0; kh < g.KernelH; kh++)
            {
                for (int kw = 0; kw < g.KernelW; kw++, row++)
                {
                    (int owStart, int owEnd) = ValidOutputRange(kw, g.W, g.StrideW, g.PadW, outW);
                    if (owStart >= owEnd)
                    {
                        continue;
                    }
                    for (int oh = 0; oh < outH; oh++)
                    {
                        int ih = oh * g.StrideH - g.PadH + kh;
                        if (ih < 0 || ih >= g.H)
                        {
                            continue;
                        }
                        ReadOnlySpan<float> src = columns.AsSpan(columnOffset + row * ld + oh * outW, outW);
                        int dst = dxOffset + (ci * g.H + ih) * g.W - g.PadW + kw;
                        if (g.StrideW == 1)
                        {
                            Span<float> target = dx.AsSpan(dst + owStart, owEnd - owStart);
                            TensorPrimitives.Add(target, src[owStart..owEnd], target);
                            continue;
                        }
                        for (int ow = owStart; ow < owEnd; ow++)
                        {
                            dx[dst + ow * g.StrideW] += src[ow];
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// Whether stride is 1 and the output is as wide as the input (3x3 with padding 1, 5x5 with padding 2). Then
    /// output position p and input position p + shift line up for a whole plane, and one kernel tap's column row
    /// is a single shifted copy of the input plane once the taps that fall on padding are zeroed.
    /// </summary>
    private static bool IsSamePadded(in Conv2dGeometry g) => g.StrideH == 1 && g.StrideW == 1 && g.OutW == g.W;

    /// <summary>
    /// The rows [ohStart, ohEnd) and columns [owStart, owEnd) of outputs whose tap (kh, kw) lands inside the input,
    /// for a <see cref="IsSamePadded"/> geometry, and the input index of output (ohStart, owStart) within a plane.
    /// </summary>
    private static (int OhStart, int OhEnd, int OwStart, int OwEnd, int Source) SamePaddedTap(in Conv2dGeometry g,
        int kh, int kw)
    {
        int ohStart = Math.Max(0, g.PadH - kh);
        int ohEnd = Math.Min(g.OutH, g.H + g.PadH - kh);
        int owStart = Math.Max(0, g.PadW - kw);
        int owEnd = Math.Min(g.OutW, g.W + g.PadW - kw);
        int source = (ohStart - g.PadH + kh) * g.W + owStart - g.PadW + kw;
        return (ohStart, ohEnd, owStart, owEnd, source);
    }

    /// <summary><see cref="Im2Col"/> for a <see cref="IsSamePadded"/> geometry: one copy per kernel tap.</summary>
    private static void Im2ColSamePadded(in Conv2dGeometry g, float[] x, int xOffset, float[] columns,
        int columnOffset, int ld)
    {
        int width = g.W;
        int positions = g.OutH * width;
        int plane = g.H * g.W;
        int row = 0;
        for (int ci = 0; ci < g.InChannels; ci++)
        {
            for (int kh = 0; kh < g.KernelH; kh++)
            {
                for (int kw = 0; kw < g.KernelW; kw++, row++)
                {
                    Span<float> dst = columns.AsSpan(columnOffset + row * ld, positions);
                    (int ohStart, int ohEnd, int owStart, int owEnd, int source) = SamePaddedTap(g, kh, kw);
                    if (ohStart >= ohEnd || owStart >= owEnd)
                    {
                        dst.Clear();
                        continue;
                    }
                    dst[..(ohStart * width)].Clear();
                    dst[(ohEnd * width)..].Clear();

                    // From output (ohStart, owStart) to (ohEnd - 1, owEnd - 1) the input is contiguous. The copy
                    // also fills the edge columns between rows with neighbouring inputs, which are zeroed next.
                    int first = ohStart * width + owStart;
                    int last = (ohEnd - 1) * width + owEnd;
                    x.AsSpan(xOffset + ci * plane + source, last - first).CopyTo(dst[first..last]);
                    ZeroEdgeColumns(dst, width, ohStart, ohEnd, owStart, owEnd);
                }
            }
        }
    }

    /// <summary>
    /// <see cref="Col2ImAdd"/> for a <see cref="IsSamePadded"/> geometry: one add per kernel tap. Zeroes the
    /// column entries of taps that fall on padding first, so the caller's column matrix is modified.
    /// </summary>
    private static void Col2ImAddSamePadded(in Conv2dGeometry g, float[] columns, int columnOffset, int ld,
        float[] dx, int dxOffset)
    {
        int width = g.W;
        int positions = g.OutH * width;
        int plane = g.H * g.W;
        int row = 0;
        for (int ci = 0; ci < g.InChannels; ci++)
        {
            for (int kh = 0; kh < g.KernelH; kh++)
            {
                for (int kw = 0; kw < g.KernelW; kw++, row++)
                {
                    Span<float> src = columns.AsSpan(columnOffset + row * ld, positions);
                    (int ohStart, int ohEnd, int owStart, int owEnd, int source) = SamePaddedTap(g, kh, kw);
                    if (ohStart >= ohEnd || owStart >= owEnd)
                    {
                        continue;
                    }
                    ZeroEdgeColumns(src, width, ohStart, ohEnd, owStart, owEnd);
                    int first = ohStart * width + owStart;
                    int last = (ohEnd - 1) * width + owEnd;
                    Span<float> target = dx.AsSpan(dxOffset + ci * plane + source, last - first);
                    TensorPrimitives.Add(target, src[first..last], target);
                }
            }
        }
    }

    /// <summary>Zeroes columns [0, owStart) and [owEnd, width) of rows [ohStart, ohEnd) of a row-major plane.</summary>
    private static void ZeroEdgeColumns(Span<float> plane, int width, int ohStart, int ohEnd, int owStart, int owEnd)
    {
        for (int oh = ohStart; oh < ohEnd; oh++)
        {
            Span<float> outputRow = plane.Slice(oh * width, width);
            for (int ow = 0; ow < owStart; ow++)
            {
                outputRow[ow] = 0f;
            }
            for (int ow = owEnd; ow < width; ow++)
            {
                outputRow[ow] = 0f;
            }
        }
    }

    /// <summary>
    /// Output columns [start, end) whose input column <c>ow * stride - pad + kw</c> lies inside [0, width).
    /// </summary>
    private static (int Start, int End) ValidOutputRange(int kw, int width, int stride, int pad, int outWidth)
    {
        int start = Math.Max(0, CeilDiv(pad - kw, stride));
        int end = Math.Min(outWidth, FloorDiv(width - 1 + pad - kw, stride) + 1);
        return (start, Math.Max(start, end));
    }

    private static int CeilDiv(int a, int b) => a >= 0 ? (a + b - 1) / b : -(-a / b);

    private static int FloorDiv(int a, int b) => a >= 0 ? a / b : -((-a + b - 1) / b);
}
