using FaceNet.Runtime.Autograd;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Runtime.Operations;

/// <summary>Piecewise-linear activations beyond ReLU: leaky ReLU and clipping (ReLU6).</summary>
public static class PiecewiseActivations
{
    /// <summary>Slope of the tiny face detector's leaky ReLU (float32 of 0.1, as TensorFlow.js stores it).</summary>
    public const float TinyDetectorSlope = 0.1f;

    /// <summary><c>y = x &gt; 0 ? x : slope * x</c>, any shape. Gradient: dy, or slope * dy where x ≤ 0.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The slope is not finite.</exception>
    public static Tensor LeakyRelu(Graph graph, Tensor x, float slope)
    {
        if (!float.IsFinite(slope))
        {
            throw new ArgumentOutOfRangeException(nameof(slope), slope, "LeakyRelu: the slope must be finite.");
        }
        Tensor y = graph.NewTensor(x.Dims.ToArray());
        graph.Backend.LeakyReluForward(x, y, slope);
        graph.Record("leaky_relu", y, () =>
        {
            if (graph.NeedsGradient(x))
            {
                graph.Backend.LeakyReluBackward(x, graph.GradientOf(y), graph.GradientOf(x), slope);
            }
        }, x);
        return y;
    }

    /// <summary>
    /// <c>y = min(max(x, min), max)</c>, any shape. Gradient: dy where min &lt; x &lt; max, else 0.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A bound is NaN or min is greater than max.</exception>
    public static Tensor Clip(Graph graph, Tensor x, float min, float max)
    {
        if (float.IsNaN(min) || float.IsNaN(max) || min > max)
        {
            throw new ArgumentOutOfRangeException(nameof(min), $"Clip: bounds [{min}, {max}] are invalid; min must not exceed max.");
        }
        Tensor y = graph.NewTensor(x.Dims.ToArray());
        graph.Backend.ClipForward(x, y, min, max);
        graph.Record("clip", y, () =>
        {
            if (graph.NeedsGradient(x))
            {
                graph.Backend.ClipBackward(x, graph.GradientOf(y), graph.GradientOf(x), min, max);
            }
        }, x);
        return y;
    }

    /// <summary><c>min(max(x, 0), 6)</c>, the MobileNet activation.</summary>
    public static Tensor Relu6(Graph graph, Tensor x) => Clip(graph, x, 0f, 6f);
}
