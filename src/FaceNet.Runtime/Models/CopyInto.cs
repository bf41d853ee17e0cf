using FaceNet.Runtime.Autograd;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Runtime.Models;

/// <summary>Copies a result into a preallocated tensor, for layers whose last operation cannot write there directly.</summary>
internal static class CopyInto
{
    /// <summary><c>destination = source</c>; gradient: dsource += ddestination.</summary>
    public static Tensor Run(Graph graph, Tensor source, Tensor destination)
    {
        if (!destination.HasShape(source.Dims))
        {
            throw new ArgumentException(
                $"CopyInto: destination {destination.ShapeText} does not match source {source.ShapeText}.");
        }
        graph.Backend.Copy(source, destination);
        graph.Record("copy", destination, () =>
        {
            if (graph.NeedsGradient(source))
            {
                graph.Backend.AddScaled(graph.GradientOf(destination), 1f, graph.GradientOf(source));
            }
        }, source);
        return destination;
    }
}
