using FaceNet.Runtime.Autograd;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Runtime.Operations;

/// <summary>Spatial crops of NCHW tensors.</summary>
public static class Cropping
{
    /// <summary>
    /// The window of x (N, C, H, W) starting at (<paramref name="top"/>, <paramref name="left"/>) of size
    /// <paramref name="height"/> x <paramref name="width"/>, copied. Gradient: dy placed back at the window,
    /// zero elsewhere. It is the inverse of <see cref="Features.ZeroPad2d(Graph, Tensor, int, int, int, int, Tensor?)"/>
    /// and runs on the same two kernels.
    /// </summary>
    /// <exception cref="ArgumentException">x is not rank 4 or the window leaves it.</exception>
    public static Tensor Crop2d(Graph graph, Tensor x, int top, int left, int height, int width)
    {
        const string operation = "Crop2d";
        if (x.Rank != 4)
        {
            throw new ArgumentException($"{operation}: input must be NCHW (rank 4), got {x.ShapeText}.", nameof(x));
        }
        if (top < 0 || left < 0 || height < 1 || width < 1 || top + height > x.H || left + width > x.W)
        {
            throw new ArgumentException(
                $"{operation}: window at ({top}, {left}) of {height}x{width} does not fit input {x.ShapeText}.");
        }
        Tensor y = graph.NewTensor(x.N, x.C, height, width);

        // ZeroPad2dBackward adds the (top, left) window of its first argument into its second.
        graph.Backend.Fill(y, 0f);
        graph.Backend.ZeroPad2dBackward(x, y, top, left);
        graph.Record(operation, y, () =>
        {
            if (graph.NeedsGradient(x))
            {
                Tensor padded = graph.NewTensor(x.Dims.ToArray());
                graph.Backend.ZeroPad2dForward(graph.GradientOf(y), padded, top, left);
                graph.Backend.AddScaled(padded, 1f, graph.GradientOf(x));
            }
        }, x);
        return y;
    }
}
