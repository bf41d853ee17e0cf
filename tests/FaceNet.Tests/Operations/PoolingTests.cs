using FaceNet.Runtime.Autograd;
using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Cpu;
using FaceNet.Runtime.Operations;
using FaceNet.Runtime.Tensors;
using FaceNet.Tests.Support;

namespace FaceNet.Tests.Operations;

public class PoolingTests
{
    /// <summary>One pooling case: input shape, square window, stride, padding and ceil mode.</summary>
    public sealed record PoolCase(int N, int C, int H, int W, int Kernel, int Stride, int Pad, bool Ceil)
    {
        public override string ToString() => $"{N}x{C}x{H}x{W} k{Kernel} s{Stride} p{Pad}{(Ceil ? " ceil" : "")}";
    }

    public static TheoryData<PoolCase> Cases => new()
    {
        new PoolCase(2, 3, 7, 5, 3, 2, 1, false),  // odd sizes with padding
        new PoolCase(1, 2, 6, 8, 3, 2, 0, true),   // ceil mode adds a clipped last window
        new PoolCase(2, 2, 6, 6, 3, 2, 1, true),   // ceil mode whose last window runs past the padding
        new PoolCase(1, 2, 8, 7, 2, 3, 0, false),  // stride larger than the kernel skips cells
        new PoolCase(2, 1, 5, 4, 3, 3, 0, false),  // windows that do not tile the input
        new PoolCase(1, 4, 1, 1, 1, 1, 0, false),  // 1x1 spatial, batch 1
        new PoolCase(1, 3, 3, 3, 3, 1, 1, false),  // same-size output as in inception average branches
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void MaxPool2d_Case_MatchesReference(PoolCase p)
    {
        float[] x = DistinctValues(p.N * p.C * p.H * p.W, seed: 11);
        GradientCheck.Run($"MaxPool2d {p}", [new CheckInput([p.N, p.C, p.H, p.W], x)],
            (g, t) => Pooling.MaxPool2d(g, t[0], p.Kernel, p.Stride, p.Pad, p.Ceil),
            r => ReferencePool(PoolKind.Max, r[0], p));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void AvgPool2d_Case_MatchesReference(PoolCase p)
    {
        float[] x = GradientCheck.RandomValues(p.N * p.C * p.H * p.W, seed: 12);
        GradientCheck.Run($"AvgPool2d {p}", [new CheckInput([p.N, p.C, p.H, p.W], x)],
            (g, t) => Pooling.AvgPool2d(g, t[0], p.Kernel, p.Stride, p.Pad, p.Ceil),
            r => ReferencePool(PoolKind.Average, r[0], p));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void L2Pool2d_Case_MatchesReference(PoolCase p)
    {
        float[] x = GradientCheck.RandomValues(p.N * p.C * p.H * p.W, seed: 13);
        GradientCheck.Run($"L2Pool2d {p}", [new CheckInput([p.N, p.C, p.H, p.W], x)],
            (g, t) => Pooling.L2Pool2d(g, t[0], p.Kernel, p.Stride, p.Pad, p.Ceil),
            r => ReferencePool(PoolKind.L2, r[0], p));
    }

    [Fact]
    public void AvgPool2d_CeilWindowPastPadding_DividesByPaddedExtent()
    {
        // Width 6, window 3, stride 2, padding 1, ceil mode: the last window covers input column 5, one padded
        // column and one column beyond the padding, so it divides by 2 (PyTorch 1.13 gives 1, 3, 5, 3).
        using Graph graph = Graph.ForInference(CpuBackend.Instance);
        Tensor x = graph.FromHost([1, 2, 3, 4, 5, 6], 1, 1, 1, 6);

        Tensor y = Pooling.Pool2d(graph, PoolKind.Average, x, 1, 3, 1, 2, 0, 1, ceilMode: true);

        Assert.Equal(new[] { 1f, 3f, 5f, 3f }, Download(y));
    }

    [Fact]
    public void MaxPool2d_NegativeInputWithPadding_PaddingNeverWins()
    {
        using Graph graph = Graph.ForInference(CpuBackend.Instance);
        Tensor x = graph.FromHost([-4, -3, -2, -1], 1, 1, 2, 2);

        Tensor y = Pooling.MaxPool2d(graph, x, kernel: 2, stride: 1, padding: 1);

        Assert.Equal(new[] { -4f, -3f, -3f, -2f, -1f, -1f, -2f, -1f, -1f }, Download(y));
    }

    [Fact]
    public void MaxPool2d_TiedWindow_GradientGoesToFirstMaximum()
    {
        using Graph graph = Graph.ForTraining(CpuBackend.Instance);
        Tensor x = graph.FromHost([0, 5, 5, 1], 1, 1, 2, 2);
        x.RequiresGrad = true;

        Tensor y = Pooling.MaxPool2d(graph, x, kernel: 2, stride: 2);
        graph.Backward(y, graph.FromHost([1f], 1, 1, 1, 1), keepTensors: true);

        Assert.Equal(new[] { 0f, 1f, 0f, 0f }, Download(graph.GradientOf(x)));
    }

    [Fact]
    public void L2Pool2d_ZeroWindow_GradientIsZero()
    {
        using Graph graph = Graph.ForTraining(CpuBackend.Instance);
        Tensor x = graph.FromHost([0, 0, 0, 0, 3, 4, 0, 0], 1, 2, 2, 2);
        x.RequiresGrad = true;

        Tensor y = Pooling.L2Pool2d(graph, x, kernel: 2, stride: 2);
        graph.Backward(y, graph.FromHost([1f, 1f], 1, 2, 1, 1), keepTensors: true);

        Assert.Equal(new[] { 0f, 5f }, Download(y));
        Assert.Equal(new[] { 0f, 0f, 0f, 0f, 0.6f, 0.8f, 0f, 0f }, Download(graph.GradientOf(x)));
    }

    [Theory]
    [InlineData(PoolKind.Max)]
    [InlineData(PoolKind.Average)]
    [InlineData(PoolKind.L2)]
    public void Pool2d_StridedInputAndOutputViews_MatchesReference(PoolKind kind)
    {
        // The input is a channel slice of a wider tensor and the output a channel slice of an in-place
        // concatenation, so both kernels must honour offsets and batch strides.
        var p = new PoolCase(2, 3, 5, 5, 3, 2, 1, false);
        float[] x = DistinctValues(p.N * p.C * p.H * p.W, seed: 14);
        GradientCheck.Run($"Pool2d {kind} on views", [new CheckInput([p.N, p.C, p.H, p.W], x)],
            (g, t) =>
            {
                Tensor slice = StridedViews.ChannelSliceOf(g, t[0]);
                ChannelConcat concat = Concat.Allocate(g, p.N, [1, p.C, 2], 3, 3);
                Tensor y = Pooling.Pool2d(g, kind, slice, 3, 3, 2, 2, 1, 1, output: concat[1]);
                concat.Finish();
                return y;
            },
            r => ReferencePool(kind, r[0], p));
    }

    [Theory]
    [InlineData(PoolKind.Max)]
    [InlineData(PoolKind.Average)]
    [InlineData(PoolKind.L2)]
    public void Pool2d_LargeBatch_MatchesPerSampleRuns(PoolKind kind)
    {
        // A batch of two is large enough for the kernels to split planes over threads; one sample alone runs
        // on the calling thread. Both must give the same numbers.
        var whole = new Pool2dGeometry(2, 8, 32, 32, 3, 3, 2, 2, 1, 1);
        float[] x = DistinctValues(2 * 8 * 32 * 32, seed: 15);
        float[] dy = GradientCheck.RandomValues(2 * 8 * 16 * 16, seed: 16);

        (float[] y, float[] dx) = RunPoolKernels(kind, whole, x, dy);
        var single = whole with { N = 1 };
        for (int n = 0; n < 2; n++)
        {
            float[] xSample = x.AsSpan(n * x.Length / 2, x.Length / 2).ToArray();
            float[] dySample = dy.AsSpan(n * dy.Length / 2, dy.Length / 2).ToArray();
            (float[] ySample, float[] dxSample) = RunPoolKernels(kind, single, xSample, dySample);

            Assert.Equal(ySample, y.AsSpan(n * y.Length / 2, y.Length / 2).ToArray());
            Assert.Equal(dxSample, dx.AsSpan(n * dx.Length / 2, dx.Length / 2).ToArray());
        }
    }

    [Fact]
    public void MaxPool2d_PaddingNotBelowKernel_Throws()
    {
        using Graph graph = Graph.ForInference(CpuBackend.Instance);
        Tensor x = graph.NewZeroTensor(1, 1, 4, 4);

        Assert.Throws<ArgumentException>(() => Pooling.MaxPool2d(graph, x, kernel: 2, stride: 1, padding: 2));
    }

    [Fact]
    public void MaxPool2d_WrongOutputShape_Throws()
    {
        using Graph graph = Graph.ForInference(CpuBackend.Instance);
        Tensor x = graph.NewZeroTensor(1, 2, 4, 4);
        Tensor output = graph.NewTensor(1, 2, 3, 3);

        Assert.Throws<ArgumentException>(() => Pooling.MaxPool2d(graph, x, kernel: 2, stride: 2, output: output));
    }

    private static (float[] Y, float[] Dx) RunPoolKernels(PoolKind kind, Pool2dGeometry g, float[] x, float[] dy)
    {
        CpuBackend backend = CpuBackend.Instance;
        using Graph graph = Graph.ForInference(backend);
        Tensor xt = graph.FromHost(x, g.N, g.Channels, g.H, g.W);
        Tensor yt = graph.NewTensor(g.N, g.Channels, g.OutH, g.OutW);
        Tensor dyt = graph.FromHost(dy, g.N, g.Channels, g.OutH, g.OutW);
        Tensor dxt = graph.NewZeroTensor(g.N, g.Channels, g.H, g.W);

        backend.Pool2dForward(kind, g, xt, yt);
        backend.Pool2dBackward(kind, g, xt, yt, dyt, dxt);

        return (Download(yt), Download(dxt));
    }

    /// <summary>Pooling in double, with Torch's ceil-mode rule and average divisor written out independently.</summary>
    internal static double[] ReferencePool(PoolKind kind, double[] x, PoolCase p)
    {
        int outH = OutSize(p.H, p);
        int outW = OutSize(p.W, p);
        double[] y = new double[p.N * p.C * outH * outW];
        int index = 0;
        for (int plane = 0; plane < p.N * p.C; plane++)
        {
            for (int oh = 0; oh < outH; oh++)
            {
                for (int ow = 0; ow < outW; ow++)
                {
                    int top = oh * p.Stride - p.Pad;
                    int left = ow * p.Stride - p.Pad;
                    int cellsH = Math.Min(top + p.Kernel, p.H + p.Pad) - top;
                    int cellsW = Math.Min(left + p.Kernel, p.W + p.Pad) - left;
                    double max = double.NegativeInfinity;
                    double sum = 0;
                    double squares = 0;
                    for (int h = Math.Max(top, 0); h < Math.Min(top + p.Kernel, p.H); h++)
                    {
                        for (int w = Math.Max(left, 0); w < Math.Min(left + p.Kernel, p.W); w++)
                        {
                            double v = x[(plane * p.H + h) * p.W + w];
                            max = Math.Max(max, v);
                            sum += v;
                            squares += v * v;
                        }
                    }
                    y[index++] = kind switch
                    {
                        PoolKind.Max => max,
                        PoolKind.Average => sum / (cellsH * cellsW),
                        _ => Math.Sqrt(squares),
                    };
                }
            }
        }
        return y;
    }

    private static int OutSize(int size, PoolCase p)
    {
        double exact = (double)(size + 2 * p.Pad - p.Kernel) / p.Stride;
        int outSize = (int)(p.Ceil ? Math.Ceiling(exact) : Math.Floor(exact)) + 1;
        if (p.Ceil && (outSize - 1) * p.Stride >= size + p.Pad)
        {
            outSize--;
        }
        return outSize;
    }

    /// <summary>
    /// A shuffled ramp in [-1, 1): no two values are closer than 2 / count, far more than the finite-difference
    /// step, so no window has a tie that the perturbation could flip.
    /// </summary>
    internal static float[] DistinctValues(int count, int seed)
    {
        var random = new Random(seed);
        float[] values = Enumerable.Range(0, count).Select(i => -1f + 2f * i / count).ToArray();
        random.Shuffle(values);
        return values;
    }

    internal static float[] Download(Tensor t)
    {
        float[] values = new float[t.Count];
        t.Backend.Download(t, values);
        return values;
    }
}
