using FaceNet.Runtime.Tensors;

namespace FaceNet.Runtime.Cpu;

/// <summary>Leaky ReLU and clipping, the activations of the face-api detectors.</summary>
public sealed partial class CpuBackend
{
    /// <inheritdoc />
    public void LeakyReluForward(Tensor x, Tensor y, float slope)
    {
        ForEachItem(x.N, x.SampleSize, n =>
        {
            ReadOnlySpan<float> xs = Sample(x, n);
            Span<float> ys = Sample(y, n);
            for (int i = 0; i < xs.Length; i++)
            {
                float v = xs[i];
                ys[i] = v > 0f ? v : slope * v;
            }
        });
    }

    /// <inheritdoc />
    public void LeakyReluBackward(Tensor x, Tensor dy, Tensor dx, float slope)
    {
        ForEachItem(x.N, x.SampleSize, n =>
        {
            ReadOnlySpan<float> xs = Sample(x, n);
            ReadOnlySpan<float> dys = Sample(dy, n);
            Span<float> dxs = Sample(dx, n);
            for (int i = 0; i < xs.Length; i++)
            {
                dxs[i] += xs[i] > 0f ? dys[i] : slope * dys[i];
            }
        });
    }

    /// <inheritdoc />
    public void ClipForward(Tensor x, Tensor y, float min, float max)
    {
        ForEachItem(x.N, x.SampleSize, n =>
        {
            ReadOnlySpan<float> xs = Sample(x, n);
            Span<float> ys = Sample(y, n);
            for (int i = 0; i < xs.Length; i++)
            {
                ys[i] = MathF.Min(MathF.Max(xs[i], min), max);
            }
        });
    }

    /// <inheritdoc />
    public void ClipBackward(Tensor x, Tensor dy, Tensor dx, float min, float max)
    {
        ForEachItem(x.N, x.SampleSize, n =>
        {
            ReadOnlySpan<float> xs = Sample(x, n);
            ReadOnlySpan<float> dys = Sample(dy, n);
            Span<float> dxs = Sample(dx, n);
            for (int i = 0; i < xs.Length; i++)
            {
                if (xs[i] > min && xs[i] < max)
                {
                    dxs[i] += dys[i];
                }
            }
        });
    }
}
