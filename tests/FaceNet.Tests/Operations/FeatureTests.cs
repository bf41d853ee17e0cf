using FaceNet.Runtime.Autograd;
using FaceNet.Runtime.Cpu;
using FaceNet.Runtime.Operations;
using FaceNet.Runtime.Tensors;
using FaceNet.Tests.Support;

namespace FaceNet.Tests.Operations;

public class FeatureTests
{
    // ---- ReLU ---------------------------------------------------------------------------------

    [Theory]
    [InlineData(new[] { 2, 3, 3, 5 })]
    [InlineData(new[] { 1, 7 })]
    public void Relu_Case_MatchesReference(int[] dims)
    {
        // Keep every value at least 0.05 away from the kink at zero, where finite differences disagree.
        int count = dims.Aggregate(1, (a, b) => a * b);
        float[] x = GradientCheck.RandomValues(count, seed: 51).Select(v => v + MathF.CopySign(0.05f, v)).ToArray();
        GradientCheck.Run($"Relu {Tensor.Format(dims)}", [new CheckInput(dims, x)],
            (g, t) => Activations.Relu(g, t[0]),
            r => r[0].Select(v => Math.Max(v, 0)).ToArray());
    }

    [Fact]
    public void ReluForward_SameTensorInAndOut_RectifiesInPlace()
    {
        using Graph graph = Graph.ForInference(CpuBackend.Instance);
        Tensor x = graph.FromHost([-1, 2, -3, 4], 2, 2);

        CpuBackend.Instance.ReluForward(x, x);

        Assert.Equal(new[] { 0f, 2f, 0f, 4f }, PoolingTests.Download(x));
    }

    // ---- maxout -------------------------------------------------------------------------------

    [Theory]
    [InlineData(2, 4, 3)]
    [InlineData(1, 5, 2)]
    [InlineData(3, 2, 1)]
    public void Maxout_Case_MatchesReference(int n, int features, int groupSize)
    {
        float[] x = PoolingTests.DistinctValues(n * features * groupSize, seed: 52);
        GradientCheck.Run($"Maxout {n}x{features} groups of {groupSize}",
            [new CheckInput([n, features * groupSize], x)],
            (g, t) => Features.Maxout(g, t[0], groupSize),
            r => Enumerable.Range(0, n * features)
                .Select(i => r[0].Skip(i * groupSize).Take(groupSize).Max()).ToArray());
    }

    [Fact]
    public void Maxout_TiedGroup_GradientGoesToFirstMaximum()
    {
        using Graph graph = Graph.ForTraining(CpuBackend.Instance);
        Tensor x = graph.FromHost([1, 3, 3], 1, 3);
        x.RequiresGrad = true;

        Tensor y = Features.Maxout(graph, x, groupSize: 3);
        graph.Backward(y, graph.FromHost([2f], 1, 1), keepTensors: true);

        Assert.Equal(new[] { 0f, 2f, 0f }, PoolingTests.Download(graph.GradientOf(x)));
    }

    [Fact]
    public void Maxout_WidthNotMultipleOfGroup_Throws()
    {
        using Graph graph = Graph.ForInference(CpuBackend.Instance);
        Tensor x = graph.NewZeroTensor(2, 7);

        Assert.Throws<ArgumentException>(() => Features.Maxout(graph, x, groupSize: 2));
    }

    // ---- zero padding -------------------------------------------------------------------------

    [Theory]
    [InlineData(2, 3, 3, 4, 1, 2, 0, 3)]
    [InlineData(1, 1, 1, 1, 1, 1, 1, 1)]
    [InlineData(1, 2, 2, 3, 0, 0, 0, 0)]
    public void ZeroPad2d_Case_MatchesReference(int n, int c, int h, int w, int top, int bottom, int left, int right)
    {
        float[] x = GradientCheck.RandomValues(n * c * h * w, seed: 53);
        GradientCheck.Run($"ZeroPad2d {n}x{c}x{h}x{w} pads {top} {bottom} {left} {right}",
            [new CheckInput([n, c, h, w], x)],
            (g, t) => Features.ZeroPad2d(g, t[0], top, bottom, left, right),
            r => ReferencePad(r[0], n * c, h, w, top, bottom, left, right));
    }

    // ---- flatten ------------------------------------------------------------------------------

    [Fact]
    public void Flatten_FollowedByMaxout_GradientReachesInput()
    {
        float[] x = PoolingTests.DistinctValues(2 * 3 * 2 * 2, seed: 54);
        GradientCheck.Run("Flatten then Maxout", [new CheckInput([2, 3, 2, 2], x)],
            (g, t) => Features.Maxout(g, Features.Flatten(g, t[0]), groupSize: 4),
            r => Enumerable.Range(0, 6).Select(i => r[0].Skip(i * 4).Take(4).Max()).ToArray());
    }

    [Fact]
    public void Flatten_Contiguous_SharesStorage()
    {
        using Graph graph = Graph.ForInference(CpuBackend.Instance);
        Tensor x = graph.NewZeroTensor(2, 3, 2, 2);

        Tensor flat = Features.Flatten(graph, x);

        Assert.True(flat.HasShape([2, 12]), $"Flatten gave {flat.ShapeText}.");
        Assert.Same(x.Buffer, flat.Buffer);
    }

    [Fact]
    public void Flatten_ChannelSlice_Throws()
    {
        using Graph graph = Graph.ForInference(CpuBackend.Instance);
        Tensor x = graph.NewZeroTensor(2, 3, 2, 2);

        Assert.Throws<ArgumentException>(() => Features.Flatten(graph, x.SliceChannels(1, 2)));
    }

    // ---- L2 normalisation ---------------------------------------------------------------------

    [Theory]
    [InlineData(3, 5)]
    [InlineData(1, 1)]
    [InlineData(4, 128)]
    public void L2Normalize_Case_MatchesReference(int n, int features)
    {
        float[] x = GradientCheck.RandomValues(n * features, seed: 55);
        GradientCheck.Run($"L2Normalize {n}x{features}", [new CheckInput([n, features], x)],
            (g, t) => Features.L2Normalize(g, t[0]),
            r => ReferenceL2Normalize(r[0], n, features, Features.DefaultL2Epsilon));
    }

    [Fact]
    public void L2Normalize_RowBelowEpsilon_DividesByEpsilon()
    {
        // Row 0 has norm 0.25 < epsilon 0.5, so it is x / 0.5 with gradient dy / 0.5; row 1 is normalised.
        float[] x = [0.15f, -0.2f, 0f, 3f, 4f, -1f];
        GradientCheck.Run("L2Normalize clamped row", [new CheckInput([2, 3], x)],
            (g, t) => Features.L2Normalize(g, t[0], epsilon: 0.5f),
            r => ReferenceL2Normalize(r[0], 2, 3, 0.5f));
    }

    [Fact]
    public void L2Normalize_ZeroRow_GivesZerosWithoutNaN()
    {
        using Graph graph = Graph.ForTraining(CpuBackend.Instance);
        Tensor x = graph.FromHost([0, 0, 0], 1, 3);
        x.RequiresGrad = true;

        Tensor y = Features.L2Normalize(graph, x);
        float[] values = PoolingTests.Download(y);
        graph.Backward(y, graph.FromHost([1e-13f, 0f, 0f], 1, 3), keepTensors: true);
        float[] gradient = PoolingTests.Download(graph.GradientOf(x));

        Assert.Equal(new[] { 0f, 0f, 0f }, values);
        Assert.Equal(0.1, gradient[0], 1e-6);
        Assert.Equal(0f, gradient[1]);
    }

    // ---- strided views ------------------------------------------------------------------------

    [Fact]
    public void Relu_FeatureSlice_MatchesReference()
    {
        float[] x = GradientCheck.RandomValues(3 * 4, seed: 56).Select(v => v + MathF.CopySign(0.05f, v)).ToArray();
        GradientCheck.Run("Relu on a feature slice", [new CheckInput([3, 4], x)],
            (g, t) => Activations.Relu(g, StridedViews.ChannelSliceOf(g, t[0])),
            r => r[0].Select(v => Math.Max(v, 0)).ToArray());
    }

    [Fact]
    public void Maxout_FeatureSlice_MatchesReference()
    {
        float[] x = PoolingTests.DistinctValues(2 * 6, seed: 57);
        GradientCheck.Run("Maxout on a feature slice", [new CheckInput([2, 6], x)],
            (g, t) => Features.Maxout(g, StridedViews.ChannelSliceOf(g, t[0]), groupSize: 3),
            r => Enumerable.Range(0, 4).Select(i => r[0].Skip(i * 3).Take(3).Max()).ToArray());
    }

    [Fact]
    public void ZeroPad2d_ChannelSlice_MatchesReference()
    {
        float[] x = GradientCheck.RandomValues(2 * 3 * 2 * 2, seed: 58);
        GradientCheck.Run("ZeroPad2d on a channel slice", [new CheckInput([2, 3, 2, 2], x)],
            (g, t) => Features.ZeroPad2d(g, StridedViews.ChannelSliceOf(g, t[0]), 1, 0, 2, 1),
            r => ReferencePad(r[0], 6, 2, 2, 1, 0, 2, 1));
    }

    [Fact]
    public void L2Normalize_FeatureSlice_MatchesReference()
    {
        float[] x = GradientCheck.RandomValues(3 * 5, seed: 59);
        GradientCheck.Run("L2Normalize on a feature slice", [new CheckInput([3, 5], x)],
            (g, t) => Features.L2Normalize(g, StridedViews.ChannelSliceOf(g, t[0])),
            r => ReferenceL2Normalize(r[0], 3, 5, Features.DefaultL2Epsilon));
    }

    // ---- references ---------------------------------------------------------------------------

    private static double[] ReferencePad(double[] x, int planes, int h, int w, int top, int bottom, int left,
        int right)
    {
        int outH = h + top + bottom;
        int outW = w + left + right;
        double[] y = new double[planes * outH * outW];
        for (int p = 0; p < planes; p++)
        {
            for (int r = 0; r < h; r++)
            {
                for (int c = 0; c < w; c++)
                {
                    y[(p * outH + r + top) * outW + c + left] = x[(p * h + r) * w + c];
                }
            }
        }
        return y;
    }

    private static double[] ReferenceL2Normalize(double[] x, int n, int features, double epsilon)
    {
        double[] y = new double[x.Length];
        for (int row = 0; row < n; row++)
        {
            double squares = Enumerable.Range(0, features).Sum(i => x[row * features + i] * x[row * features + i]);
            double norm = Math.Sqrt(squares);
            for (int i = 0; i < features; i++)
            {
                y[row * features + i] = x[row * features + i] / Math.Max(norm, epsilon);
            }
        }
        return y;
    }
}
