using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Runtime.Cpu;

/// <summary>Max, average and L2 pooling over (n, c) planes.</summary>
public sealed partial class CpuBackend
{
    /// <summary>Below this many multiply-adds a kernel runs on the calling thread; above it, on the pool.</summary>
    // NOTE: an estimate of where thread-pool dispatch stops dominating, not a measured crossover.
    private const long ParallelWorkThreshold = 1 << 15;

    /// <inheritdoc />
    public void Pool2dForward(PoolKind kind, in Pool2dGeometry g, Tensor x, Tensor y)
    {
        float[] xs = Array(x);
        float[] ys = Array(y);
        Pool2dGeometry geometry = g;
        int planes = g.N * g.Channels;
        long work = (long)g.OutH * g.OutW * g.KernelH * g.KernelW;
        ForEachItem(planes, work, plane =>
        {
            int n = plane / geometry.Channels;
            int c = plane % geometry.Channels;
            int xBase = x.Offset + n * x.BatchStride + c * geometry.H * geometry.W;
            int yBase = y.Offset + n * y.BatchStride + c * geometry.OutH * geometry.OutW;
            PoolPlaneForward(kind, geometry, xs, xBase, ys, yBase);
        });
    }

    /// <inheritdoc />
    public void Pool2dBackward(PoolKind kind, in Pool2dGeometry g, Tensor x, Tensor y, Tensor dy, Tensor dx)
    {
        float[] xs = Array(x);
        float[] ys = Array(y);
        float[] dys = Array(dy);
        float[] dxs = Array(dx);
        Pool2dGeometry geometry = g;
        int planes = g.N * g.Channels;
        long work = (long)g.OutH * g.OutW * g.KernelH * g.KernelW;
        int inPlane = g.H * g.W;
        int outPlane = g.OutH * g.OutW;

        // Each plane of dx is written by one plane of dy only, so planes run in parallel without races.
        ForEachItem(planes, work, plane =>
        {
            int n = plane / geometry.Channels;
            int c = plane % geometry.Channels;
            int xBase = x.Offset + n * x.BatchStride + c * inPlane;
            int dxBase = dx.Offset + n * dx.BatchStride + c * inPlane;
            int yBase = y.Offset + n * y.BatchStride + c * outPlane;
            int dyBase = dy.Offset + n * dy.BatchStride + c * outPlane;
            PoolPlaneBackward(kind, geometry, xs, xBase, ys, yBase, dys, dyBase, dxs, dxBase);
        });
    }

    /// <summary>
    /// Clips the window of output index <paramref name="o"/> to the input. <paramref name="padded"/> is the
    /// window's extent inside the padded input, which is the average-pooling divisor along this axis.
    /// </summary>
    private static void PoolWindow(int o, int stride, int pad, int kernel, int size, out int start, out int end,
        out int padded)
    {
        int first = o * stride - pad;
        int last = Math.Min(first + kernel, size + pad);
        padded = last - first;
        start = Math.Max(first, 0);
        end = Math.Min(last, size);
    }

    private static void PoolPlaneForward(PoolKind kind, in Pool2dGeometry g, float[] xs, int xBase, float[] ys,
        int yBase)
    {
        int outH = g.OutH;
        int outW = g.OutW;
        for (int oh = 0; oh < outH; oh++)
        {
            PoolWindow(oh, g.StrideH, g.PadH, g.KernelH, g.H, out int h0, out int h1, out int paddedH);
            for (int ow = 0; ow < outW; ow++)
            {
                PoolWindow(ow, g.StrideW, g.PadW, g.KernelW, g.W, out int w0, out int w1, out int paddedW);
                float result;
                switch (kind)
                {
                    case PoolKind.Max:
                        {
                            float max = float.NegativeInfinity;
                            for (int h = h0; h < h1; h++)
                            {
                                int row = xBase + h * g.W;
                                for (int w = w0; w < w1; w++)
                                {
                                    max = Math.Max(max, xs[row + w]);
                                }
                            }
                            result = max;
                            break;
                        }
                    case PoolKind.Average:
                        {
                            float sum = 0f;
                            for (int h = h0; h < h1; h++)
                            {
                                int row = xBase + h * g.W;
                                for (int w = w0; w < w1; w++)
                                {
                                    sum += xs[row + w];
                                }
                            }
                            result = sum / (paddedH * paddedW);
                            break;
                        }
                    case PoolKind.L2:
                        {
                            float sum = 0f;
                            for (int h = h0; h < h1; h++)
                            {
                                int row = xBase + h * g.W;
                                for (int w = w0; w < w1; w++)
                                {
                                    float v = xs[row + w];
                                    sum += v * v;
                                }
                            }
                            result = MathF.Sqrt(sum);
                            break;
                        }
                    default:
                        throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown pooling kind.");
                }
                ys[yBase + oh * outW + ow] = result;
            }
        }
    }

    private static void PoolPlaneBackward(PoolKind kind, in Pool2dGeometry g, float[] xs, int xBase, float[] ys,
        int yBase, float[] dys, int dyBase, float[] dxs, int dxBase)
    {
        int outH = g.OutH;
        int outW = g.OutW;
        for (int oh = 0; oh < outH; oh++)
        {
            PoolWindow(oh, g.StrideH, g.PadH, g.KernelH, g.H, out int h0, out int h1, out int paddedH);
            for (int ow = 0; ow < outW; ow++)
            {
                PoolWindow(ow, g.StrideW, g.PadW, g.KernelW, g.W, out int w0, out int w1, out int paddedW);
                int o = oh * outW + ow;
                float grad = dys[dyBase + o];
                switch (kind)
                {
                    case PoolKind.Max:
                        {
                            // The first maximum in row-major window order wins, as in the forward pass.
                            int best = -1;
                            float max = float.NegativeInfinity;
                            for (int h = h0; h < h1; h++)
                            {
                                int row = h * g.W;
                                for (int w = w0; w < w1; w++)
                                {
                                    float v = xs[xBase + row + w];
                                    if (best < 0 || v > max)
                                    {
                                        max = v;
                                        best = row + w;
                                    }
                                }
                            }
                            dxs[dxBase + best] += grad;
                            break;
                        }
                    case PoolKind.Average:
                        {
                            float share = grad / (paddedH * paddedW);
                            for (int h = h0; h < h1; h++)
                            {
                                int row = dxBase + h * g.W;
                                for (int w = w0; w < w1; w++)
                                {
                                    dxs[row + w] += share;
                                }
                            }
                            break;
                        }
                    case PoolKind.L2:
                        {
                            float norm = ys[yBase + o];
                            if (norm == 0f)
                            {
                                break;
                            }
                            float factor = grad / norm;
                            for (int h = h0; h < h1; h++)
                            {
                                int row = h * g.W;
                                for (int w = w0; w < w1; w++)
                                {
                                    dxs[dxBase + row + w] += factor * xs[xBase + row + w];
                                }
                            }
                            break;
                        }
                    default:
                        throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown pooling kind.");
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
