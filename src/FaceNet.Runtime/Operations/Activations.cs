using FaceNet.Runtime.Autograd;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Runtime.Operations;

/// <summary>Element-wise activations.</summary>
public static class Activations
{
    /// <summary><c>y = max(x, 0)</c>, any shape. Gradient: dy where y &gt; 0.</summary>
    /// <param name="graph">The graph that records the operation.</param>
    /// <param name="x">Input.</param>
    /// <param name="output">Preallocated output of x's shape, such as a channel slice of a concatenation; not x itself.</param>
    /// <exception cref="ArgumentException">The output shape differs from x's, or the output is x.</exception>
    public static Tensor Relu(Graph graph, Tensor x, Tensor? output = null)
    {
        if (output is not null && (!output.HasShape(x.Dims) || ReferenceEquals(output, x)))
        {
            throw new ArgumentException(
                $"Relu: output {output.ShapeText} must be a separate tensor of the input's shape {x.ShapeText}.",
                nameof(output));
        }
        Tensor y = output ?? graph.NewTensor(x.Dims.ToArray());
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
