using System.Numerics;
using System.Runtime.InteropServices;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Runtime.Cpu;

/// <summary>Cross-channel LRN and batch normalisation.</summary>
public sealed partial class CpuBackend
{
    /// <summary>Pixels of one sample handled together by the LRN kernels; the scratch lives on the stack.</summary>
    private const int LrnBlock = 256;

    /// <summary>Largest window whose ring of per-channel rows goes on the stack (64 rows of LrnBlock floats).</summary>
    private const int LrnStackWindow = 64;

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
        int after = p.Size - 1 - before;

        ForEachItem(x.N * blocks, (long)LrnBlock * channels * p.Size, item =>
        {
            int n = item / blocks;
            int start = item % blocks * LrnBlock;
            int length = Math.Min(LrnBlock, plane - start);
            int xBase = x.Offset + n * x.BatchStride + start;
            int yBase = y.Offset + n * y.BatchStride + start;
            int sBase = scale.Offset + n * scale.BatchStride + start;

            // A ring of Size rows contains x^2 of the channels in the current window, row j % Size for channel j.
            Span<float> ring = p.Size <= LrnStackWindow ? stackalloc float[p.Size * length] : new float[p.Size * length];
            Span<float> sum = stackalloc float[length];
            for (int j = 0; j < Math.Min(after, channels); j++)
            {
                ReadOnlySpan<float> xj = xs.AsSpan(xBase + j * plane, length);
                TensorPrimitives.Multiply(xj, xj, ring.Slice(j % p.Size * length, length));
            }
            for (int c = 0; c < channels; c++)
            {
                // Window [c - Size / 2, c + (Size - 1) / 2] as in Torch and PyTorch (for an even size, Caffe's
                // window sits one channel further up), clipped at the channel edges.
                int newest = c + after;
                if (newest < channels)
                {
                    ReadOnlySpan<float> xj = xs.AsSpan(xBase + newest * plane, length);
                    TensorPrimitives.Multiply(xj, xj, ring.Slice(newest % p.Size * length, length));
                }
                int first = Math.Max(c - before, 0);
                int last = Math.Min(newest, channels - 1);
                ring.Slice(first % p.Size * length, length).CopyTo(sum);
                for (int j = first + 1; j <= last; j++)
                {
                    TensorPrimitives.Add(sum, ring.Slice(j % p.Size * length, length), sum);
                }

                Span<float> sc = ss.AsSpan(sBase + c * plane, length);
                Span<float> yc = ys.AsSpan(yBase + c * plane, length);
                TensorPrimitives.Multiply(sum, alphaOverSize, sc);
                TensorPrimitives.Add(sc, p.K, sc);
                PowerOfMinusBeta(sc, p.Beta, yc);
                TensorPrimitives.Multiply(yc, xs.AsSpan(xBase + c * plane, length), yc);
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

            // A ring of Size rows contains dy[j] * y[j] / scale[j] of the channels in the current window.
            Span<float> ring = p.Size <= LrnStackWindow ? stackalloc float[p.Size * length] : new float[p.Size * length];
            Span<float> sum = stackalloc float[length];
            Span<float> power = stackalloc float[length];
            for (int j = 0; j < Math.Min(before, channels); j++)
            {
                GradientRatio(dys, dyBase + j * plane, ys, yBase + j * plane, ss, sBase + j * plane,
                    ring.Slice(j % p.Size * length, length));
            }
            for (int c = 0; c < channels; c++)
            {
                int newest = c + before;
                if (newest < channels)
                {
                    GradientRatio(dys, dyBase + newest * plane, ys, yBase + newest * plane, ss, sBase + newest * plane,
                        ring.Slice(newest % p.Size * length, length));
                }
                int first = Math.Max(c - after, 0);
                int last = Math.Min(newest, channels - 1);
                ring.Slice(first % p.Size * length, length).CopyTo(sum);
                for (int j = first + 1; j <= last; j++)
                {
                    TensorPrimitives.Add(sum, ring.Slice(j % p.Size * length, length), sum);
                }

                int co = c * plane;
                PowerOfMinusBeta(ss.AsSpan(sBase + co, length), p.Beta, power);
                Span<float> dxc = dxs.AsSpan(dxBase + co, length);
                ReadOnlySpan<float> dyc = dys.AsSpan(dyBase + co, length);
                ReadOnlySpan<float> xc = xs.AsSpan(xBase + co, length);

                // dx += dy * power - factor * x * sum, in two fused steps that reuse the power row as scratch.
                TensorPrimitives.MultiplyAdd(power, dyc, dxc, dxc);
                TensorPrimitives.Multiply(xc, -factor, power);
                TensorPrimitives.MultiplyAdd(power, sum, dxc, dxc);
            }
        });
    }

    /// <summary>Writes <c>dy * y / scale</c> for one row of LRN backward.</summary>
    private static void GradientRatio(float[] dys, int dyOffset, float[] ys, int yOffset, float[] ss, int sOffset,
        Span<float> result)
    {
        int length = result.Length;
        TensorPrimitives.Multiply(dys.AsSpan(dyOffset, length), ys.AsSpan(yOffset, length), result);
        TensorPrimitives.Divide(result, ss.AsSpan(sOffset, length), result);
    }

    /// <summary>
    /// Writes <c>s^-beta</c> for positive s. Beta 0.75 (GoogLeNet's LRN) and 0.5 use square roots, which are
    /// exact to rounding and vectorised; other exponents go through <c>exp(-beta * log(s))</c>.
    /// </summary>
    internal static void PowerOfMinusBeta(ReadOnlySpan<float> s, float beta, Span<float> result)
    {
        if (beta == 0.75f || beta == 0.5f)
        {
            // s^-0.5 is 1 / sqrt(s), and s^-0.75 is s^-0.5 * sqrt(s^-0.5).
            TensorPrimitives.Sqrt(s, result);
            TensorPrimitives.Reciprocal(result, result);
            if (beta == 0.75f)
            {
                MultiplyBySquareRoot(result);
            }
            return;
        }
        TensorPrimitives.Log(s, result);
        TensorPrimitives.Multiply(result, -beta, result);
        TensorPrimitives.Exp(result, result);
    }

    /// <summary>Replaces every v with <c>v * sqrt(v)</c>.</summary>
    private static void MultiplyBySquareRoot(Span<float> values)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            Span<Vector<float>> vectors = MemoryMarshal.Cast<float, Vector<float>>(values);
            for (int v = 0; v < vectors.Length; v++)
            {
                vectors[v] *= Vector.SquareRoot(vectors[v]);
            }
            i = vectors.Length * Vector<float>.Count;
        }
        for (; i < values.Length; i++)
        {
            values[i] *= MathF.Sqrt(values[i]);
        }
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
            // Two passes: the mean first, then the squared deviations, which avoids the cancellation of
            // E[x^2] - E[x]^2 on inputs with a large mean. Each row is summed in float vectors and the row sums
            // are added in double.
            double total = 0;
            for (int n = 0; n < batch; n++)
            {
                total += TensorPrimitives.Sum(xs.AsSpan(x.Offset + n * x.BatchStride + c * plane, plane));
            }
            double mean = total / count;
            double squares = 0;
            for (int n = 0; n < batch; n++)
            {
                squares += SumOfSquaredDeviations(xs.AsSpan(x.Offset + n * x.BatchStride + c * plane, plane),
                    (float)mean);
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
                ScaleShift(src, scale, shift, dst);
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
            ScaleShift(src, scale, shift, dst);
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
            double sumDyDeviation = 0;
            for (int n = 0; n < batch; n++)
            {
                ReadOnlySpan<float> xRow = xs.AsSpan(x.Offset + n * x.BatchStride + c * plane, plane);
                ReadOnlySpan<float> dyRow = dys.AsSpan(dy.Offset + n * dy.BatchStride + c * plane, plane);
                sumDy += TensorPrimitives.Sum(dyRow);
                sumDyDeviation += DotWithDeviation(dyRow, xRow, mean);
            }
            double sumDyXhat = sumDyDeviation * invStd;
            Element(dBeta, c) += (float)sumDy;
            Element(dGamma, c) += (float)sumDyXhat;

            // dx += k * dy - k * mean(dy) - k * invStd * mean(dy * xhat) * (x - mean).
            float k = Element(gamma, c) * invStd;
            float shift = -k * (float)(sumDy / count);
            float slope = -k * invStd * (float)(sumDyXhat / count);
            for (int n = 0; n < batch; n++)
            {
                ReadOnlySpan<float> xRow = xs.AsSpan(x.Offset + n * x.BatchStride + c * plane, plane);
                ReadOnlySpan<float> dyRow = dys.AsSpan(dy.Offset + n * dy.BatchStride + c * plane, plane);
                Span<float> dxRow = dxs.AsSpan(dx.Offset + n * dx.BatchStride + c * plane, plane);
                AddBatchNormGradient(xRow, dyRow, dxRow, mean, k, slope, shift);
            }
        });
    }

    /// <summary>Writes <c>x * scale + shift</c>.</summary>
    private static void ScaleShift(ReadOnlySpan<float> x, float scale, float shift, Span<float> y)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            ReadOnlySpan<Vector<float>> xv = MemoryMarshal.Cast<float, Vector<float>>(x);
            Span<Vector<float>> yv = MemoryMarshal.Cast<float, Vector<float>>(y);
            var scaleVector = new Vector<float>(scale);
            var shiftVector = new Vector<float>(shift);
            for (int v = 0; v < xv.Length; v++)
            {
                yv[v] = xv[v] * scaleVector + shiftVector;
            }
            i = xv.Length * Vector<float>.Count;
        }
        for (; i < x.Length; i++)
        {
            y[i] = x[i] * scale + shift;
        }
    }

    /// <summary>Sum of <c>(x - mean)^2</c>, accumulated in float vectors.</summary>
    private static double SumOfSquaredDeviations(ReadOnlySpan<float> x, float mean)
    {
        int i = 0;
        float sum = 0f;
        if (Vector.IsHardwareAccelerated && x.Length >= Vector<float>.Count)
        {
            ReadOnlySpan<Vector<float>> xv = MemoryMarshal.Cast<float, Vector<float>>(x);
            var meanVector = new Vector<float>(mean);
            Vector<float> accumulator = Vector<float>.Zero;
            for (int v = 0; v < xv.Length; v++)
            {
                Vector<float> d = xv[v] - meanVector;
                accumulator += d * d;
            }
            sum = Vector.Sum(accumulator);
            i = xv.Length * Vector<float>.Count;
        }
        for (; i < x.Length; i++)
        {
            float d = x[i] - mean;
            sum += d * d;
        }
        return sum;
    }

    /// <summary>Sum of <c>dy * (x - mean)</c>, accumulated in float vectors.</summary>
    private static double DotWithDeviation(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, float mean)
    {
        int i = 0;
        float sum = 0f;
        if (Vector.IsHardwareAccelerated && x.Length >= Vector<float>.Count)
        {
            ReadOnlySpan<Vector<float>> xv = MemoryMarshal.Cast<float, Vector<float>>(x);
            ReadOnlySpan<Vector<float>> dyv = MemoryMarshal.Cast<float, Vector<float>>(dy);
            var meanVector = new Vector<float>(mean);
            Vector<float> accumulator = Vector<float>.Zero;
            for (int v = 0; v < xv.Length; v++)
            {
                accumulator += dyv[v] * (xv[v] - meanVector);
            }
            sum = Vector.Sum(accumulator);
            i = xv.Length * Vector<float>.Count;
        }
        for (; i < x.Length; i++)
        {
            sum += dy[i] * (x[i] - mean);
        }
        return sum;
    }

    /// <summary>Adds <c>k * dy + slope * (x - mean) + shift</c> into dx.</summary>
    private static void AddBatchNormGradient(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx,
        float mean, float k, float slope, float shift)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            ReadOnlySpan<Vector<float>> xv = MemoryMarshal.Cast<float, Vector<float>>(x);
            ReadOnlySpan<Vector<float>> dyv = MemoryMarshal.Cast<float, Vector<float>>(dy);
            Span<Vector<float>> dxv = MemoryMarshal.Cast<float, Vector<float>>(dx);
            var meanVector = new Vector<float>(mean);
            var kVector = new Vector<float>(k);
            var slopeVector = new Vector<float>(slope);
            var shiftVector = new Vector<float>(shift);
            for (int v = 0; v < xv.Length; v++)
            {
                dxv[v] += kVector * dyv[v] + slopeVector * (xv[v] - meanVector) + shiftVector;
            }
            i = xv.Length * Vector<float>.Count;
        }
        for (; i < x.Length; i++)
        {
            dx[i] += k * dy[i] + slope * (x[i] - mean) + shift;
        }
    }

    /// <summary>Element <paramref name="index"/> of a contiguous per-channel tensor such as gamma (C).</summary>
    private static ref float Element(Tensor t, int index) => ref Array(t)[t.Offset + index];
}
