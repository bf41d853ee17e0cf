using FaceNet.Runtime.Autograd;
using FaceNet.Runtime.Operations;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Tests.Operations;

/// <summary>Builders of batch-strided views, so that tests feed kernels tensors with offsets and gaps.</summary>
internal static class StridedViews
{
    /// <summary>
    /// Copies x between two zero blocks of two channels (or features) each and returns x's channel slice of
    /// the result. Gradients reach x through the slice's view of the wide gradient and the concat backward.
    /// </summary>
    public static Tensor ChannelSliceOf(Graph graph, Tensor x)
    {
        int[] fillerDims = x.Dims.ToArray();
        fillerDims[1] = 2;
        Tensor filler = graph.NewZeroTensor(fillerDims);
        Tensor wide = Concat.Channels(graph, filler, x, filler);
        Tensor slice = graph.Adopt(wide.SliceChannels(2, x.C));
        slice.RequiresGrad = wide.RequiresGrad;
        return slice;
    }
}
