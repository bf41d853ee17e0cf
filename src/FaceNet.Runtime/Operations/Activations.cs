using FaceNet.Runtime.Autograd;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Runtime.Operations;

/// <summary>Element-wise activations.</summary>
public static class Activations
{
    /// <summary><c>y = max(x, 0)</c>, any shape. Gradient: dy where y &gt; 0.</summary>
    public static Tensor Relu(Graph graph, Tensor x)
    {
        Tensor y = graph.NewTensor(x.Dims.ToArray());
        graph.Backend.ReluForward(x, y);
        graph.Record("relu", y, () =>
        {
            if (graph.NeedsGradient(x))
            {
                graph.Backend.ReluBackward(y, graph.GradientOf(y), graph.GradientOf(x));
            }
        }, x);
        return y;
    }
}
