using FaceNet.Runtime.Autograd;
using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Runtime.Operations;

/// <summary>
/// Triplet loss on L2-normalised embeddings with squared L2 distances:
/// <c>L = mean over triplets of max(||a - p||^2 - ||a - n||^2 + alpha, 0)</c>.
/// </summary>
/// <remarks>
/// The loss is the last node of the graph, so these operations record nothing on the tape. They compute
/// the gradient with respect to the embeddings directly and return it; passing it to
/// <see cref="Graph.Backward"/> (or calling <see cref="TripletLossResult.Backward"/>) runs the rest of the
/// backward pass.
/// </remarks>
public static class TripletLoss
{
    /// <summary>The margin used by the FaceNet paper.</summary>
    public const float DefaultMargin = 0.2f;

    /// <summary>
    /// Online triplet mining inside the batch fused with the loss. Every ordered anchor-positive pair of equal
    /// labels (label &gt;= 0) is used; the negative comes from the rows with another label, chosen by
    /// <paramref name="policy"/>. Rows labelled below 0 are extra negatives: never anchors or positives.
    /// </summary>
    /// <param name="graph">The graph that produced <paramref name="embeddings"/>; owns the returned gradient.</param>
    /// <param name="embeddings">(N, D) embeddings, normally the L2-normalised model output.</param>
    /// <param name="labels">Identity of each row; N values, negative for extra negatives.</param>
    /// <param name="margin">alpha, at least 0.</param>
    /// <param name="policy">What to do with a pair that has no semi-hard negative.</param>
    /// <param name="gradientScale">Factor on the gradient, for example to weight this loss against another.</param>
    /// <exception cref="ArgumentException">Labels do not match the rows, the margin is negative or not finite,
    /// or the embeddings live on another backend.</exception>
    public static TripletLossResult SemiHard(Graph graph, Tensor embeddings, ReadOnlySpan<int> labels,
        float margin = DefaultMargin, NegativePolicy policy = NegativePolicy.SemiHardOrSkip,
        float gradientScale = 1f)
    {
        CheckCommon("TripletLoss.SemiHard", graph, embeddings, margin, gradientScale);
        if (labels.Length != embeddings.N)
        {
            throw new ArgumentException(
                $"TripletLoss.SemiHard: {labels.Length} labels for embeddings {embeddings.ShapeText}; " +
                "pass one label per row.", nameof(labels));
        }
        Tensor gradient = graph.NewTensor(embeddings.Dims.ToArray());
        TripletStats stats = graph.Backend.TripletSemiHard(embeddings, labels, margin, policy, gradient, gradientScale);
        return new TripletLossResult(graph, embeddings, gradient, stats);
    }

    /// <summary>
    /// Computes the loss on triplets chosen by the caller. Triplet t is (anchors[t], positives[t],
    /// negatives[t]), indices into the rows of <paramref name="embeddings"/>, and the mean is over all of them.
    /// </summary>
    /// <returns>The loss and gradient. The kernel reports no distances, so the mean distances are 0, Pairs
    /// equals Triplets, and ActiveTriplets is an upper bound.</returns>
    /// <exception cref="ArgumentException">Index spans differ in length, the margin is negative or not finite,
    /// or the embeddings live on another backend.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An index is outside the rows.</exception>
    public static TripletLossResult OnTriplets(Graph graph, Tensor embeddings, ReadOnlySpan<int> anchors,
        ReadOnlySpan<int> positives, ReadOnlySpan<int> negatives, float margin = DefaultMargin,
        float gradientScale = 1f)
    {
        CheckCommon("TripletLoss.OnTriplets", graph, embeddings, margin, gradientScale);
        Tensor gradient = graph.NewTensor(embeddings.Dims.ToArray());
        float loss = graph.Backend.TripletLoss(embeddings, anchors, positives, negatives, margin, gradient,
            gradientScale);

        // NOTE: the kernel returns only the mean loss, which cannot tell how many hinges were positive. So
        // ActiveTriplets is an upper bound here: every triplet when the loss is positive, else 0.
        int count = anchors.Length;
        var stats = new TripletStats(loss, count, count, loss > 0f ? count : 0, 0f, 0f, 0f);
        return new TripletLossResult(graph, embeddings, gradient, stats);
    }

    private static void CheckCommon(string operation, Graph graph, Tensor embeddings, float margin,
        float gradientScale)
    {
        if (!ReferenceEquals(embeddings.Backend, graph.Backend))
        {
            throw new ArgumentException(
                $"{operation}: embeddings live on the {embeddings.Backend.Name} backend but the graph runs on " +
                $"{graph.Backend.Name}; compute them on the graph's backend.", nameof(embeddings));
        }
        if (embeddings.Rank < 2)
        {
            throw new ArgumentException(
                $"{operation}: embeddings must be (N, D), got {embeddings.ShapeText}.", nameof(embeddings));
        }
        if (!float.IsFinite(margin) || margin < 0f)
        {
            throw new ArgumentException($"{operation}: margin {margin} must be finite and at least 0.", nameof(margin));
        }
        if (!float.IsFinite(gradientScale))
        {
            throw new ArgumentException($"{operation}: gradient scale {gradientScale} must be finite.",
                nameof(gradientScale));
        }
    }
}
