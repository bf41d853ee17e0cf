using FaceNet.Runtime.Autograd;
using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Runtime.Operations;

/// <summary>Depthwise 2-D convolution over NCHW batches: one filter per channel, no mixing across channels.</summary>
/// <remarks>
/// TensorFlow's "SAME" padding with stride 2 pads more at the bottom and right than at the top and left.
/// Express it with <see cref="Features.ZeroPad2d(Graph, Tensor, int, int, int, int, Tensor?)"/> followed by a
/// convolution without padding; <see cref="TensorFlowPadding.Same"/> computes the amounts.
/// </remarks>
public static class DepthwiseConvolution
{
    /// <summary>
    /// <c>y[n, c, oh, ow] = bias[c] + sum over kh, kw of weight[c, 0, kh, kw] *
    /// x[n, c, oh * strideH - padH + kh, ow * strideW - padW + kw]</c>, where positions outside the input read 0.
    /// Output size is <c>floor((H + 2 * padH - KH) / strideH) + 1</c>, likewise for the width. Gradients flow to
    /// x, weight and bias.
    /// </summary>
    /// <param name="graph">The graph to record on.</param>
    /// <param name="x">Input (N, C, H, W); may be a batch-strided view.</param>
    /// <param name="weight">Filters (C, 1, KH, KW).</param>
    /// <param name="bias">Per-channel bias (C), or null for none.</param>
    /// <param name="strideH">Vertical stride, at least 1.</param>
    /// <param name="strideW">Horizontal stride, at least 1.</param>
    /// <param name="padH">Zero rows added above and below, at least 0.</param>
    /// <param name="padW">Zero columns added left and right, at least 0.</param>
    /// <returns>A new tensor (N, C, OH, OW).</returns>
    /// <exception cref="ArgumentException">A shape does not match, or the geometry is invalid.</exception>
    public static Tensor Conv2d(Graph graph, Tensor x, Tensor weight, Tensor? bias, int strideH, int strideW,
        int padH, int padW)
    {
        if (x.Rank != 4 || weight.Rank != 4 || weight.Dim(1) != 1 || weight.N != x.C)
        {
            throw new ArgumentException(
                $"DepthwiseConv2d: input {x.ShapeText} must be (N, C, H, W) and weight {weight.ShapeText} " +
                $"(C, 1, KH, KW) with C = {(x.Rank == 4 ? x.C : "the input's channels")}.");
        }
        if (bias is not null && (bias.Rank != 1 || bias.Count != x.C))
        {
            throw new ArgumentException(
                $"DepthwiseConv2d: bias {bias.ShapeText} must be ({x.C}) for input {x.ShapeText}.", nameof(bias));
        }
        var g = new Conv2dGeometry(x.N, x.C, x.H, x.W, x.C, weight.Dim(2), weight.Dim(3), strideH, strideW, padH, padW);
        g.Validate($"DepthwiseConv2d of input {x.ShapeText} with weight {weight.ShapeText}");

        IBackend backend = graph.Backend;
        Tensor y = graph.NewTensor(g.N, g.OutChannels, g.OutH, g.OutW);
        backend.DepthwiseConv2dForward(g, x, weight, bias, y);
        graph.Record("depthwise_conv2d", y, () =>
        {
            Tensor dy = graph.GradientOf(y);
            if (graph.NeedsGradient(x))
            {
                backend.DepthwiseConv2dBackwardData(g, dy, weight, graph.GradientOf(x));
            }
            bool weightGradient = graph.NeedsGradient(weight);
            bool biasGradient = bias is not null && graph.NeedsGradient(bias);
            if (weightGradient || biasGradient)
            {
                // The kernel always writes a filter gradient, so a frozen weight gets a throw-away one.
                Tensor dWeight = weightGradient ? graph.GradientOf(weight) : graph.NewTensor(weight.Dims.ToArray());
                backend.DepthwiseConv2dBackwardFilter(g, x, dy, dWeight, biasGradient ? graph.GradientOf(bias!) : null);
            }
        }, x, weight, bias);
        return y;
    }

    /// <summary>
    /// <see cref="Conv2d(Graph, Tensor, Tensor, Tensor?, int, int, int, int)"/> with the same stride and padding
    /// in both directions.
    /// </summary>
    public static Tensor Conv2d(Graph graph, Tensor x, Tensor weight, Tensor? bias, int stride = 1, int padding = 0) =>
        Conv2d(graph, x, weight, bias, stride, stride, padding, padding);
}
