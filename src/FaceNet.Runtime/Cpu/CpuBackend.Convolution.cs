using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Runtime.Cpu;

/// <summary>
/// Convolution as GEMM. Each sample's input is unrolled into a column matrix of K = Cin * KH * KW rows and
/// P = OH * OW columns (im2col), so that the forward pass is <c>Y_n (Cout x P) = W (Cout x K) * col_n</c>.
/// A 1x1 convolution with stride 1 and no padding uses the input itself as the column matrix.
/// </summary>
/// <remarks>
/// Samples run in parallel, one worker per core, and each worker's GEMM is single-threaded. When the batch is
/// smaller than the core count, the GEMMs are split across the cores as well. Column
/// scratch comes from the backend's pool with one buffer per worker, so after the first step of a training
/// run no large array is allocated.
/// </remarks>
public sealed partial class CpuBackend
{
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
        float[]?[] scratch = RentScratch(workers, direct ? 0 : k * positions);
        try
        {
            ForEachSample(g.N, workers, (worker, n, parallelGemm) =>
            {
                float[] columns = xArray;
                int columnsOffset = x.Offset + n * x.BatchStride;
                if (!direct)
                {
                    columns = scratch[worker]!;
                    columnsOffset = 0;
                    Im2Col(geometry, xArray, x.Offset + n * x.BatchStride, columns);
                }

                // The bias goes in first and the GEMM adds the product onto it (beta = 1).
                int yOffset = y.Offset + n * y.BatchStride;
                float beta = 0f;
                if (bArray is not null)
                {
                    for (int co = 0; co < geometry.OutChannels; co++)
                    {
                        float value = bArray[bias!.Offset + co * bias.BatchStride];
                        yArray.AsSpan(yOffset + co * positions, positions).Fill(value);
                    }
                    beta = 1f;
                }
                GemmArrays(false, false, geometry.OutChannels, positions, k, 1f, wArray, weight.Offset,
                    weight.BatchStride, columns, columnsOffset, positions, beta, yArray, yOffset, positions,
                    parallelGemm);

                if (relu)
                {
                    Span<float> sample = yArray.AsSpan(yOffset, geometry.OutChannels * positions);
                    TensorPrimitives.Max(sample, 0f, sample);
                }
            });
        }
        finally
        {
            ReturnScratch(scratch);
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
        float[]?[] scratch = RentScratch(workers, direct ? 0 : k * positions);
        try
        {
            ForEachSample(g.N, workers, (worker, n, parallelGemm) =>
            {
                int dyOffset = dy.Offset + n * dy.BatchStride;
                int dxOffset = dx.Offset + n * dx.BatchStride;
                if (direct)
                {
                    // dx_n += W^T * dy_n straight into dx, since its layout is the column matrix's.
                    GemmArrays(true, false, k, positions, geometry.OutChannels, 1f, wArray, weight.Offset,
                        weight.BatchStride, dyArray, dyOffset, positions, 1f, dxArray, dxOffset, positions,
                        parallelGemm);
                    return;
                }
                float[] columns = scratch[worker]!;
                GemmArrays(true, false, k, positions, geometry.OutChannels, 1f, wArray, weight.Offset,
                    weight.BatchStride, dyArray, dyOffset, positions, 0f, columns, 0, positions, parallelGemm);
                Col2ImAdd(geometry, columns, dxArray, dxOffset);
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
        float[]?[] scratch = RentScratch(workers, direct ? 0 : k * positions);

        // Worker 0 adds straight into dWeight and dBias. The other workers fill private sums (weights, then
        // bias) that are added afterwards in worker order, so the result does not depend on thread timing.
        int partialLength = g.OutChannels * k + g.OutChannels;
        float[]?[] partials = RentScratch(workers, partialLength, skipFirst: true);
        try
        {
            ForEachSample(g.N, workers, (worker, n, parallelGemm) =>
            {
                float[] columns = xArray;
                int columnsOffset = x.Offset + n * x.BatchStride;
                if (!direct)
                {
                    columns = scratch[worker]!;
                    columnsOffset = 0;
                    Im2Col(geometry, xArray, x.Offset + n * x.BatchStride, columns);
                }
                int dyOffset = dy.Offset + n * dy.BatchStride;

                float[] target = dwArray;
                int targetOffset = dWeight.Offset;
                int targetStride = dWeight.BatchStride;
                float beta = 1f;
                if (worker > 0)
                {
                    target = partials[worker]!;
                    targetOffset = 0;
                    targetStride = k;
                    beta = n == FirstSample(geometry.N, workers, worker) ? 0f : 1f;
                }
                GemmArrays(false, true, geometry.OutChannels, k, positions, 1f, dyArray, dyOffset, positions, columns,
                    columnsOffset, positions, beta, target, targetOffset, targetStride, parallelGemm);

                if (dbArray is null)
                {
                    return;
                }
                for (int co = 0; co < geometry.OutChannels; co++)
                {
                    float sum = TensorPrimitives.Sum(dyArray.AsSpan(dyOffset + co * positions, positions));
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
    /// Calls <paramref name="body"/>(worker, sample, parallelGemm) for every sample, with samples split into
    /// contiguous ranges, one per worker. The GEMM inside may use every core only while some cores have no sample.
    /// </summary>
    private static void ForEachSample(int samples, int workers, Action<int, int, bool> body)
    {
        bool parallelGemm = samples < Environment.ProcessorCount;
        if (workers == 1)
        {
            for (int n = 0; n < samples; n++)
            {
                body(0, n, parallelGemm);
            }
            return;
        }
        Parallel.For(0, workers, worker =>
        {
            int end = FirstSample(samples, workers, worker + 1);
            for (int n = FirstSample(samples, workers, worker); n < end; n++)
            {
                body(worker, n, parallelGemm);
            }
        });
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
    /// Unrolls one sample (Cin, H, W) starting at <paramref name="xOffset"/> into the column matrix (K x P):
    /// row <c>(ci * KH + kh) * KW + kw</c>, column <c>oh * OW + ow</c> is the input under that kernel tap at
    /// that output position, or 0 where the tap falls on padding.
    /// </summary>
    private static void Im2Col(in Conv2dGeometry g, float[] x, int xOffset, float[] columns)
    {
        int outH = g.OutH;
        int outW = g.OutW;
        int positions = outH * outW;
        int row = 0;
        for (int ci = 0; ci < g.InChannels; ci++)
        {
            for (int kh = 0; kh < g.KernelH; kh++)
            {
                for (int kw = 0; kw < g.KernelW; kw++, row++)
                {
                    (int owStart, int owEnd) = ValidOutputRange(kw, g.W, g.StrideW, g.PadW, outW);
                    for (int oh = 0; oh < outH; oh++)
                    {
                        Span<float> dst = columns.AsSpan(row * positions + oh * outW, outW);
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
                        for (int ow = owStart; ow < owEnd; ow++)
                        {
                            dst[ow] = x[src + ow * g.StrideW];
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// Scatters the column matrix back, the inverse of <see cref="Im2Col"/>: adds every entry into the input
    /// position it came from.
    /// </summary>
    private static void Col2ImAdd(in Conv2dGeometry g, float[] columns, float[] dx, int dxOffset)
    {
        int outH = g.OutH;
        int outW = g.OutW;
        int positions = outH * outW;
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
                        ReadOnlySpan<float> src = columns.AsSpan(row * positions + oh * outW, outW);
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
