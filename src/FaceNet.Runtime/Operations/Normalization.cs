using FaceNet.Runtime.Autograd;
using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Runtime.Operations;

/// <summary>Local response normalisation and batch normalisation.</summary>
public static class Normalization
{
    /// <summary>
    /// Cross-channel LRN with Torch/Caffe semantics:
    /// <c>y = x / (K + Alpha / Size * sum of x^2 over channels [c - Size / 2, c + (Size - 1) / 2]) ^ Beta</c>,
    /// with the window clipped at the first and last channel. The denominator base is saved for the backward pass.
    /// </summary>
    /// <param name="graph">The graph that records the operation.</param>
    /// <param name="x">Input (N, C, H, W) or (N, F), where the features play the channels.</param>
    /// <param name="parameters">Window size, alpha, beta and k.</param>
    /// <param name="output">Preallocated output of x's shape, such as a channel slice of a concatenation.</param>
    /// <exception cref="ArgumentException">
    /// x is not rank 2 or 4, Size is below 1, K is not positive, Alpha is negative, or the output shape differs.
    /// </exception>
    public static Tensor Lrn(Graph graph, Tensor x, LrnParameters parameters, Tensor? output = null)
    {
        const string operation = "Lrn";
        CheckRank(operation, x);
        if (parameters.Size < 1 || !(parameters.K > 0f) || !(parameters.Alpha >= 0f))
        {
            throw new ArgumentException(
                $"{operation}: invalid parameters {parameters}; Size must be at least 1, K positive and Alpha " +
                "non-negative so that the denominator stays positive.", nameof(parameters));
        }
        Tensor y = OutputFor(graph, operation, x, output);
        Tensor scale = graph.NewTensor(x.Dims.ToArray());

        graph.Backend.LrnForward(parameters, x, y, scale);
        graph.Record(operation, y, () =>
        {
            if (graph.NeedsGradient(x))
            {
                graph.Backend.LrnBackward(parameters, x, y, scale, graph.GradientOf(y), graph.GradientOf(x));
            }
        }, x);
        return y;
    }

    /// <summary>
    /// Batch normalisation per channel: <c>y = gamma * (x - mean) / sqrt(var + epsilon) + beta</c>.
    /// </summary>
    /// <remarks>
    /// When <see cref="Graph.IsTraining"/> is set, mean and var are the batch statistics over (N, H, W) with the
    /// biased variance, and the running statistics move by
    /// <c>running = (1 - momentum) * running + momentum * batch</c> using the unbiased variance. Otherwise the
    /// running statistics are used as they are and nothing is updated, so each sample's output does not
    /// depend on the rest of the batch.
    /// </remarks>
    /// <param name="graph">The graph that records the operation.</param>
    /// <param name="x">Input (N, C, H, W) or (N, F), where the features play the channels.</param>
    /// <param name="gamma">Scale (C).</param>
    /// <param name="beta">Shift (C).</param>
    /// <param name="runningMean">Running mean (C), updated in training.</param>
    /// <param name="runningVar">Running unbiased variance (C), updated in training.</param>
    /// <param name="momentum">Weight of the batch statistics in the running-statistics update, such as 0.1.</param>
    /// <param name="epsilon">Added to the variance before the square root, such as 1e-5.</param>
    /// <param name="output">Preallocated output of x's shape, such as a channel slice of a concatenation.</param>
    /// <exception cref="ArgumentException">
    /// x is not rank 2 or 4, a per-channel tensor does not hold C contiguous values, the output shape differs,
    /// or a training graph gets a single value per channel (N * H * W = 1), where the variance is undefined.
    /// </exception>
    public static Tensor BatchNorm(Graph graph, Tensor x, Tensor gamma, Tensor beta, Tensor runningMean,
        Tensor runningVar, float momentum, float epsilon, Tensor? output = null)
    {
        const string operation = "BatchNorm";
        CheckRank(operation, x);
        CheckPerChannel(operation, nameof(gamma), gamma, x);
        CheckPerChannel(operation, nameof(beta), beta, x);
        CheckPerChannel(operation, nameof(runningMean), runningMean, x);
        CheckPerChannel(operation, nameof(runningVar), runningVar, x);
        if (!(epsilon >= 0f))
        {
            throw new ArgumentException($"{operation}: epsilon must be non-negative, got {epsilon}.", nameof(epsilon));
        }
        Tensor y = OutputFor(graph, operation, x, output);

        if (!graph.IsTraining)
        {
            graph.Backend.BatchNormForwardInference(x, gamma, beta, runningMean, runningVar, epsilon, y);
            graph.Record(operation, y,
                () => InferenceBackward(graph, x, gamma, beta, runningMean, runningVar, epsilon, y),
                x, gamma, beta);
            return y;
        }

        if (x.N * x.H * x.W < 2)
        {
            throw new ArgumentException(
                $"{operation}: training needs more than one value per channel, but input {x.ShapeText} has one; " +
                "use a larger batch or an inference graph.", nameof(x));
        }
        Tensor savedMean = graph.NewTensor(x.C);
        Tensor savedInvStd = graph.NewTensor(x.C);
        graph.Backend.BatchNormForwardTraining(x, gamma, beta, y, savedMean, savedInvStd, runningMean, runningVar,
            momentum, epsilon);
        graph.Record(operation, y, () =>
        {
            Tensor dx = graph.NeedsGradient(x) ? graph.GradientOf(x) : graph.NewTensor(x.Dims.ToArray());
            Tensor dGamma = graph.NeedsGradient(gamma) ? graph.GradientOf(gamma) : graph.NewTensor(x.C);
            Tensor dBeta = graph.NeedsGradient(beta) ? graph.GradientOf(beta) : graph.NewTensor(x.C);
            graph.Backend.BatchNormBackward(x, graph.GradientOf(y), gamma, savedMean, savedInvStd, dx, dGamma, dBeta);
        }, x, gamma, beta);
        return y;
    }

    /// <summary>
    /// Gradients of the inference form, where mean and variance are constants:
    /// <c>dx = gamma * dy / sqrt(var + eps)</c>, <c>dGamma = sum dy * xhat</c>, <c>dBeta = sum dy</c>.
    /// </summary>
    private static void InferenceBackward(Graph graph, Tensor x, Tensor gamma, Tensor beta, Tensor runningMean,
        Tensor runningVar, float epsilon, Tensor y)
    {
        IBackend backend = graph.Backend;
        Tensor dy = graph.GradientOf(y);
        int channels = x.C;

        if (graph.NeedsGradient(x))
        {
            // The inference kernel with zero mean and zero shift computes gamma * dy / sqrt(var + eps).
            Tensor zeros = graph.NewZeroTensor(channels);
            Tensor scaled = graph.NewTensor(x.Dims.ToArray());
            backend.BatchNormForwardInference(dy, gamma, zeros, zeros, runningVar, epsilon, scaled);
            backend.AddScaled(scaled, 1f, graph.GradientOf(x));
        }

        if (graph.NeedsGradient(gamma) || graph.NeedsGradient(beta))
        {
            // The training backward kernel sums dy and dy * xhat, with xhat taken from the saved statistics. Given
            // the running statistics it returns the parameter gradients. Its dx does not apply here and is discarded.
            float[] invStd = new float[channels];
            backend.Download(runningVar, invStd);
            for (int c = 0; c < channels; c++)
            {
                invStd[c] = 1f / MathF.Sqrt(invStd[c] + epsilon);
            }
            Tensor invStdTensor = graph.FromHost(invStd, channels);
            Tensor discardedDx = graph.NewTensor(x.Dims.ToArray());
            Tensor dGamma = graph.NeedsGradient(gamma) ? graph.GradientOf(gamma) : graph.NewTensor(channels);
            Tensor dBeta = graph.NeedsGradient(beta) ? graph.GradientOf(beta) : graph.NewTensor(channels);
            backend.BatchNormBackward(x, dy, gamma, runningMean, invStdTensor, discardedDx, dGamma, dBeta);
        }
    }

    private static void CheckRank(string operation, Tensor x)
    {
        if (x.Rank != 4 && x.Rank != 2)
        {
            throw new ArgumentException(
                $"{operation}: input must be (N, C, H, W) or (N, F), got {x.ShapeText}.", nameof(x));
        }
    }

    private static void CheckPerChannel(string operation, string name, Tensor t, Tensor x)
    {
        if (t.Count != x.C || !t.IsContiguous)
        {
            throw new ArgumentException(
                $"{operation}: {name} {t.ShapeText} must hold {x.C} contiguous values, one per channel of input " +
                $"{x.ShapeText}.", name);
        }
    }

    private static Tensor OutputFor(Graph graph, string operation, Tensor x, Tensor? output)
    {
        if (output is null)
        {
            return graph.NewTensor(x.Dims.ToArray());
        }
        if (!output.HasShape(x.Dims))
        {
            throw new ArgumentException(
                $"{operation}: output {output.ShapeText} does not match input {x.ShapeText}.", nameof(output));
        }
        return output;
    }
}
