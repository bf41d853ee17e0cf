using FaceNet.Runtime.Autograd;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Runtime.Operations;

/// <summary>Maxout, zero padding, flattening and row-wise L2 normalisation.</summary>
public static class Features
{
    /// <summary>
    /// Default epsilon of <see cref="L2Normalize"/>. Rows with a smaller norm are divided by it instead.
    /// </summary>
    public const float DefaultL2Epsilon = 1e-12f;

    /// <summary>
    /// Maxout: <c>y[n, f] = max over j &lt; groupSize of x[n, f * groupSize + j]</c>. Gradient: dy to the first
    /// maximum of each group.
    /// </summary>
    /// <param name="graph">The graph that records the operation.</param>
    /// <param name="x">Input (N, F * groupSize).</param>
    /// <param name="groupSize">Features per group, at least 1.</param>
    /// <returns>Output (N, F).</returns>
    /// <exception cref="ArgumentException">
    /// x is not rank 2 or its width is not a multiple of the group size.
    /// </exception>
    public static Tensor Maxout(Graph graph, Tensor x, int groupSize)
    {
        const string operation = "Maxout";
        if (groupSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(groupSize), groupSize,
                $"{operation}: group size must be at least 1.");
        }
        if (x.Rank != 2 || x.C % groupSize != 0)
        {
            throw new ArgumentException(
                $"{operation}: input must be (N, F * {groupSize}), got {x.ShapeText}; its width must be a multiple " +
                "of the group size.", nameof(x));
        }

        Tensor y = graph.NewTensor(x.N, x.C / groupSize);
        graph.Backend.MaxoutForward(groupSize, x, y);
        graph.Record(operation, y, () =>
        {
            if (graph.NeedsGradient(x))
            {
                graph.Backend.MaxoutBackward(groupSize, x, graph.GradientOf(y), graph.GradientOf(x));
            }
        }, x);
        return y;
    }

    /// <summary>The same zero padding of <paramref name="padding"/> on every side.</summary>
    /// <inheritdoc cref="ZeroPad2d(Graph, Tensor, int, int, int, int, Tensor)" />
    public static Tensor ZeroPad2d(Graph graph, Tensor x, int padding, Tensor? output = null) =>
        ZeroPad2d(graph, x, padding, padding, padding, padding, output);

    /// <summary>
    /// Pads every plane of x (N, C, H, W) with zeros into (N, C, H + top + bottom, W + left + right).
    /// Gradient: the unpadded window of dy.
    /// </summary>
    /// <param name="graph">The graph that records the operation.</param>
    /// <param name="x">Input (N, C, H, W).</param>
    /// <param name="top">Zero rows above.</param>
    /// <param name="bottom">Zero rows below.</param>
    /// <param name="left">Zero columns on the left.</param>
    /// <param name="right">Zero columns on the right.</param>
    /// <param name="output">Preallocated padded output, such as a channel slice of a concatenation.</param>
    /// <exception cref="ArgumentException">
    /// x is not rank 4, a padding is negative or the output shape is wrong.
    /// </exception>
    public static Tensor ZeroPad2d(Graph graph, Tensor x, int top, int bottom, int left, int right,
        Tensor? output = null)
    {
        const string operation = "ZeroPad2d";
        if (x.Rank != 4)
        {
            throw new ArgumentException($"{operation}: input must be NCHW (rank 4), got {x.ShapeText}.", nameof(x));
        }
        if (top < 0 || bottom < 0 || left < 0 || right < 0)
        {
            throw new ArgumentException(
                $"{operation}: paddings must be non-negative, got top {top}, bottom {bottom}, left {left}, " +
                $"right {right}.");
        }

        int[] outDims = [x.N, x.C, x.H + top + bottom, x.W + left + right];
        Tensor y = output ?? graph.NewTensor(outDims);
        if (!y.HasShape(outDims))
        {
            throw new ArgumentException(
                $"{operation}: output {y.ShapeText} does not match {Tensor.Format(outDims)} for input {x.ShapeText}.",
                nameof(output));
        }
        graph.Backend.ZeroPad2dForward(x, y, top, left);
        graph.Record(operation, y, () =>
        {
            if (graph.NeedsGradient(x))
            {
                graph.Backend.ZeroPad2dBackward(graph.GradientOf(y), graph.GradientOf(x), top, left);
            }
        }, x);
        return y;
    }

    /// <summary>
    /// A view of x as (N, SampleSize), sharing its storage. The gradient needs no kernel: the view's gradient
    /// is the same view of x's gradient.
    /// </summary>
    /// <exception cref="ArgumentException">x is batch strided (a channel slice); copy it first.</exception>
    public static Tensor Flatten(Graph graph, Tensor x)
    {
        if (!x.IsContiguous)
        {
            throw new ArgumentException(
                $"Flatten: input {x.ShapeText} is a batch-strided view (batch stride {x.BatchStride}, sample size " +
                $"{x.SampleSize}); copy it into a contiguous tensor first.", nameof(x));
        }
        Tensor flat = graph.Adopt(x.Reshape([x.N, x.SampleSize]));
        flat.RequiresGrad = graph.NeedsGradient(x);
        return flat;
    }

    /// <summary>
    /// Row-wise L2 normalisation: <c>y = x / max(||x||, epsilon)</c>. Gradient:
    /// <c>(dy - y * dot(y, dy)) / ||x||</c>, or <c>dy / epsilon</c> on rows whose norm is below epsilon.
    /// </summary>
    /// <param name="graph">The graph that records the operation.</param>
    /// <param name="x">Input (N, F).</param>
    /// <param name="epsilon">Lower bound of the divisor, so that a zero row maps to zero instead of NaN.</param>
    /// <exception cref="ArgumentException">x is not rank 2 or epsilon is not positive.</exception>
    public static Tensor L2Normalize(Graph graph, Tensor x, float epsilon = DefaultL2Epsilon)
    {
        const string operation = "L2Normalize";
        if (x.Rank != 2)
        {
            throw new ArgumentException($"{operation}: input must be (N, F), got {x.ShapeText}.", nameof(x));
        }
        if (!(epsilon > 0f))
        {
            throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, $"{operation}: epsilon must be positive.");
        }

        Tensor y = graph.NewTensor(x.N, x.C);
        Tensor norms = graph.NewTensor(x.N);
        graph.Backend.L2NormalizeForward(x, y, norms, epsilon);
        graph.Record(operation, y, () =>
        {
            if (graph.NeedsGradient(x))
            {
                graph.Backend.L2NormalizeBackward(y, norms, graph.GradientOf(y), graph.GradientOf(x), epsilon);
            }
        }, x);
        return y;
    }
}
