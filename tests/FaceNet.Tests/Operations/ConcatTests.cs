using FaceNet.Runtime.Autograd;
using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Cpu;
using FaceNet.Runtime.Operations;
using FaceNet.Runtime.Tensors;
using FaceNet.Tests.Support;

namespace FaceNet.Tests.Operations;

public class ConcatTests
{
    [Fact]
    public void Channels_ThreeNchwParts_MatchesReference()
    {
        GradientCheck.Run("Concat.Channels NCHW",
            [
                new CheckInput([2, 1, 2, 3], GradientCheck.RandomValues(12, seed: 61)),
                new CheckInput([2, 3, 2, 3], GradientCheck.RandomValues(36, seed: 62)),
                new CheckInput([2, 2, 2, 3], GradientCheck.RandomValues(24, seed: 63)),
            ],
            (g, t) => Concat.Channels(g, t),
            r => ReferenceConcat(r, [1, 3, 2], n: 2, plane: 6));
    }

    [Fact]
    public void Channels_FeatureRows_MatchesReference()
    {
        GradientCheck.Run("Concat.Channels (N, F)",
            [
                new CheckInput([3, 2], GradientCheck.RandomValues(6, seed: 64)),
                new CheckInput([3, 4], GradientCheck.RandomValues(12, seed: 65), NeedsGradient: false),
            ],
            (g, t) => Concat.Channels(g, t),
            r => ReferenceConcat(r, [2, 4], n: 3, plane: 1));
    }

    [Fact]
    public void Channels_SameTensorTwice_AccumulatesGradient()
    {
        float[] x = GradientCheck.RandomValues(2 * 2 * 3 * 1, seed: 66);
        GradientCheck.Run("Concat.Channels fan-out", [new CheckInput([2, 2, 3, 1], x)],
            (g, t) => Concat.Channels(g, t[0], t[0]),
            r => ReferenceConcat([r[0], r[0]], [2, 2], n: 2, plane: 3));
    }

    [Fact]
    public void Channels_MismatchedSpatialSize_Throws()
    {
        using Graph graph = Graph.ForInference(CpuBackend.Instance);
        Tensor a = graph.NewZeroTensor(1, 2, 3, 3);
        Tensor b = graph.NewZeroTensor(1, 2, 3, 4);

        Assert.Throws<ArgumentException>(() => Concat.Channels(graph, a, b));
    }

    [Fact]
    public void Allocate_BranchesWriteSlices_GradientsReachEveryBranch()
    {
        // An inception-like block: x fans out to a max-pool branch and an average-pool branch, and z goes
        // through LRN; all three write into their slices of one output, which a later operation consumes.
        // Gradients reach x and z only through the slices' views of the output's gradient.
        const int n = 2, h = 3, w = 3;
        var lrn = new LrnParameters(3, 1f, 0.75f, 1f);
        float[] x = PoolingTests.DistinctValues(n * 2 * h * w, seed: 67);
        float[] z = GradientCheck.RandomValues(n * 3 * h * w, seed: 68);
        GradientCheck.Run("Concat.Allocate inception-like block",
            [new CheckInput([n, 2, h, w], x), new CheckInput([n, 3, h, w], z)],
            (g, t) =>
            {
                ChannelConcat concat = Concat.Allocate(g, n, [2, 2, 3], h, w);
                Pooling.MaxPool2d(g, t[0], kernel: 3, stride: 1, padding: 1, output: concat[0]);
                Pooling.AvgPool2d(g, t[0], kernel: 3, stride: 1, padding: 1, output: concat[1]);
                Normalization.Lrn(g, t[1], lrn, output: concat[2]);
                Tensor output = concat.Finish();
                return Pooling.L2Pool2d(g, output, kernel: 2, stride: 1);
            },
            r =>
            {
                var same = new PoolingTests.PoolCase(n, 2, h, w, 3, 1, 1, false);
                double[] max = PoolingTests.ReferencePool(PoolKind.Max, r[0], same);
                double[] average = PoolingTests.ReferencePool(PoolKind.Average, r[0], same);
                double[] normalised = NormalizationTests.ReferenceLrn(r[1], n, 3, h * w, lrn);
                double[] joined = ReferenceConcat([max, average, normalised], [2, 2, 3], n, h * w);
                var l2 = new PoolingTests.PoolCase(n, 7, h, w, 2, 1, 0, false);
                return PoolingTests.ReferencePool(PoolKind.L2, joined, l2);
            });
    }

    [Fact]
    public void Allocate_PaddedPoolBranch_MatchesReference()
    {
        // A pool branch that comes out smaller than the block is zero-padded back to the block's size straight
        // into its slice, next to a branch that keeps the size.
        float[] x = PoolingTests.DistinctValues(2 * 2 * 4 * 4, seed: 69);
        GradientCheck.Run("Concat.Allocate padded pool branch", [new CheckInput([2, 2, 4, 4], x)],
            (g, t) =>
            {
                ChannelConcat concat = Concat.Allocate(g, 2, [2, 2], 4, 4);
                Pooling.MaxPool2d(g, t[0], kernel: 3, stride: 1, padding: 1, output: concat[0]);
                Tensor pooled = Pooling.L2Pool2d(g, t[0], kernel: 3, stride: 3);
                Features.ZeroPad2d(g, pooled, 1, 2, 1, 2, output: concat[1]);
                return concat.Finish();
            },
            r =>
            {
                double[] max = PoolingTests.ReferencePool(PoolKind.Max, r[0],
                    new PoolingTests.PoolCase(2, 2, 4, 4, 3, 1, 1, false));
                double[] l2 = PoolingTests.ReferencePool(PoolKind.L2, r[0],
                    new PoolingTests.PoolCase(2, 2, 4, 4, 3, 3, 0, false));
                double[] padded = new double[2 * 2 * 16];
                for (int plane = 0; plane < 4; plane++)
                {
                    padded[plane * 16 + 5] = l2[plane];
                }
                return ReferenceConcat([max, padded], [2, 2], n: 2, plane: 16);
            });
    }

    [Fact]
    public void Finish_SliceNeedsGradient_MarksOutput()
    {
        using Graph graph = Graph.ForTraining(CpuBackend.Instance);
        Tensor x = graph.NewZeroTensor(1, 2, 2, 2);
        x.RequiresGrad = true;
        ChannelConcat concat = Concat.Allocate(graph, 1, [2, 2], 2, 2);

        Pooling.MaxPool2d(graph, x, kernel: 1, stride: 1, output: concat[1]);
        Tensor output = concat.Finish();

        Assert.True(output.RequiresGrad, "The output must need a gradient when a branch input does.");
    }

    [Fact]
    public void Finish_NoSliceNeedsGradient_LeavesOutputUnmarked()
    {
        using Graph graph = Graph.ForTraining(CpuBackend.Instance);
        Tensor x = graph.NewZeroTensor(1, 2, 2, 2);
        ChannelConcat concat = Concat.Allocate(graph, 1, [2, 2], 2, 2);

        Pooling.MaxPool2d(graph, x, kernel: 1, stride: 1, output: concat[0]);
        Pooling.AvgPool2d(graph, x, kernel: 1, stride: 1, output: concat[1]);
        Tensor output = concat.Finish();

        Assert.False(output.RequiresGrad, "No branch input needs a gradient, so neither does the output.");
    }

    [Fact]
    public void Allocate_Slices_CoverOutputChannelsInOrder()
    {
        using Graph graph = Graph.ForInference(CpuBackend.Instance);

        ChannelConcat concat = Concat.Allocate(graph, 2, [1, 3], 2, 2);

        Assert.True(concat.Output.HasShape([2, 4, 2, 2]), $"Output is {concat.Output.ShapeText}.");
        Assert.Equal(concat.Output.Offset + 4, concat[1].Offset);
        Assert.Equal(concat.Output.BatchStride, concat[1].BatchStride);
    }

    private static double[] ReferenceConcat(double[][] parts, int[] channels, int n, int plane)
    {
        int total = channels.Sum();
        double[] y = new double[n * total * plane];
        for (int b = 0; b < n; b++)
        {
            int start = 0;
            for (int i = 0; i < parts.Length; i++)
            {
                Array.Copy(parts[i], b * channels[i] * plane, y, (b * total + start) * plane, channels[i] * plane);
                start += channels[i];
            }
        }
        return y;
    }
}
