using FaceNet.Runtime.Autograd;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Runtime.Operations;

/// <summary>Element-wise sums, the per-channel scale-and-shift, and zero padding of channels.</summary>
public static class Arithmetic
{
    /// <summary>
    /// <c>y = a + b</c> for tensors of the same shape, such as a residual connection. Gradients: dy to both.
    /// </summary>
    /// <exception cref="ArgumentException">The shapes differ.</exception>
    public static Tensor Add(Graph graph, Tensor a, Tensor b)
    {
        if (!a.HasShape(b.Dims))
        {
            throw new ArgumentException($"Add: operands {a.ShapeText} and {b.ShapeText} must have the same shape.");
        }
        Tensor y = graph.NewTensor(a.Dims.ToArray());
        graph.Backend.Copy(a, y);
        graph.Backend.AddScaled(b, 1f, y);
        graph.Record("add", y, () =>
        {
            Tensor dy = graph.GradientOf(y);
            if (graph.NeedsGradient(a))
            {
                graph.Backend.AddScaled(dy, 1f, graph.GradientOf(a));
            }
            if (graph.NeedsGradient(b))
            {
                graph.Backend.AddScaled(dy, 1f, graph.GradientOf(b));
            }
        }, a, b);
        return y;
    }

    /// <summary>
    /// Per-channel affine map <c>y[n, c, h, w] = x[n, c, h, w] * scale[c] + shift[c]</c>, the "scale" layer of
    /// Caffe and dlib ResNets (a batch normalisation folded into constants). Gradients flow to x, scale and shift.
    /// </summary>
    /// <param name="graph">The graph to record on.</param>
    /// <param name="x">Input (N, C, H, W); may be a batch-strided view.</param>
    /// <param name="scale">Per-channel factors (C).</param>
    /// <param name="shift">Per-channel offsets (C).</param>
    /// <exception cref="ArgumentException">A shape does not match.</exception>
    public static Tensor ScaleShift(Graph graph, Tensor x, Tensor scale, Tensor shift)
    {
        if (x.Rank != 4 || scale.Rank != 1 || shift.Rank != 1 || scale.Count != x.C || shift.Count != x.C)
        {
            throw new ArgumentException(
                $"ScaleShift: input {x.ShapeText} must be (N, C, H, W) with scale {scale.ShapeText} and shift " +
                $"{shift.ShapeText} both (C).");
        }
        Tensor y = graph.NewTensor(x.Dims.ToArray());
        graph.Backend.ScaleShiftForward(x, scale, shift, y);
        graph.Record("scale_shift", y, () =>
        {
            Tensor dy = graph.GradientOf(y);
            if (graph.NeedsGradient(x))
            {
                graph.Backend.ScaleShiftBackwardData(dy, scale, graph.GradientOf(x));
            }
            bool scaleGradient = graph.NeedsGradient(scale);
            bool shiftGradient = graph.NeedsGradient(shift);
            if (scaleGradient || shiftGradient)
            {
                // The kernel writes both gradients, so a frozen one gets a throw-away tensor.
                Tensor dScale = scaleGradient ? graph.GradientOf(scale) : graph.NewTensor(x.C);
                Tensor dShift = shiftGradient ? graph.GradientOf(shift) : graph.NewTensor(x.C);
                graph.Backend.ScaleShiftBackwardParameters(x, dy, dScale, dShift);
            }
        }, x, scale, shift);
        return y;
    }

    /// <summary>
    /// Appends zero channels: <c>y[:, :C] = x</c> and <c>y[:, C:channels] = 0</c>, as a ResNet shortcut does when
    /// a block widens. Gradient: the first C channels of dy.
    /// </summary>
    /// <exception cref="ArgumentException">x is not rank 4 or <paramref name="channels"/> is below its channels.</exception>
    public static Tensor PadChannels(Graph graph, Tensor x, int channels)
    {
        if (x.Rank != 4 || channels < x.C)
        {
            throw new ArgumentException(
                $"PadChannels: input {x.ShapeText} must be (N, C, H, W) with C at most {channels}.", nameof(channels));
        }
        Tensor y = graph.NewTensor(x.N, channels, x.H, x.W);
        graph.Backend.Copy(x, y.SliceChannels(0, x.C));
        if (channels > x.C)
        {
            graph.Backend.Fill(y.SliceChannels(x.C, channels - x.C), 0f);
        }
        graph.Record("pad_channels", y, () =>
        {
            if (graph.NeedsGradient(x))
            {
                graph.Backend.AddScaled(graph.GradientOf(y).SliceChannels(0, x.C), 1f, graph.GradientOf(x));
            }
        }, x);
        return y;
    }
}
