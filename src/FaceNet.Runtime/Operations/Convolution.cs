using FaceNet.Runtime.Autograd;
using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Runtime.Operations;

/// <summary>2-D convolution over NCHW batches.</summary>
public static class Convolution
{
    /// <summary>
    /// Cross-correlation with bias, as in every deep-learning framework:
    /// <c>y[n, co, oh, ow] = bias[co] + sum over ci, kh, kw of
    /// weight[co, ci, kh, kw] * x[n, ci, oh * strideH - padH + kh, ow * strideW - padW + kw]</c>, where
    /// positions outside the input read 0. Output size is <c>floor((H + 2 * padH - KH) / strideH) + 1</c>,
    /// likewise for the width. Gradients flow to x, weight and bias.
    /// </summary>
    /// <param name="graph">The graph to record on.</param>
    /// <param name="x">Input (N, Cin, H, W); may be a batch-strided view.</param>
    /// <param name="weight">Filters (Cout, Cin, KH, KW).</param>
    /// <param name="bias">Per-channel bias (Cout), or null for none.</param>
    /// <param name="strideH">Vertical stride, at least 1.</param>
    /// <param name="strideW">Horizontal stride, at least 1.</param>
    /// <param name="padH">Zero rows added above and below, at least 0.</param>
    /// <param name="padW">Zero columns added left and right, at least 0.</param>
    /// <param name="output">
    /// Tensor (N, Cout, OH, OW) to write instead of allocating one, such as a channel slice of an inception
    /// block's concatenated output; null to allocate.
    /// </param>
    /// <returns>The output tensor: <paramref name="output"/> when given.</returns>
    /// <exception cref="ArgumentException">A shape does not match, or the geometry is invalid.</exception>
    public static Tensor Conv2d(Graph graph, Tensor x, Tensor weight, Tensor? bias, int strideH, int strideW,
        int padH, int padW, Tensor? output = null)
    {
        Conv2dGeometry geometry = CheckShapes(x, weight, bias, strideH, strideW, padH, padW);
        int[] outputDims = [geometry.N, geometry.OutChannels, geometry.OutH, geometry.OutW];
        Tensor y;
        if (output is null)
        {
            y = graph.NewTensor(outputDims);
        }
        else if (!output.HasShape(outputDims))
        {
            throw new ArgumentException(
                $"Conv2d: output tensor {output.ShapeText} does not match the output shape " +
                $"{Tensor.Format(outputDims)} " +
                $"of input {x.ShapeText} and weight {weight.ShapeText}.", nameof(output));
        }
        else
        {
            y = output;
        }

        IBackend backend = graph.Backend;
        backend.Conv2dForward(geometry, x, weight, bias, y, relu: false);
        graph.Record("conv2d", y, () =>
        {
            Tensor dy = graph.GradientOf(y);
            if (graph.NeedsGradient(x))
            {
                backend.Conv2dBackwardData(geometry, dy, weight, graph.GradientOf(x));
            }
            bool weightGradient = graph.NeedsGradient(weight);
            bool biasGradient = bias is not null && graph.NeedsGradient(bias);
            if (weightGradient || biasGradient)
            {
                // The kernel always writes a filter gradient, so a frozen weight gets a throw-away one.
                Tensor dWeight = weightGradient ? graph.GradientOf(weight) : graph.NewTensor(weight.Dims.ToArray());
                backend.Conv2dBackwardFilter(geometry, x, dy, dWeight, biasGradient ? graph.GradientOf(bias!) : null);
            }
        }, x, weight, bias);
        return y;
    }

    /// <summary>
    /// <see cref="Conv2d(Graph, Tensor, Tensor, Tensor?, int, int, int, int, Tensor?)"/> with the same stride and
    /// padding in both directions.
    /// </summary>
    public static Tensor Conv2d(Graph graph, Tensor x, Tensor weight, Tensor? bias, int stride = 1, int padding = 0,
        Tensor? output = null) =>
        Conv2d(graph, x, weight, bias, stride, stride, padding, padding, output);

    private static Conv2dGeometry CheckShapes(Tensor x, Tensor weight, Tensor? bias, int strideH, int strideW,
        int padH, int padW)
    {
        if (x.Rank != 4 || weight.Rank != 4)
        {
            throw new ArgumentException(
                $"Conv2d: input {x.ShapeText} must be (N, Cin, H, W) and weight {weight.ShapeText} " +
                "(Cout, Cin, KH, KW).");
        }
        if (weight.Dim(1) != x.C)
        {
            throw new ArgumentException(
                $"Conv2d: input {x.ShapeText} has {x.C} channels but weight {weight.ShapeText} " +
                $"expects {weight.Dim(1)}.");
        }
        if (bias is not null && (bias.Rank != 1 || bias.Count != weight.N))
        {
            throw new ArgumentException(
                $"Conv2d: bias {bias.ShapeText} must be ({weight.N}) for weight {weight.ShapeText}.", nameof(bias));
        }
        var geometry = new Conv2dGeometry(x.N, x.C, x.H, x.W, weight.N, weight.Dim(2), weight.Dim(3),
            strideH, strideW, padH, padW);
        geometry.Validate($"Conv2d of input {x.ShapeText} with weight {weight.ShapeText}");
        return geometry;
    }
}
