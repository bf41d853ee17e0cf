using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Runtime.Cpu;

/// <summary>Cross-channel LRN and batch normalisation.</summary>
public sealed partial class CpuBackend
{
    /// <summary>Pixels of one sample handled together by the LRN kernels; the scratch lives on the stack.</summary>
    private const int LrnBlock = 256;

    /// <inheritdoc />
    public void LrnForward(LrnParameters p, Tensor x, Tensor y, Tensor scale)
    {
        float[] xs = Array(x);
        float[] ys = Array(y);
        float[] ss = Array(scale);
        int channels = x.C;
        int plane = x.H * x.W;
        int blocks = (plane + LrnBlock - 1) / LrnBlock;
        float alphaOverSize = p.Alpha / p.Size;
        int before = p.Size / 2;

        ForEachItem(x.N * blocks, (long)LrnBlock * channels * p.Size, item =>
        {
            int n = item / blocks;
            int start = item % blocks * LrnBlock;
            int length = Math.Min(LrnBlock, plane - start);
            int xBase = x.Offset + n * x.BatchStride + start;
            int yBase = y.Offset + n * y.BatchStride + start;
            int sBase = scale.Offset + n * scale.BatchStride + start;
            Span<float> sum = stackalloc float[length];
            for (int c = 0; c < channels; c++)
            {
                // Window [c - Size / 2, c + (Size - 1) / 2] as in Torch and PyTorch (for an even size, Caffe's
                // window sits one channel further up), clipped at the channel edges.
                int first = Math.Max(c - before, 0);
                int last = Math.Min(c - before + p.Size - 1, channels - 1);
                sum.Clear();
                for (int j = first; j <= last; j++)
                {
                    ReadOnlySpan<float> xj = xs.AsSpan(xBase + j * plane, length);
                    System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(xj, xj, sum, sum);
                }
                ReadOnlySpan<float> xc = xs.AsSpan(xBase + c * plane, length);
                Span<float> yc = ys.AsSpan(yBase + c * plane, length);
                Span<float> sc = ss.AsSpan(sBase + c * plane, length);
                for (int i = 0; i < length; i++)
                {
                    float s = p.K + alphaOverSize * sum[i];
                    sc[i] = s;
                    yc[i] = xc[i] * MathF.Pow(s, -p.Beta);
                }
            }
        });
    }

    /// <inheritdoc />
    public void LrnBackward(LrnParameters p, Tensor x, Tensor y, Tensor scale, Tensor dy, Tensor dx)
    {
        float[] xs = Array(x);
        float[] ys = Array(y);
        float[] ss = Array(scale);
        float[] dys = Array(dy);
        float[] dxs = Array(dx);
        int channels = x.C;
        int plane = x.H * x.W;
        int blocks = (plane + LrnBlock - 1) / LrnBlock;
        float factor = 2f * p.Alpha * p.Beta / p.Size;
        int before = p.Size / 2;
        int after = p.Size - 1 - before;

        // dx[c] = dy[c] * scale[c]^-beta - 2 alpha beta / size * x[c] * sum of dy[j] * y[j] / scale[j] over the
        // channels j whose window contains c, which are [c - after, c + before].
        ForEachItem(x.N * blocks, (long)LrnBlock * channels * p.Size, item =>
        {
            int n = item / blocks;
            int start = item % blocks * LrnBlock;
            int length = Math.Min(LrnBlock, plane - start);
            int xBase = x.Offset + n * x.BatchStride + start;
            int yBase = y.Offset + n * y.BatchStride + start;
            int sBase = scale.Offset + n * scale.BatchStride + start;
            int dyBase = dy.Offset + n * dy.BatchStride + start;
            int dxBase = dx.Offset + n * dx.BatchStride + start;
            Span<float> sum = stackalloc float[length];
            for (int c = 0; c < channels; c++)
            {
                int first = Math.Max(c - after, 0);
                int last = Math.Min(c + before, channels - 1);
                sum.Clear();
                for (int j = first; j <= last; j++)
                {
                    int offset = j * plane;
                    for (int i = 0; i < length; i++)
                    {
                        sum[i] += dys[dyBase + offset + i] * ys[yBase + offset + i] / ss[sBase + offset + i];
                    }
                }
                int co = c * plane;
                for (int i = 0; i < length; i++)
                {
                    float s = ss[sBase + co + i];
                    dxs[dxBase + co + i] += dys[dyBase + co + i] * MathF.Pow(s, -p.Beta) -
                        factor * xs[xBase + co + i] * sum[i];
                }
            }
        });
    }

    /// <inheritdoc />
    public void BatchNormForwardTraining(Tensor x, Tensor gamma, Tensor beta, Tensor y, Tensor savedMean,
        Tensor savedInvStd, Tensor runningMean, Tensor runningVar, float momentum, float epsilon)
    {
        float[] xs = Array(x);
        float[] ys = Array(y);
        int batch = x.N;
        int plane = x.H * x.W;
        long count = (long)batch * plane;

        ForEachItem(x.C, count * 3, c =>
        {
            // Two passes in double: the mean first, then the squared deviations, which avoids the
            // cancellation of E[x^2] - E[x]^2 on inputs with a large mean.
            double total = 0;
            for (int n = 0; n < batch; n++)
            {
                ReadOnlySpan<float> row = xs.AsSpan(x.Offset + n * x.BatchStride + c * plane, plane);
                for (int i = 0; i < row.Length; i++)
                {
                    total += row[i];
                }
            }
            double mean = total / count;
            double squares = 0;
            for (int n = 0; n < batch; n++)
            {
                ReadOnlySpan<float> row = xs.AsSpan(x.Offset + n * x.BatchStride + c * plane, plane);
                for (int i = 0; i < row.Length; i++)
                {
                    double d = row[i] - mean;
                    squares += d * d;
                }
            }
            double variance = squares / count;
            double unbiased = count > 1 ? squares / (count - 1) : variance;
            float invStd = (float)(1.0 / Math.Sqrt(variance + epsilon));

            Element(savedMean, c) = (float)mean;
            Element(savedInvStd, c) = invStd;
            ref float rm = ref Element(runningMean, c);
            rm = (1f - momentum) * rm + momentum * (float)mean;
            ref float rv = ref Element(runningVar, c);
            rv = (1f - momentum) * rv + momentum * (float)unbiased;

            float scale = Element(gamma, c) * invStd;
            float shift = Element(beta, c) - (float)mean * scale;
            for (int n = 0; n < batch; n++)
            {
                ReadOnlySpan<float> src = xs.AsSpan(x.Offset + n * x.BatchStride + c * plane, plane);
                Span<float> dst = ys.AsSpan(y.Offset + n * y.BatchStride + c * plane, plane);
                System.Numerics.Tensors.TensorPrimitives.Multiply(src, scale, dst);
                System.Numerics.Tensors.TensorPrimitives.Add(dst, shift, dst);
            }
        });
    }

    /// <inheritdoc />
    public void BatchNormForwardInference(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean,
        Tensor runningVar, float epsilon, Tensor y)
    {
        float[] xs = Array(x);
        float[] ys = Array(y);
        int plane = x.H * x.W;
        int channels = x.C;
        ForEachItem(x.N * channels, plane, item =>
        {
            int n = item / channels;
            int c = item % channels;
            float scale = Element(gamma, c) / MathF.Sqrt(Element(runningVar, c) + epsilon);
            float shift = Element(beta, c) - Element(runningMean, c) * scale;
            ReadOnlySpan<float> src = xs.AsSpan(x.Offset + n * x.BatchStride + c * plane, plane);
            Span<float> dst = ys.AsSpan(y.Offset + n * y.BatchStride + c * plane, plane);
            System.Numerics.Tensors.TensorPrimitives.Multiply(src, scale, dst);
            System.Numerics.Tensors.TensorPrimitives.Add(dst, shift, dst);
        });
    }

    /// <inheritdoc />
    public void BatchNormBackward(Tensor x, Tensor dy, Tensor gamma, Tensor savedMean, Tensor savedInvStd,
        Tensor dx, Tensor dGamma, Tensor dBeta)
    {
        float[] xs = Array(x);
        float[] dys = Array(dy);
        float[] dxs = Array(dx);
        int batch = x.N;
        int plane = x.H * x.W;
        long count = (long)batch * plane;

        // With xhat = (x - mean) * invStd: dBeta = sum dy, dGamma = sum dy * xhat and
        // dx = gamma * invStd / M * (M * dy - sum dy - xhat * sum dy * xhat), M = N * H * W.
        ForEachItem(x.C, count * 3, c =>
        {
            float mean = Element(savedMean, c);
            float invStd = Element(savedInvStd, c);
            double sumDy = 0;
            double sumDyXhat = 0;
            for (int n = 0; n < batch; n++)
            {
                int xo = x.Offset + n * x.BatchStride + c * plane;
                int dyo = dy.Offset + n * dy.BatchStride + c * plane;
                for (int i = 0; i < plane; i++)
                {
                    float g = dys[dyo + i];
                    sumDy += g;
                    sumDyXhat += g * (xs[xo + i] - mean) * invStd;
                }
            }
            Element(dBeta, c) += (float)sumDy;
            Element(dGamma, c) += (float)sumDyXhat;

            float k = Element(gamma, c) * invStd;
            float meanDy = (float)(sumDy / count);
            float meanDyXhat = (float)(sumDyXhat / count);
            for (int n = 0; n < batch; n++)
            {
                int xo = x.Offset + n * x.BatchStride + c * plane;
                int dyo = dy.Offset + n * dy.BatchStride + c * plane;
                int dxo = dx.Offset + n * dx.BatchStride + c * plane;
                for (int i = 0; i < plane; i++)
                {
                    float xhat = (xs[xo + i] - mean) * invStd;
                    dxs[dxo + i] += k * (dys[dyo + i] - meanDy - xhat * meanDyXhat);
                }
            }
        });
    }

    /// <summary>Element <paramref name="index"/> of a contiguous per-channel tensor such as gamma (C).</summary>
    private static ref float Element(Tensor t, int index) => ref Array(t)[t.Offset + index];
}
