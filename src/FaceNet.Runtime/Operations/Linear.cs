using FaceNet.Runtime.Autograd;
using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Runtime.Operations;

/// <summary>Fully connected (dense) layers.</summary>
public static class Linear
{
    /// <summary>
    /// <c>y[n, o] = bias[o] + sum over f of x[n, f] * weight[o, f]</c>, that is <c>y = x * weight^T + bias</c>.
    /// A rank-4 input (N, C, H, W) is read as (N, C * H * W) in channel-major order, as a flatten layer would
    /// produce. Gradients flow to x, weight and bias.
    /// </summary>
    /// <param name="graph">The graph to record on.</param>
    /// <param name="x">Input (N, F) or (N, C, H, W) with C * H * W = F; may be a batch-strided view.</param>
    /// <param name="weight">Weights (Out, F).</param>
    /// <param name="bias">Bias (Out), or null for none.</param>
    /// <returns>A new tensor (N, Out).</returns>
    /// <exception cref="ArgumentException">A shape does not match.</exception>
    public static Tensor FullyConnected(Graph graph, Tensor x, Tensor weight, Tensor? bias)
    {
        if (x.Rank != 2 && x.Rank != 4)
        {
            throw new ArgumentException(
                $"FullyConnected: input {x.ShapeText} must be (N, F) or (N, C, H, W).", nameof(x));
        }
        if (weight.Rank != 2 || weight.Dim(1) != x.SampleSize)
        {
            throw new ArgumentException(
                $"FullyConnected: weight {weight.ShapeText} must be (Out, {x.SampleSize}) for input {x.ShapeText}.",
                nameof(weight));
        }
        int outputs = weight.N;
        if (bias is not null && (bias.Rank != 1 || bias.Count != outputs))
        {
            throw new ArgumentException(
                $"FullyConnected: bias {bias.ShapeText} must be ({outputs}) for weight {weight.ShapeText}.",
                nameof(bias));
        }

        // Every sample's features are contiguous, so x is an N x F matrix with row stride BatchStride, whatever
        // its rank or whether it is a channel slice.
        IBackend backend = graph.Backend;
        int n = x.N;
        int features = x.SampleSize;
        Tensor y = graph.NewTensor(n, outputs);
        Tensor? ones = null;
        float beta = 0f;
        if (bias is not null)
        {
            // y = ones (N x 1) * bias (1 x Out) broadcasts the bias with a rank-1 GEMM, which every backend has.
            ones = graph.NewTensor(n);
            backend.Fill(ones, 1f);
            backend.Gemm(false, false, n, outputs, 1, 1f, ones, ones.Offset, 1, bias, bias.Offset, outputs, 0f, y, 0,
                outputs);
            beta = 1f;
        }
        backend.Gemm(false, true, n, outputs, features, 1f, x, x.Offset, x.BatchStride, weight, weight.Offset,
            weight.BatchStride, beta, y, y.Offset, outputs);

        graph.Record("fully_connected", y, () =>
        {
            Tensor dy = graph.GradientOf(y);
            if (graph.NeedsGradient(x))
            {
                // dx (N x F) += dy (N x Out) * weight (Out x F)
                Tensor dx = graph.GradientOf(x);
                backend.Gemm(false, false, n, features, outputs, 1f, dy, dy.Offset, outputs, weight, weight.Offset,
                    weight.BatchStride, 1f, dx, dx.Offset, dx.BatchStride);
            }
            if (graph.NeedsGradient(weight))
            {
                // dWeight (Out x F) += dy^T (Out x N) * x (N x F)
                Tensor dWeight = graph.GradientOf(weight);
                backend.Gemm(true, false, outputs, features, n, 1f, dy, dy.Offset, outputs, x, x.Offset, x.BatchStride,
                    1f, dWeight, dWeight.Offset, dWeight.BatchStride);
            }
            if (bias is not null && graph.NeedsGradient(bias))
            {
                // dBias (Out x 1) += dy^T (Out x N) * ones (N x 1)
                Tensor dBias = graph.GradientOf(bias);
                backend.Gemm(true, false, outputs, 1, n, 1f, dy, dy.Offset, outputs, ones!, ones!.Offset, 1, 1f, dBias,
                    dBias.Offset, 1);
            }
        }, x, weight, bias);
        return y;
    }
}
