using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Runtime.Cpu;

/// <summary>Depthwise convolution: one filter per channel.</summary>
public sealed partial class CpuBackend
{
    /// <inheritdoc />
    public void DepthwiseConv2dForward(in Conv2dGeometry g, Tensor x, Tensor weight, Tensor? bias, Tensor y)
    {
        Conv2dGeometry geometry = g;
        float[] w = Array(weight);
        float[]? b = bias is null ? null : Array(bias);
        int wOffset = weight.Offset;
        int bOffset = bias?.Offset ?? 0;
        int plane = g.H * g.W;
        int outPlane = g.OutH * g.OutW;
        long work = (long)outPlane * g.KernelH * g.KernelW;
        ForEachItem(g.N * g.InChannels, work, item =>
        {
            int n = item / geometry.InChannels;
            int c = item % geometry.InChannels;
            ReadOnlySpan<float> xs = Sample(x, n).Slice(c * plane, plane);
            Span<float> ys = Sample(y, n).Slice(c * outPlane, outPlane);
            ReadOnlySpan<float> filter = w.AsSpan(wOffset + c * geometry.KernelH * geometry.KernelW,
                geometry.KernelH * geometry.KernelW);
            float start = b is null ? 0f : b[bOffset + c];
            for (int oh = 0; oh < geometry.OutH; oh++)
            {
                for (int ow = 0; ow < geometry.OutW; ow++)
                {
                    float sum = start;
                    for (int kh = 0; kh < geometry.KernelH; kh++)
                    {
                        int h = oh * geometry.StrideH - geometry.PadH + kh;
                        if ((uint)h >= (uint)geometry.H)
                        {
                            continue;
                        }
                        for (int kw = 0; kw < geometry.KernelW; kw++)
                        {
                            int col = ow * geometry.StrideW - geometry.PadW + kw;
                            if ((uint)col < (uint)geometry.W)
                            {
                                sum += filter[kh * geometry.KernelW + kw] * xs[h * geometry.W + col];
                            }
                        }
                    }
                    ys[oh * geometry.OutW + ow] = sum;
                }
            }
        });
    }

    /// <inheritdoc />
    public void DepthwiseConv2dBackwardData(in Conv2dGeometry g, Tensor dy, Tensor weight, Tensor dx)
    {
        Conv2dGeometry geometry = g;
        float[] w = Array(weight);
        int wOffset = weight.Offset;
        int plane = g.H * g.W;
        int outPlane = g.OutH * g.OutW;
        long work = (long)outPlane * g.KernelH * g.KernelW;

        // One item per (sample, channel) plane: the scatter stays inside the plane, so items never collide.
        ForEachItem(g.N * g.InChannels, work, item =>
        {
            int n = item / geometry.InChannels;
            int c = item % geometry.InChannels;
            ReadOnlySpan<float> dys = Sample(dy, n).Slice(c * outPlane, outPlane);
            Span<float> dxs = Sample(dx, n).Slice(c * plane, plane);
            ReadOnlySpan<float> filter = w.AsSpan(wOffset + c * geometry.KernelH * geometry.KernelW,
                geometry.KernelH * geometry.KernelW);
            for (int oh = 0; oh < geometry.OutH; oh++)
            {
                for (int ow = 0; ow < geometry.OutW; ow++)
                {
                    float grad = dys[oh * geometry.OutW + ow];
                    for (int kh = 0; kh < geometry.KernelH; kh++)
                    {
                        int h = oh * geometry.StrideH - geometry.PadH + kh;
                        if ((uint)h >= (uint)geometry.H)
                        {
                            continue;
                        }
                        for (int kw = 0; kw < geometry.KernelW; kw++)
                        {
                            int col = ow * geometry.StrideW - geometry.PadW + kw;
                            if ((uint)col < (uint)geometry.W)
                            {
                                dxs[h * geometry.W + col] += filter[kh * geometry.KernelW + kw] * grad;
                            }
                        }
                    }
                }
            }
        });
    }

    /// <inheritdoc />
    public void DepthwiseConv2dBackwardFilter(in Conv2dGeometry g, Tensor x, Tensor dy, Tensor dWeight,
        Tensor? dBias)
    {
        Conv2dGeometry geometry = g;
        float[] dw = Array(dWeight);
        float[]? db = dBias is null ? null : Array(dBias);
        int dwOffset = dWeight.Offset;
        int dbOffset = dBias?.Offset ?? 0;
        int plane = g.H * g.W;
        int outPlane = g.OutH * g.OutW;
        long work = (long)g.N * outPlane * g.KernelH * g.KernelW;

        // One item per channel, summing over the batch in a fixed order.
        ForEachItem(g.InChannels, work, c =>
        {
            int taps = geometry.KernelH * geometry.KernelW;
            Span<float> filterGrad = dw.AsSpan(dwOffset + c * taps, taps);
            double biasSum = 0;
            for (int n = 0; n < geometry.N; n++)
            {
                ReadOnlySpan<float> xs = Sample(x, n).Slice(c * plane, plane);
                ReadOnlySpan<float> dys = Sample(dy, n).Slice(c * outPlane, outPlane);
                for (int kh = 0; kh < geometry.KernelH; kh++)
                {
                    for (int kw = 0; kw < geometry.KernelW; kw++)
                    {
                        float sum = 0f;
                        for (int oh = 0; oh < geometry.OutH; oh++)
                        {
                            int h = oh * geometry.StrideH - geometry.PadH + kh;
                            if ((uint)h >= (uint)geometry.H)
                            {
                                continue;
                            }
                            for (int ow = 0; ow < geometry.OutW; ow++)
                            {
                                int col = ow * geometry.StrideW - geometry.PadW + kw;
                                if ((uint)col < (uint)geometry.W)
                                {
                                    sum += xs[h * geometry.W + col] * dys[oh * geometry.OutW + ow];
                                }
                            }
                        }
                        filterGrad[kh * geometry.KernelW + kw] += sum;
                    }
                }
                if (db is not null)
                {
                    foreach (float v in dys)
                    {
                        biasSum += v;
                    }
                }
            }
            if (db is not null)
            {
                db[dbOffset + c] += (float)biasSum;
            }
        });
    }
}
