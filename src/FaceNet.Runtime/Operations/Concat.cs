using FaceNet.Runtime.Autograd;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Runtime.Operations;

/// <summary>
/// Channel concatenation, by copying (<see cref="Channels"/>) or in place (<see cref="Allocate"/>), where each
/// branch writes its result straight into its channel slice of the output.
/// </summary>
public static class Concat
{
    /// <summary>
    /// Copies the parts, in order, into a new tensor along the channel (or feature) axis. Gradient: each part
    /// receives its channel slice of dy.
    /// </summary>
    /// <param name="graph">The graph that records the operation.</param>
    /// <param name="parts">Tensors that agree in rank and in every dimension but the channels: all (N, Ci, H, W)
    /// or all (N, Fi).</param>
    /// <returns>(N, sum of Ci, H, W) or (N, sum of Fi).</returns>
    /// <exception cref="ArgumentException">No parts are given, or a part's rank or other dimensions differ.</exception>
    public static Tensor Channels(Graph graph, params Tensor[] parts)
    {
        const string operation = "Concat.Channels";
        if (parts.Length == 0)
        {
            throw new ArgumentException($"{operation}: at least one part is needed.", nameof(parts));
        }
        Tensor first = parts[0];
        if (first.Rank != 4 && first.Rank != 2)
        {
            throw new ArgumentException(
                $"{operation}: parts must be (N, C, H, W) or (N, F), part 0 is {first.ShapeText}.", nameof(parts));
        }
        int channels = 0;
        for (int i = 0; i < parts.Length; i++)
        {
            Tensor part = parts[i];
            if (part.Rank != first.Rank || part.N != first.N || part.H != first.H || part.W != first.W)
            {
                throw new ArgumentException(
                    $"{operation}: part {i} {part.ShapeText} does not match part 0 {first.ShapeText} outside the " +
                    "channel axis.", nameof(parts));
            }
            channels += part.C;
        }

        int[] dims = first.Dims.ToArray();
        dims[1] = channels;
        Tensor y = graph.NewTensor(dims);
        int start = 0;
        foreach (Tensor part in parts)
        {
            graph.Backend.Copy(part, y.SliceChannels(start, part.C));
            start += part.C;
        }

        Tensor[] saved = (Tensor[])parts.Clone();
        graph.Record(operation, y, () =>
        {
            Tensor dy = graph.GradientOf(y);
            int offset = 0;
            foreach (Tensor part in saved)
            {
                if (graph.NeedsGradient(part))
                {
                    graph.Backend.AddScaled(dy.SliceChannels(offset, part.C), 1f, graph.GradientOf(part));
                }
                offset += part.C;
            }
        }, saved);
        return y;
    }

    /// <summary>
    /// Allocates an (N, sum of channels, H, W) output and one channel-slice view per part, for branches that
    /// write into their slice through an operation's <c>output:</c> argument. Call
    /// <see cref="ChannelConcat.Finish"/> after every branch has written.
    /// </summary>
    /// <exception cref="ArgumentException">A size is not positive or no parts are given.</exception>
    public static ChannelConcat Allocate(Graph graph, int n, int[] channelsPerPart, int h, int w)
    {
        if (channelsPerPart.Length == 0)
        {
            throw new ArgumentException("Concat.Allocate: at least one part is needed.", nameof(channelsPerPart));
        }
        if (n < 1 || h < 1 || w < 1 || channelsPerPart.Any(c => c < 1))
        {
            throw new ArgumentException(
                $"Concat.Allocate: sizes must be positive, got N {n}, channels " +
                $"{Tensor.Format(channelsPerPart)}, H {h}, W {w}.");
        }

        Tensor output = graph.NewTensor(n, channelsPerPart.Sum(), h, w);
        var slices = new Tensor[channelsPerPart.Length];
        int start = 0;
        for (int i = 0; i < slices.Length; i++)
        {
            slices[i] = graph.Adopt(output.SliceChannels(start, channelsPerPart[i]));
            start += channelsPerPart[i];
        }
        return new ChannelConcat(output, slices);
    }
}
