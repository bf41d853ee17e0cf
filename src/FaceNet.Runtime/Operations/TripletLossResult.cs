using FaceNet.Runtime.Autograd;
using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Runtime.Operations;

/// <summary>
/// Output of a triplet-loss evaluation: the statistics and the gradient of the loss with respect to the
/// embeddings. The loss ends the graph, so <see cref="Gradient"/> is the seed of the backward pass.
/// </summary>
/// <param name="Graph">The graph that produced <see cref="Embeddings"/> and owns <see cref="Gradient"/>.</param>
/// <param name="Embeddings">The embeddings the loss was computed on, (N, D).</param>
/// <param name="Gradient">d(loss)/d(embeddings) times the gradient scale, same shape; released with the graph.</param>
/// <param name="Stats">Loss, counts and mean distances.</param>
public sealed record TripletLossResult(Graph Graph, Tensor Embeddings, Tensor Gradient, TripletStats Stats)
{
    /// <summary>The mean hinge loss over the triplets used; 0 when there were none.</summary>
    public float Loss => Stats.Loss;

    /// <summary>
    /// Runs <c>Graph.Backward(Embeddings, Gradient)</c>, which adds into every parameter's gradient and then
    /// releases the graph's tensors, <see cref="Gradient"/> included.
    /// </summary>
    public void Backward() => Graph.Backward(Embeddings, Gradient);
}
