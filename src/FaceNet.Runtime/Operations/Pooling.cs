using FaceNet.Runtime.Autograd;
using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Runtime.Operations;

/// <summary>
/// 2-D pooling over NCHW tensors. Output size per axis is <c>floor((H + 2 * pad - kernel) / stride) + 1</c>,
/// or the ceiling in ceil mode, where a last window that would start inside the right padding is dropped.
/// </summary>
public static class Pooling
{
    /// <summary>Maximum over each window; padded cells never win. Gradient: dy to the first maximum.</summary>
    /// <param name="graph">The graph that records the operation.</param>
    /// <param name="x">Input (N, C, H, W).</param>
    /// <param name="kernel">Square window size.</param>
    /// <param name="stride">Step between windows.</param>
    /// <param name="padding">Implicit padding on every side; less than <paramref name="kernel"/>.</param>
    /// <param name="ceilMode">Round the output size up instead of down.</param>
    /// <param name="output">Preallocated (N, C, OH, OW) output, such as a channel slice of a concatenation.</param>
    /// <exception cref="ArgumentException">
    /// x is not rank 4, the geometry is invalid or the output shape is wrong.
    /// </exception>
    public static Tensor MaxPool2d(Graph graph, Tensor x, int kernel, int stride, int padding = 0,
        bool ceilMode = false, Tensor? output = null) =>
        Pool2d(graph, PoolKind.Max, x, kernel, kernel, stride, stride, padding, padding, ceilMode, output);

    /// <summary>
    /// Mean over each window, dividing by the window's extent inside the padded input (KernelH * KernelW
    /// unless a ceil-mode window runs past the padding), so padded cells count as zeros.
    /// </summary>
    /// <inheritdoc cref="MaxPool2d" />
    public static Tensor AvgPool2d(Graph graph, Tensor x, int kernel, int stride, int padding = 0,
        bool ceilMode = false, Tensor? output = null) =>
        Pool2d(graph, PoolKind.Average, x, kernel, kernel, stride, stride, padding, padding, ceilMode, output);

    /// <summary>
    /// <c>sqrt(sum of x^2)</c> over each window; padded cells count as zeros. Gradient: <c>dy * x / y</c>,
    /// and zero where y is 0.
    /// </summary>
    /// <inheritdoc cref="MaxPool2d" />
    public static Tensor L2Pool2d(Graph graph, Tensor x, int kernel, int stride, int padding = 0,
        bool ceilMode = false, Tensor? output = null) =>
        Pool2d(graph, PoolKind.L2, x, kernel, kernel, stride, stride, padding, padding, ceilMode, output);

    /// <summary>Pooling of any kind with separate heights and widths for the window, stride and padding.</summary>
    /// <exception cref="ArgumentException">
    /// x is not rank 4, the geometry is invalid or the output shape is wrong.
    /// </exception>
    public static Tensor Pool2d(Graph graph, PoolKind kind, Tensor x, int kernelH, int kernelW, int strideH,
        int strideW, int padH, int padW, bool ceilMode = false, Tensor? output = null)
    {
        string operation = kind switch
        {
            PoolKind.Max => "MaxPool2d",
            PoolKind.Average => "AvgPool2d",
            PoolKind.L2 => "L2Pool2d",
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown pooling kind."),
        };
        if (x.Rank != 4)
        {
            throw new ArgumentException($"{operation}: input must be NCHW (rank 4), got {x.ShapeText}.", nameof(x));
        }

        var g = new Pool2dGeometry(x.N, x.C, x.H, x.W, kernelH, kernelW, strideH, strideW, padH, padW, ceilMode);
        g.Validate(operation);
        int[] outDims = [x.N, x.C, g.OutH, g.OutW];
        Tensor y = output ?? graph.NewTensor(outDims);
        if (!y.HasShape(outDims))
        {
            throw new ArgumentException(
                $"{operation}: output {y.ShapeText} does not match {Tensor.Format(outDims)} for input {x.ShapeText}.",
                nameof(output));
        }

        graph.Backend.Pool2dForward(kind, g, x, y);
        graph.Record(operation, y, () =>
        {
            if (graph.NeedsGradient(x))
            {
                graph.Backend.Pool2dBackward(kind, g, x, y, graph.GradientOf(y), graph.GradientOf(x));
            }
        }, x);
        return y;
    }
}
