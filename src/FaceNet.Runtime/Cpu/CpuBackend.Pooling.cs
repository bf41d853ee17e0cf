using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Runtime.Cpu;

/// <summary>Max, average and L2 pooling over (n, c) planes.</summary>
public sealed partial class CpuBackend
{
    /// <summary>Below this many multiply-adds a kernel runs on the calling thread; above it, on the pool.</summary>
    // NOTE: an estimate of where thread-pool dispatch stops dominating, not a measured crossover.
    private const long ParallelWorkThreshold = 1 << 15;

    /// <summary>Largest per-plane scratch, in floats, that the pooling kernels place on the stack.</summary>
    private const int PoolStackFloats = 16384;

    /// <inheritdoc />
    public void Pool2dForward(PoolKind kind, in Pool2dGeometry g, Tensor x, Tensor y)
    {
        if (kind is not (PoolKind.Max or PoolKind.Average or PoolKind.L2))
        {
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown pooling kind.");
        }
        float[] xs = Array(x);
        float[] ys = Array(y);
        Pool2dGeometry geometry = g;
        PoolWindows rows = PoolWindows.Create(g.OutH, g.StrideH, g.PadH, g.KernelH, g.H);
        PoolWindows columns = PoolWindows.Create(g.OutW, g.StrideW, g.PadW, g.KernelW, g.W);
        int planes = g.N * g.Channels;
        long work = (long)g.OutH * g.OutW * g.KernelH * g.KernelW;
        ForEachItem(planes, work, plane =>
        {
            int n = plane / geometry.Channels;
            int c = plane % geometry.Channels;
            int xBase = x.Offset + n * x.BatchStride + c * geometry.H * geometry.W;
            int yBase = y.Offset + n * y.BatchStride + c * geometry.OutH * geometry.OutW;
            int scratchLength = geometry.W;
            Span<float> scratch = scratchLength <= PoolStackFloats
                ? stackalloc float[scratchLength]
                : new float[scratchLength];
            PoolPlaneForward(kind, geometry, rows, columns, xs, xBase, ys, yBase, scratch);
        });
    }

    /// <inheritdoc />
    public void Pool2dBackward(PoolKind kind, in Pool2dGeometry g, Tensor x, Tensor y, Tensor dy, Tensor dx)
    {
        if (kind is not (PoolKind.Max or PoolKind.Average or PoolKind.L2))
        {
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown pooling kind.");
        }
        float[] xs = Array(x);
        float[] ys = Array(y);
        float[] dys = Array(dy);
        float[] dxs = Array(dx);
        Pool2dGeometry geometry = g;
        PoolWindows rows = PoolWindows.Create(g.OutH, g.StrideH, g.PadH, g.KernelH, g.H);
        PoolWindows columns = PoolWindows.Create(g.OutW, g.StrideW, g.PadW, g.KernelW, g.W);
        int planes = g.N * g.Channels;
        long work = (long)g.OutH * g.OutW * g.KernelH * g.KernelW;
        int inPlane = g.H * g.W;
        int outPlane = g.OutH * g.OutW;

        // Each plane of dx is written by one plane of dy only, so planes run in parallel without races.
        ForEachItem(planes, work, plane =>
        {
            int n = plane / geometry.Channels;
            int c = plane % geometry.Channels;
            Span<float> dxPlane = dxs.AsSpan(dx.Offset + n * dx.BatchStride + c * inPlane, inPlane);
            ReadOnlySpan<float> xPlane = xs.AsSpan(x.Offset + n * x.BatchStride + c * inPlane, inPlane);
            ReadOnlySpan<float> yPlane = ys.AsSpan(y.Offset + n * y.BatchStride + c * outPlane, outPlane);
            ReadOnlySpan<float> dyPlane = dys.AsSpan(dy.Offset + n * dy.BatchStride + c * outPlane, outPlane);
            switch (kind)
            {
                case PoolKind.Max:
                    MaxPoolPlaneBackward(geometry.W, rows, columns, xPlane, yPlane, dyPlane, dxPlane);
                    break;
                case PoolKind.Average:
                    AveragePoolPlaneBackward(geometry.W, rows, columns, dyPlane, dxPlane);
                    break;
                default:
                    L2PoolPlaneBackward(geometry.W, rows, columns, xPlane, yPlane, dyPlane, dxPlane);
                    break;
            }
        });
    }

    /// <summary>
    /// The windows of every output index along one axis: input range [Start, End) clipped to the input, and
    /// Padded, the window's extent inside the padded input, which is the average-pooling divisor along this axis.
    /// </summary>
    private sealed record PoolWindows(int[] Start, int[] End, int[] Padded)
    {
        public static PoolWindows Create(int outSize, int stride, int pad, int kernel, int size)
        {
            var windows = new PoolWindows(new int[outSize], new int[outSize], new int[outSize]);
            for (int o = 0; o < outSize; o++)
            {
                int first = o * stride - pad;
                int last = Math.Min(first + kernel, size + pad);
                windows.Padded[o] = last - first;
                windows.Start[o] = Math.Max(first, 0);
                windows.End[o] = Math.Min(last, size);
            }
            return windows;
        }
    }

    /// <summary>
    /// One plane of the forward pass, separably: for each output row the window's input rows are first reduced
    /// element-wise into <paramref name="scratch"/> (W floats, vectorised), then that row is reduced over each
    /// output's window columns.
    /// </summary>
    private static void PoolPlaneForward(PoolKind kind, in Pool2dGeometry g, PoolWindows rows, PoolWindows columns,
        float[] xs, int xBase, float[] ys, int yBase, Span<float> scratch)
    {
        int width = g.W;
        int outW = g.OutW;
        for (int oh = 0; oh < g.OutH; oh++)
        {
            int h0 = rows.Start[oh];
            ReadOnlySpan<float> firstRow = xs.AsSpan(xBase + h0 * width, width);
            if (kind == PoolKind.L2)
            {
                TensorPrimitives.Multiply(firstRow, firstRow, scratch);
            }
            else
            {
                firstRow.CopyTo(scratch);
            }
            for (int h = h0 + 1; h < rows.End[oh]; h++)
            {
                ReadOnlySpan<float> row = xs.AsSpan(xBase + h * width, width);
                switch (kind)
                {
                    case PoolKind.Max:
                        TensorPrimitives.Max(scratch, row, scratch);
                        break;
                    case PoolKind.Average:
                        TensorPrimitives.Add(scratch, row, scratch);
                        break;
                    default:
                        TensorPrimitives.MultiplyAdd(row, row, scratch, scratch);
                        break;
                }
            }

            Span<float> output = ys.AsSpan(yBase + oh * outW, outW);
            ReduceColumns(kind == PoolKind.Max, g, columns, scratch, output);
            if (kind == PoolKind.Average)
            {
                int paddedH = rows.Padded[oh];
                for (int ow = 0; ow < outW; ow++)
                {
                    output[ow] /= paddedH * columns.Padded[ow];
                }
            }
            else if (kind == PoolKind.L2)
            {
                TensorPrimitives.Sqrt(output, output);
            }
        }
    }

    /// <summary>
    /// Writes the maximum (or the sum) of <paramref name="row"/> over each output's window columns. With stride 1,
    /// the outputs whose window lies wholly inside the row are reduced as KW shifted vector operations.
    /// </summary>
    private static void ReduceColumns(bool max, in Pool2dGeometry g, PoolWindows columns, ReadOnlySpan<float> row,
        Span<float> output)
    {
        int first = 0;
        int end = 0;
        if (g.StrideW == 1)
        {
            // Full windows start at ow - PadW >= 0 and end at ow - PadW + KW <= W.
            first = Math.Min(g.PadW, output.Length);
            end = Math.Max(first, Math.Min(output.Length, g.W + g.PadW - g.KernelW + 1));
            int count = end - first;
            if (count > 0)
            {
                Span<float> interior = output[first..end];
                row.Slice(first - g.PadW, count).CopyTo(interior);
                for (int k = 1; k < g.KernelW; k++)
                {
                    ReadOnlySpan<float> shifted = row.Slice(first - g.PadW + k, count);
                    if (max)
                    {
                        TensorPrimitives.Max(interior, shifted, interior);
                    }
                    else
                    {
                        TensorPrimitives.Add(interior, shifted, interior);
                    }
                }
            }
        }
        // The remaining outputs, before and after the vectorised ones, one window at a time.
        for (int ow = 0; ow < first; ow++)
        {
            output[ow] = ReduceWindow(max, row[columns.Start[ow]..columns.End[ow]]);
        }
        for (int ow = end; ow < output.Length; ow++)
        {
            output[ow] = ReduceWindow(max, row[columns.Start[ow]..columns.End[ow]]);
        }
    }

    private static float ReduceWindow(bool max, ReadOnlySpan<float> window)
    {
        float result = window[0];
        for (int w = 1; w < window.Length; w++)
        {
            result = max ? Math.Max(result, window[w]) : result + window[w];
        }
        return result;
    }

    /// <summary>
    /// Routes each output's gradient to the first input, in row-major window order, that equals the forward
    /// output. Comparing with the stored maximum takes one unpredictable branch per window instead of one per
    /// element. A window whose forward output is NaN is scanned with comparisons instead.
    /// </summary>
    private static void MaxPoolPlaneBackward(int width, PoolWindows rows, PoolWindows columns,
        ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
    {
        int outW = columns.Start.Length;
        for (int oh = 0; oh < rows.Start.Length; oh++)
        {
            int h0 = rows.Start[oh];
            int h1 = rows.End[oh];
            for (int ow = 0; ow < outW; ow++)
            {
                int w0 = columns.Start[ow];
                int w1 = columns.End[ow];
                int o = oh * outW + ow;
                int best = float.IsNaN(y[o])
                    ? FirstMaximum(x, width, h0, h1, w0, w1)
                    : FirstEqual(x, width, h0, h1, w0, w1, y[o]);
                dx[best] += dy[o];
            }
        }
    }

    /// <summary>
    /// Index of the first input of the window that compares equal to <paramref name="value"/>, the window's
    /// forward maximum. When no input is equal (y did not come from this x), the first maximum instead.
    /// </summary>
    private static int FirstEqual(ReadOnlySpan<float> x, int width, int h0, int h1, int w0, int w1, float value)
    {
        for (int h = h0; h < h1; h++)
        {
            int row = h * width;
            for (int w = w0; w < w1; w++)
            {
                if (x[row + w] == value)
                {
                    return row + w;
                }
            }
        }
        return FirstMaximum(x, width, h0, h1, w0, w1);
    }

    /// <summary>Index of the first maximum of the window in row-major order, as the forward pass defines it.</summary>
    private static int FirstMaximum(ReadOnlySpan<float> x, int width, int h0, int h1, int w0, int w1)
    {
        int best = h0 * width + w0;
        float max = x[best];
        for (int h = h0; h < h1; h++)
        {
            int row = h * width;
            for (int w = h == h0 ? w0 + 1 : w0; w < w1; w++)
            {
                if (x[row + w] > max)
                {
                    max = x[row + w];
                    best = row + w;
                }
            }
        }
        return best;
    }

    private static void AveragePoolPlaneBackward(int width, PoolWindows rows, PoolWindows columns,
        ReadOnlySpan<float> dy, Span<float> dx)
    {
        int outW = columns.Start.Length;
        for (int oh = 0; oh < rows.Start.Length; oh++)
        {
            for (int ow = 0; ow < outW; ow++)
            {
                float share = dy[oh * outW + ow] / (rows.Padded[oh] * columns.Padded[ow]);
                int w0 = columns.Start[ow];
                int w1 = columns.End[ow];
                for (int h = rows.Start[oh]; h < rows.End[oh]; h++)
                {
                    Span<float> window = dx.Slice(h * width + w0, w1 - w0);
                    for (int w = 0; w < window.Length; w++)
                    {
                        window[w] += share;
                    }
                }
            }
        }
    }

    private static void L2PoolPlaneBackward(int width, PoolWindows rows, PoolWindows columns,
        ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
    {
        int outW = columns.Start.Length;
        for (int oh = 0; oh < rows.Start.Length; oh++)
        {
            for (int ow = 0; ow < outW; ow++)
            {
                int o = oh * outW + ow;
                float norm = y[o];
                if (norm == 0f)
                {
                    continue;
                }
                float factor = dy[o] / norm;
                int w0 = columns.Start[ow];
                int w1 = columns.End[ow];
                for (int h = rows.Start[oh]; h < rows.End[oh]; h++)
                {
                    int start = h * width + w0;
                    Span<float> window = dx.Slice(start, w1 - w0);
                    ReadOnlySpan<float> inputs = x.Slice(start, w1 - w0);
                    for (int w = 0; w < window.Length; w++)
                    {
                        window[w] += factor * inputs[w];
                    }
                }
            }
        }
    }

    /// <summary>
    /// Runs <paramref name="body"/> for every item in [0, <paramref name="count"/>), on the thread pool when the
    /// total work (<paramref name="workPerItem"/> times the count) is large enough to pay for the scheduling.
    /// </summary>
    private static void ForEachItem(int count, long workPerItem, Action<int> body)
    {
        if (count > 1 && count * workPerItem >= ParallelWorkThreshold)
        {
            Parallel.For(0, count, body);
            return;
        }
        for (int i = 0; i < count; i++)
        {
            body(i);
        }
    }
}
