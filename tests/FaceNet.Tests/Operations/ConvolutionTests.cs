using FaceNet.Runtime.Autograd;
using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Cpu;
using FaceNet.Runtime.Operations;
using FaceNet.Runtime.Tensors;
using FaceNet.Tests.Support;

namespace FaceNet.Tests.Operations;

public class ConvolutionTests
{
    /// <summary>
    /// Each output here sums at most 60 float terms below 1 in magnitude, so float32 rounding stays near 1e-5.
    /// The finite-difference reference adds about 1e-6 to the gradient comparison.
    /// </summary>
    private const double Absolute = 2e-4;

    /// <summary>Relative part, for outputs far from 0.</summary>
    private const double Relative = 2e-3;

    /// <summary>One convolution case: input (N, Cin, H, W), Cout, kernel, stride and padding per axis, bias.</summary>
    public sealed record Case(int N, int Cin, int H, int W, int Cout, int KernelH, int KernelW, int StrideH,
        int StrideW, int PadH, int PadW, bool Bias)
    {
        public int OutH => (H + 2 * PadH - KernelH) / StrideH + 1;

        public int OutW => (W + 2 * PadW - KernelW) / StrideW + 1;
    }

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (string provider in new[] { "managed", "openblas" })
        {
            foreach (string name in CaseTable.Keys)
            {
                data.Add(provider, name);
            }
        }
        return data;
    }

    private static readonly Dictionary<string, Case> CaseTable = new()
    {
        ["BatchOneOddInput"] = new(1, 3, 7, 5, 4, 3, 3, 1, 1, 1, 1, true),
        ["StrideTwoOddInput"] = new(2, 2, 7, 9, 3, 3, 3, 2, 2, 1, 1, true),
        ["StrideLargerThanKernel"] = new(2, 2, 8, 7, 3, 2, 2, 3, 3, 0, 0, true),
        ["WindowDoesNotTile"] = new(3, 2, 6, 7, 2, 3, 2, 2, 3, 0, 1, false),
        ["OneByOneSpatial"] = new(2, 3, 1, 1, 4, 1, 1, 1, 1, 0, 0, true),
        ["OneByOneSpatialPadded"] = new(2, 3, 1, 1, 2, 3, 3, 1, 1, 1, 1, true),
        ["Pointwise"] = new(3, 5, 4, 3, 6, 1, 1, 1, 1, 0, 0, true),
        ["PointwiseNoBias"] = new(5, 4, 3, 3, 2, 1, 1, 1, 1, 0, 0, false),
        ["PointwiseStrideTwo"] = new(2, 3, 5, 5, 2, 1, 1, 2, 2, 0, 0, true),
        ["RectangularKernel"] = new(2, 2, 5, 6, 3, 1, 3, 1, 2, 1, 0, true),
        ["NoBias"] = new(2, 3, 5, 5, 4, 3, 3, 1, 1, 1, 1, false),
        ["LargePadding"] = new(1, 2, 3, 3, 2, 3, 3, 2, 2, 2, 2, true),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Conv2d_Case_MatchesReference(string provider, string caseName)
    {
        Case c = CaseTable[caseName];
        GradientCheck.Run($"Conv2d {caseName} ({provider})", Inputs(c),
            (graph, t) => Convolution.Conv2d(graph, t[0], t[1], c.Bias ? t[2] : null, c.StrideH, c.StrideW, c.PadH,
                c.PadW),
            x => Reference(c, x), Absolute, Relative, GemmBackends.Get(provider));
    }

    [Theory]
    [InlineData("managed")]
    [InlineData("openblas")]
    public void Conv2d_OutputChannelSlice_MatchesReference(string provider)
    {
        var c = new Case(3, 2, 5, 6, 3, 3, 3, 1, 2, 1, 1, true);
        const int before = 2;
        const int after = 1;
        GradientCheck.Run($"Conv2d into channel slice ({provider})", Inputs(c),
            (graph, t) =>
            {
                Tensor concat = graph.NewZeroTensor(c.N, before + c.Cout + after, c.OutH, c.OutW);
                Tensor slice = concat.SliceChannels(before, c.Cout);
                return Convolution.Conv2d(graph, t[0], t[1], t[2], c.StrideH, c.StrideW, c.PadH, c.PadW, slice);
            },
            x => Reference(c, x), Absolute, Relative, GemmBackends.Get(provider));
    }

    [Theory]
    [InlineData("managed")]
    [InlineData("openblas")]
    public void Conv2d_OutputChannelSlice_LeavesOtherChannels(string provider)
    {
        CpuBackend backend = GemmBackends.Get(provider);
        var c = new Case(2, 2, 4, 4, 3, 3, 3, 1, 1, 1, 1, true);
        using Graph graph = Graph.ForInference(backend);
        Tensor x = graph.FromHost(GradientCheck.RandomValues(c.N * c.Cin * c.H * c.W, 1), c.N, c.Cin, c.H, c.W);
        Tensor w = graph.FromHost(GradientCheck.RandomValues(c.Cout * c.Cin * 9, 2), c.Cout, c.Cin, 3, 3);
        Tensor concat = graph.NewTensor(c.N, c.Cout + 2, c.OutH, c.OutW);
        backend.Fill(concat, 7f);

        Convolution.Conv2d(graph, x, w, null, 1, 1, output: concat.SliceChannels(1, c.Cout));

        float[] values = new float[concat.Count];
        backend.Download(concat, values);
        int plane = c.OutH * c.OutW;
        int sample = (c.Cout + 2) * plane;
        for (int n = 0; n < c.N; n++)
        {
            Assert.All(values.AsSpan(n * sample, plane).ToArray(), v => Assert.Equal(7f, v));
            Assert.All(values.AsSpan(n * sample + (c.Cout + 1) * plane, plane).ToArray(), v => Assert.Equal(7f, v));
        }
    }

    [Theory]
    [InlineData("managed")]
    [InlineData("openblas")]
    public void Conv2dForward_FusedRelu_MatchesReference(string provider)
    {
        CpuBackend backend = GemmBackends.Get(provider);
        var c = new Case(3, 3, 6, 5, 4, 3, 3, 2, 1, 1, 1, true);
        double[][] inputs = Inputs(c).Select(i => i.Values.Select(v => (double)v).ToArray()).ToArray();
        double[] expected = Reference(c, inputs).Select(v => Math.Max(v, 0)).ToArray();
        using Graph graph = Graph.ForInference(backend);
        List<CheckInput> host = Inputs(c);
        Tensor x = graph.FromHost(host[0].Values, host[0].Dims);
        Tensor w = graph.FromHost(host[1].Values, host[1].Dims);
        Tensor b = graph.FromHost(host[2].Values, host[2].Dims);
        Tensor y = graph.NewTensor(c.N, c.Cout, c.OutH, c.OutW);

        backend.Conv2dForward(Geometry(c), x, w, b, y, relu: true);

        float[] actual = new float[y.Count];
        backend.Download(y, actual);
        GradientCheck.AssertClose("Conv2dForward with ReLU", expected, actual.Select(v => (double)v).ToArray(),
            Absolute, Relative);
    }

    [Theory]
    [InlineData("managed")]
    [InlineData("openblas")]
    public void Conv2dForward_InputChannelSlice_MatchesContiguous(string provider)
    {
        CpuBackend backend = GemmBackends.Get(provider);
        var c = new Case(3, 2, 5, 5, 3, 3, 3, 1, 1, 1, 1, false);
        using Graph graph = Graph.ForInference(backend);
        float[] xValues = GradientCheck.RandomValues(c.N * c.Cin * c.H * c.W, 4);
        Tensor x = graph.FromHost(xValues, c.N, c.Cin, c.H, c.W);
        Tensor wide = graph.NewTensor(c.N, c.Cin + 3, c.H, c.W);
        backend.Fill(wide, 5f);
        Tensor xSlice = wide.SliceChannels(2, c.Cin);
        backend.Upload(xValues, xSlice);
        Tensor w = graph.FromHost(GradientCheck.RandomValues(c.Cout * c.Cin * 9, 5), c.Cout, c.Cin, 3, 3);

        Tensor fromContiguous = Convolution.Conv2d(graph, x, w, null, 1, 1);
        Tensor fromSlice = Convolution.Conv2d(graph, xSlice, w, null, 1, 1);

        float[] expected = new float[fromContiguous.Count];
        float[] actual = new float[fromSlice.Count];
        backend.Download(fromContiguous, expected);
        backend.Download(fromSlice, actual);
        Assert.Equal(expected, actual);
    }

    [Theory]
    [InlineData("managed")]
    [InlineData("openblas")]
    public void Conv2dBackward_ExistingGradients_AddsInto(string provider)
    {
        CpuBackend backend = GemmBackends.Get(provider);
        var c = new Case(3, 2, 5, 4, 3, 3, 3, 2, 1, 1, 1, true);
        Conv2dGeometry geometry = Geometry(c);
        using Graph graph = Graph.ForInference(backend);
        Tensor x = graph.FromHost(GradientCheck.RandomValues(c.N * c.Cin * c.H * c.W, 1), c.N, c.Cin, c.H, c.W);
        Tensor w = graph.FromHost(GradientCheck.RandomValues(c.Cout * c.Cin * 9, 2), c.Cout, c.Cin, 3, 3);
        Tensor dy = graph.FromHost(GradientCheck.RandomValues(c.N * c.Cout * c.OutH * c.OutW, 3),
            c.N, c.Cout, c.OutH, c.OutW);

        float[] dxOnce = BackwardData(backend, graph, geometry, dy, w, x.Dims.ToArray(), passes: 1);
        float[] dxTwice = BackwardData(backend, graph, geometry, dy, w, x.Dims.ToArray(), passes: 2);
        (float[] dwOnce, float[] dbOnce) = BackwardFilter(backend, graph, geometry, x, dy, w.Dims.ToArray(), 1);
        (float[] dwTwice, float[] dbTwice) = BackwardFilter(backend, graph, geometry, x, dy, w.Dims.ToArray(), 2);

        // The second pass adds its terms one by one onto the first pass's sums, so the order of float
        // additions differs from 2 * (first pass) by a rounding or two of values below 10.
        const double tolerance = 1e-5;
        GradientCheck.AssertClose("dx after two passes", Doubled(dxOnce), ToDouble(dxTwice), tolerance, tolerance);
        GradientCheck.AssertClose("dWeight after two passes", Doubled(dwOnce), ToDouble(dwTwice), tolerance, tolerance);
        GradientCheck.AssertClose("dBias after two passes", Doubled(dbOnce), ToDouble(dbTwice), tolerance, tolerance);
    }

    [Fact]
    public void Conv2d_ChannelMismatch_ThrowsWithBothShapes()
    {
        using Graph graph = Graph.ForInference(CpuBackend.Instance);
        Tensor x = graph.NewZeroTensor(1, 3, 5, 5);
        Tensor w = graph.NewZeroTensor(4, 2, 3, 3);

        var error = Assert.Throws<ArgumentException>(() => Convolution.Conv2d(graph, x, w, null, 1, 1));

        Assert.Contains("Conv2d", error.Message);
        Assert.Contains("[1, 3, 5, 5]", error.Message);
        Assert.Contains("[4, 2, 3, 3]", error.Message);
    }

    [Fact]
    public void Conv2d_KernelLargerThanPaddedInput_Throws()
    {
        using Graph graph = Graph.ForInference(CpuBackend.Instance);
        Tensor x = graph.NewZeroTensor(1, 1, 2, 2);
        Tensor w = graph.NewZeroTensor(1, 1, 5, 5);

        var error = Assert.Throws<ArgumentException>(() => Convolution.Conv2d(graph, x, w, null, 1, 0));

        Assert.Contains("larger than the padded input", error.Message);
    }

    [Fact]
    public void Conv2d_WrongOutputShape_Throws()
    {
        using Graph graph = Graph.ForInference(CpuBackend.Instance);
        Tensor x = graph.NewZeroTensor(2, 1, 4, 4);
        Tensor w = graph.NewZeroTensor(3, 1, 3, 3);
        Tensor output = graph.NewZeroTensor(2, 3, 4, 4);

        var error = Assert.Throws<ArgumentException>(() => Convolution.Conv2d(graph, x, w, null, 1, 0, output));

        Assert.Contains("[2, 3, 2, 2]", error.Message);
    }

    private static double[] Doubled(float[] values) => values.Select(v => 2.0 * v).ToArray();

    private static double[] ToDouble(float[] values) => values.Select(v => (double)v).ToArray();

    private static float[] BackwardData(CpuBackend backend, Graph graph, Conv2dGeometry geometry, Tensor dy,
        Tensor w, int[] dxDims, int passes)
    {
        Tensor dx = graph.NewZeroTensor(dxDims);
        for (int i = 0; i < passes; i++)
        {
            backend.Conv2dBackwardData(geometry, dy, w, dx);
        }
        float[] values = new float[dx.Count];
        backend.Download(dx, values);
        return values;
    }

    private static (float[] Weight, float[] Bias) BackwardFilter(CpuBackend backend, Graph graph,
        Conv2dGeometry geometry, Tensor x, Tensor dy, int[] wDims, int passes)
    {
        Tensor dw = graph.NewZeroTensor(wDims);
        Tensor db = graph.NewZeroTensor(wDims[0]);
        for (int i = 0; i < passes; i++)
        {
            backend.Conv2dBackwardFilter(geometry, x, dy, dw, db);
        }
        float[] weight = new float[dw.Count];
        float[] bias = new float[db.Count];
        backend.Download(dw, weight);
        backend.Download(db, bias);
        return (weight, bias);
    }

    private static Conv2dGeometry Geometry(Case c) =>
        new(c.N, c.Cin, c.H, c.W, c.Cout, c.KernelH, c.KernelW, c.StrideH, c.StrideW, c.PadH, c.PadW);

    private static List<CheckInput> Inputs(Case c)
    {
        var inputs = new List<CheckInput>
        {
            new([c.N, c.Cin, c.H, c.W], GradientCheck.RandomValues(c.N * c.Cin * c.H * c.W, 21)),
            new([c.Cout, c.Cin, c.KernelH, c.KernelW],
                GradientCheck.RandomValues(c.Cout * c.Cin * c.KernelH * c.KernelW, 22, 0.5f)),
        };
        if (c.Bias)
        {
            inputs.Add(new([c.Cout], GradientCheck.RandomValues(c.Cout, 23)));
        }
        return inputs;
    }

    /// <summary>Direct cross-correlation in double: x, weight and, when present, bias.</summary>
    private static double[] Reference(Case c, double[][] inputs)
    {
        double[] x = inputs[0];
        double[] w = inputs[1];
        double[]? b = c.Bias ? inputs[2] : null;
        double[] y = new double[c.N * c.Cout * c.OutH * c.OutW];
        int index = 0;
        for (int n = 0; n < c.N; n++)
        {
            for (int co = 0; co < c.Cout; co++)
            {
                for (int oh = 0; oh < c.OutH; oh++)
                {
                    for (int ow = 0; ow < c.OutW; ow++)
                    {
                        double sum = b is null ? 0 : b[co];
                        for (int ci = 0; ci < c.Cin; ci++)
                        {
                            for (int kh = 0; kh < c.KernelH; kh++)
                            {
                                int ih = oh * c.StrideH - c.PadH + kh;
                                if (ih < 0 || ih >= c.H)
                                {
                                    continue;
                                }
                                for (int kw = 0; kw < c.KernelW; kw++)
                                {
                                    int iw = ow * c.StrideW - c.PadW + kw;
                                    if (iw < 0 || iw >= c.W)
                                    {
                                        continue;
                                    }
                                    sum += w[((co * c.Cin + ci) * c.KernelH + kh) * c.KernelW + kw] *
                                        x[((n * c.Cin + ci) * c.H + ih) * c.W + iw];
                                }
                            }
                        }
                        y[index++] = sum;
                    }
                }
            }
        }
        return y;
    }
}
