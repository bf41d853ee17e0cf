using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using System.Numerics;
using System.Runtime.InteropServices;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Runtime.Cpu;

/// <summary>ReLU, maxout, zero padding and row-wise L2 normalisation.</summary>
public sealed partial class CpuBackend
{
    /// <inheritdoc />
    public void ReluForward(Tensor x, Tensor y)
    {
        ForEachItem(x.N, x.SampleSize, n => TensorPrimitives.Max(Sample(x, n), 0f, Sample(y, n)));
    }

    /// <inheritdoc />
    public void ReluBackward(Tensor y, Tensor dy, Tensor dx)
    {
        ForEachItem(y.N, y.SampleSize, n =>
        {
            ReadOnlySpan<float> ys = Sample(y, n);
            ReadOnlySpan<float> dys = Sample(dy, n);
            Span<float> dxs = Sample(dx, n);
            int i = 0;
            if (Vector.IsHardwareAccelerated)
            {
                ReadOnlySpan<Vector<float>> yv = MemoryMarshal.Cast<float, Vector<float>>(ys);
                ReadOnlySpan<Vector<float>> dyv = MemoryMarshal.Cast<float, Vector<float>>(dys);
                Span<Vector<float>> dxv = MemoryMarshal.Cast<float, Vector<float>>(dxs);
                for (int v = 0; v < yv.Length; v++)
                {
                    dxv[v] += Vector.ConditionalSelect(Vector.GreaterThan(yv[v], Vector<float>.Zero), dyv[v],
                        Vector<float>.Zero);
                }
                i = yv.Length * Vector<float>.Count;
            }
            for (; i < ys.Length; i++)
            {
                if (ys[i] > 0f)
                {
                    dxs[i] += dys[i];
                }
            }
        });
    }

    /// <inheritdoc />
    public void MaxoutForward(int groupSize, Tensor x, Tensor y)
    {
        ForEachItem(x.N, x.SampleSize, n =>
        {
            ReadOnlySpan<float> xs = Sample(x, n);
            Span<float> ys = Sample(y, n);
            for (int f = 0; f < ys.Length; f++)
            {
                ys[f] = TensorPrimitives.Max(xs.Slice(f * groupSize, groupSize));
            }
        });
    }

    /// <inheritdoc />
    public void MaxoutBackward(int groupSize, Tensor x, Tensor dy, Tensor dx)
    {
        ForEachItem(x.N, x.SampleSize, n =>
        {
            ReadOnlySpan<float> xs = Sample(x, n);
            ReadOnlySpan<float> dys = Sample(dy, n);
            Span<float> dxs = Sample(dx, n);
            for (int f = 0; f < dys.Length; f++)
            {
                // The first maximum of the group receives the gradient.
                int start = f * groupSize;
                int best = start;
                for (int j = start + 1; j < start + groupSize; j++)
                {
                    if (xs[j] > xs[best])
                    {
                        best = j;
                    }
                }
                dxs[best] += dys[f];
            }
        });
    }

    /// <inheritdoc />
    public void ZeroPad2dForward(Tensor x, Tensor y, int top, int left)
    {
        int h = x.H;
        int w = x.W;
        int outW = y.W;
        int outPlane = y.H * outW;
        ForEachItem(x.N, y.SampleSize, n =>
        {
            ReadOnlySpan<float> xs = Sample(x, n);
            Span<float> ys = Sample(y, n);
            ys.Clear();
            for (int c = 0; c < x.C; c++)
            {
                for (int r = 0; r < h; r++)
                {
                    xs.Slice((c * h + r) * w, w).CopyTo(ys.Slice(c * outPlane + (r + top) * outW + left, w));
                }
            }
        });
    }

    /// <inheritdoc />
    public void ZeroPad2dBackward(Tensor dy, Tensor dx, int top, int left)
    {
        int h = dx.H;
        int w = dx.W;
        int outW = dy.W;
        int outPlane = dy.H * outW;
        ForEachItem(dx.N, dx.SampleSize, n =>
        {
            ReadOnlySpan<float> dys = Sample(dy, n);
            Span<float> dxs = Sample(dx, n);
            for (int c = 0; c < dx.C; c++)
            {
                for (int r = 0; r < h; r++)
                {
                    Span<float> row = dxs.Slice((c * h + r) * w, w);
                    TensorPrimitives.Add(row, dys.Slice(c * outPlane + (r + top) * outW + left, w), row);
                }
            }
        });
    }

    /// <inheritdoc />
    public void L2NormalizeForward(Tensor x, Tensor y, Tensor norms, float epsilon)
    {
        float[] normArray = Array(norms);
        ForEachItem(x.N, x.SampleSize, n =>
        {
            ReadOnlySpan<float> xs = Sample(x, n);
            double squares = 0;
            for (int i = 0; i < xs.Length; i++)
            {
                squares += (double)xs[i] * xs[i];
            }
            float norm = (float)Math.Sqrt(squares);
            normArray[norms.Offset + n * norms.BatchStride] = norm;
            TensorPrimitives.Multiply(xs, 1f / Math.Max(norm, epsilon), Sample(y, n));
        });
    }

    /// <inheritdoc />
    public void L2NormalizeBackward(Tensor y, Tensor norms, Tensor dy, Tensor dx, float epsilon)
    {
        float[] normArray = Array(norms);
        ForEachItem(y.N, y.SampleSize, n =>
        {
            ReadOnlySpan<float> ys = Sample(y, n);
            ReadOnlySpan<float> dys = Sample(dy, n);
            Span<float> dxs = Sample(dx, n);
            float norm = normArray[norms.Offset + n * norms.BatchStride];

            // A row whose norm was clamped to epsilon is y = x / epsilon, a linear map.
            if (norm < epsilon)
            {
                TensorPrimitives.MultiplyAdd(dys, 1f / epsilon, dxs, dxs);
                return;
            }
            float dot = TensorPrimitives.Dot(ys, dys);
            float inverse = 1f / norm;
            for (int i = 0; i < dxs.Length; i++)
            {
                dxs[i] += (dys[i] - ys[i] * dot) * inverse;
            }
        });
    }
}
