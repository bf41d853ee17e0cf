using FaceNet.Runtime.Autograd;
using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Operations;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Runtime.Models;

/// <summary>
/// Channel counts, strides and pooling of one inception block. A zero count leaves that branch out.
/// </summary>
/// <param name="Out1x1">Channels of the 1x1 branch; 0 for none.</param>
/// <param name="Reduce3x3">Channels of the 1x1 reduction before the 3x3 convolution; 0 for no 3x3 branch.</param>
/// <param name="Out3x3">Channels of the 3x3 convolution.</param>
/// <param name="Reduce5x5">Channels of the 1x1 reduction before the 5x5 convolution; 0 for no 5x5 branch.</param>
/// <param name="Out5x5">Channels of the 5x5 convolution.</param>
/// <param name="Pool">Kind of the pooling branch.</param>
/// <param name="PoolProjection">Channels of the 1x1 convolution after the pool; 0 passes the pool output through.</param>
/// <param name="Stride">Stride of the 3x3 and 5x5 convolutions (2 halves the block's output size).</param>
/// <param name="PoolKernel">Pooling window.</param>
/// <param name="PoolStride">Pooling stride.</param>
/// <param name="PoolPadding">Pooling padding.</param>
public sealed record InceptionSpec(
    int Out1x1, int Reduce3x3, int Out3x3, int Reduce5x5, int Out5x5,
    PoolKind Pool, int PoolProjection, int Stride = 1,
    int PoolKernel = 3, int PoolStride = 1, int PoolPadding = 1);

/// <summary>
/// An inception block: parallel branches (reduce then 3x3, reduce then 5x5, pool with an optional 1x1
/// projection, 1x1) on the same input, concatenated along channels in that order. A branch whose output
/// is smaller than the block's (the strided pool branches of OpenFace nn4.small2) is zero-padded back to
/// the block's size, with <c>floor(difference / 2)</c> rows and columns before it and the rest after it.
/// </summary>
public sealed class InceptionBlock : Module
{
    private readonly Module[] _branches;

    /// <summary>Creates the block.</summary>
    /// <param name="name">Local name.</param>
    /// <param name="inChannels">Input channels.</param>
    /// <param name="spec">Branch sizes, strides and pooling.</param>
    /// <param name="conv">Bias, batch normalisation and ReLU of every convolution.</param>
    public InceptionBlock(string name, int inChannels, InceptionSpec spec, ConvOptions conv)
        : base(name)
    {
        InChannels = inChannels;
        Spec = spec;
        var branches = new List<Module>();
        if (spec.Reduce3x3 > 0)
        {
            branches.Add(new Sequential("branch3x3",
                new ConvBlock("reduce", inChannels, spec.Reduce3x3, 1, options: conv),
                new ConvBlock("conv", spec.Reduce3x3, spec.Out3x3, 3, spec.Stride, options: conv)));
        }
        if (spec.Reduce5x5 > 0)
        {
            branches.Add(new Sequential("branch5x5",
                new ConvBlock("reduce", inChannels, spec.Reduce5x5, 1, options: conv),
                new ConvBlock("conv", spec.Reduce5x5, spec.Out5x5, 5, spec.Stride, options: conv)));
        }
        var pool = new PoolLayer("pool", spec.Pool, spec.PoolKernel, spec.PoolStride, spec.PoolPadding);
        branches.Add(spec.PoolProjection > 0
            ? new Sequential("branchpool", pool, new ConvBlock("proj", inChannels, spec.PoolProjection, 1, options: conv))
            : new Sequential("branchpool", pool));
        if (spec.Out1x1 > 0)
        {
            branches.Add(new ConvBlock("branch1x1", inChannels, spec.Out1x1, 1, options: conv));
        }
        _branches = branches.ToArray();
    }

    /// <summary>Input channels.</summary>
    public int InChannels { get; }

    /// <summary>Branch sizes, strides and pooling.</summary>
    public InceptionSpec Spec { get; }

    /// <summary>The branches in concatenation order.</summary>
    public override IReadOnlyList<Module> Children => _branches;

    /// <inheritdoc />
    public override string Kind => Spec.Stride == 1 ? "inception" : $"inception /{Spec.Stride}";

    /// <inheritdoc />
    public override FeatureShape OutputShape(FeatureShape input)
    {
        if (input.IsFlat || input.Channels != InChannels)
        {
            throw ShapeError(input, $"{InChannels} channels");
        }
        int channels = 0;
        int height = 0;
        int width = 0;
        foreach (Module branch in _branches)
        {
            FeatureShape shape = branch.OutputShape(input);
            channels += shape.Channels;
            height = Math.Max(height, shape.Height);
            width = Math.Max(width, shape.Width);
        }
        return new FeatureShape(channels, height, width);
    }

    /// <inheritdoc />
    protected override void DescribeChildren(FeatureShape input, int depth, List<LayerRow> rows)
    {
        foreach (Module branch in _branches)
        {
            branch.Describe(input, depth, rows);
        }
    }

    /// <summary>
    /// Runs every branch into its channel slice of one preallocated output, so no concatenation copy is
    /// needed. A branch that comes out smaller than the block is zero-padded and then copied into its slice.
    /// </summary>
    public override Tensor Forward(Graph graph, Tensor x)
    {
        FeatureShape input = ShapeOf(x);
        FeatureShape output = OutputShape(input);
        var branchShapes = _branches.Select(b => b.OutputShape(input)).ToArray();
        ChannelConcat concat = Concat.Allocate(graph, x.N, branchShapes.Select(s => s.Channels).ToArray(),
            output.Height, output.Width);
        for (int i = 0; i < _branches.Length; i++)
        {
            int padH = output.Height - branchShapes[i].Height;
            int padW = output.Width - branchShapes[i].Width;
            if (padH == 0 && padW == 0)
            {
                _branches[i].Forward(graph, x, concat[i]);
                continue;
            }
            Tensor small = _branches[i].Forward(graph, x);
            Tensor padded = Features.ZeroPad2d(graph, small, padH / 2, padH - padH / 2, padW / 2, padW - padW / 2);
            CopyInto.Run(graph, padded, concat[i]);
        }
        return concat.Finish();
    }
}
