using FaceNet.Runtime.Tensors;

namespace FaceNet.Runtime.Cpu;

/// <summary>The per-channel scale-and-shift <c>y = x * scale[c] + shift[c]</c>.</summary>
public sealed partial class CpuBackend
{
    /// <inheritdoc />
    public void ScaleShiftForward(Tensor x, Tensor scale, Tensor shift, Tensor y)
    {
        float[] s = Array(scale);
        float[] t = Array(shift);
        int sOffset = scale.Offset;
        int tOffset = shift.Offset;
        int channels = x.C;
        int plane = x.H * x.W;
        ForEachItem(x.N, x.SampleSize, n =>
        {
            ReadOnlySpan<float> xs = Sample(x, n);
            Span<float> ys = Sample(y, n);
            for (int c = 0; c < channels; c++)
            {
                float factor = s[sOffset + c];
                float offset = t[tOffset + c];
                int start = c * plane;
                for (int i = start; i < start + plane; i++)
                {
                    ys[i] = xs[i] * factor + offset;
                }
            }
        });
    }

    /// <inheritdoc />
    public void ScaleShiftBackwardData(Tensor dy, Tensor scale, Tensor dx)
    {
        float[] s = Array(scale);
        int sOffset = scale.Offset;
        int channels = dy.C;
        int plane = dy.H * dy.W;
        ForEachItem(dy.N, dy.SampleSize, n =>
        {
            ReadOnlySpan<float> dys = Sample(dy, n);
            Span<float> dxs = Sample(dx, n);
            for (int c = 0; c < channels; c++)
            {
                float factor = s[sOffset + c];
                int start = c * plane;
                for (int i = start; i < start + plane; i++)
                {
                    dxs[i] += dys[i] * factor;
                }
            }
        });
    }

    /// <inheritdoc />
    public void ScaleShiftBackwardParameters(Tensor x, Tensor dy, Tensor dScale, Tensor dShift)
    {
        float[] ds = Array(dScale);
        float[] dt = Array(dShift);
        int dsOffset = dScale.Offset;
        int dtOffset = dShift.Offset;
        int plane = x.H * x.W;
        int batch = x.N;
        ForEachItem(x.C, (long)batch * plane, c =>
        {
            double scaleSum = 0;
            double shiftSum = 0;
            for (int n = 0; n < batch; n++)
            {
                ReadOnlySpan<float> xs = Sample(x, n).Slice(c * plane, plane);
                ReadOnlySpan<float> dys = Sample(dy, n).Slice(c * plane, plane);
                for (int i = 0; i < plane; i++)
                {
                    scaleSum += (double)dys[i] * xs[i];
                    shiftSum += dys[i];
                }
            }
            ds[dsOffset + c] += (float)scaleSum;
            dt[dtOffset + c] += (float)shiftSum;
        });
    }
}
