using FaceNet.Runtime.Autograd;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Runtime.Operations;

/// <summary>Element-wise arithmetic on tensors of equal shape.</summary>
public static class Arithmetic
{
    /// <summary><c>y = a + b</c>. Gradient: dy to both inputs.</summary>
    /// <exception cref="ArgumentException">The shapes differ.</exception>
    public static Tensor Add(Graph graph, Tensor a, Tensor b)
    {
        if (!a.HasShape(b.Dims))
        {
            throw new ArgumentException($"Add: shapes {a.ShapeText} and {b.ShapeText} differ.", nameof(b));
        }
        Tensor y = graph.NewTensor(a.Dims.ToArray());
        graph.Backend.Copy(a, y);
        graph.Backend.AddScaled(b, 1f, y);
        graph.Record("add", y, () =>
        {
            Tensor dy = graph.GradientOf(y);
            if (graph.NeedsGradient(a))
            {
                graph.Backend.AddScaled(dy, 1f, graph.GradientOf(a));
            }
            if (graph.NeedsGradient(b))
            {
                graph.Backend.AddScaled(dy, 1f, graph.GradientOf(b));
            }
        }, a, b);
        return y;
    }
}
