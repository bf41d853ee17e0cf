using FaceNet.Runtime.Autograd;
using FaceNet.Runtime.Operations;
using FaceNet.Runtime.Tensors;
using FaceNet.Tests.Support;

namespace FaceNet.Tests.Operations;

public class DepthwiseConvolutionTests
{
    /// <summary>Each output sums at most 25 float terms below 1 in magnitude, so float32 rounding stays near 1e-6.</summary>
    private const double Absolute = 1e-4;

    /// <summary>Relative part, for outputs far from 0.</summary>
    private const double Relative = 1e-3;

    /// <summary>One case: input (N, C, H, W), kernel, stride and padding per axis, bias.</summary>
    public sealed record Case(int N, int C, int H, int W, int KernelH, int KernelW, int StrideH, int StrideW, int PadH,
        int PadW, bool Bias)
    {
        public int OutH => (H + 2 * PadH - KernelH) / StrideH + 1;

        public int OutW => (W + 2 * PadW - KernelW) / StrideW + 1;
    }

    private static readonly Dictionary<string, Case> CaseTable = new()
    {
        ["ThreeByThreeSame"] = new(2, 3, 5, 6, 3, 3, 1, 1, 1, 1, true),
        ["StrideTwoOddInput"] = new(2, 4, 7, 9, 3, 3, 2, 2, 1, 1, true),
        ["StrideTwoNoPadding"] = new(1, 2, 8, 7, 3, 3, 2, 2, 0, 0, false),
        ["BatchOneSingleChannel"] = new(1, 1, 4, 4, 3, 3, 1, 1, 0, 0, true),
        ["RectangularKernel"] = new(3, 2, 5, 6, 1, 3, 1, 2, 0, 1, true),
        ["OneByOneSpatialPadded"] = new(2, 3, 1, 1, 3, 3, 1, 1, 1, 1, false),
        ["FiveByFiveStrideTwo"] = new(1, 3, 9, 8, 5, 5, 2, 2, 2, 2, true),
    };

    public static TheoryData<string> Cases() => new(CaseTable.Keys);

    [Theory]
    [MemberData(nameof(Cases))]
    public void DepthwiseConv2d_Case_MatchesReference(string caseName)
    {
        Case c = CaseTable[caseName];
        GradientCheck.Run($"DepthwiseConv2d {caseName}", Inputs(c),
            (graph, t) => DepthwiseConvolution.Conv2d(graph, t[0], t[1], c.Bias ? t[2] : null, c.StrideH, c.StrideW,
                c.PadH, c.PadW),
            x => Reference(c, x), Absolute, Relative);
    }

    [Fact]
    public void DepthwiseConv2d_ChannelSliceInput_MatchesReference()
    {
        var c = new Case(2, 3, 5, 5, 3, 3, 2, 2, 1, 1, true);
        List<CheckInput> inputs = Inputs(c);
        int plane = c.H * c.W;
        inputs[0] = new CheckInput([c.N, c.C + 2, c.H, c.W], GradientCheck.RandomValues(c.N * (c.C + 2) * plane, 74));
        GradientCheck.Run("DepthwiseConv2d of a channel slice", inputs,
            (graph, t) =>
            {
                Tensor slice = t[0].SliceChannels(1, c.C);
                slice.RequiresGrad = true;
                return DepthwiseConvolution.Conv2d(graph, slice, t[1], t[2], 2, 1);
            },
            x =>
            {
                var sliced = new double[c.N * c.C * plane];
                for (int i = 0; i < sliced.Length; i++)
                {
                    int n = i / (c.C * plane);
                    sliced[i] = x[0][(n * (c.C + 2) + 1) * plane + i % (c.C * plane)];
                }
                return Reference(c, [sliced, x[1], x[2]]);
            }, Absolute, Relative);
    }

    [Fact]
    public void DepthwiseConv2d_WeightForOtherChannels_Throws()
    {
        using Graph graph = Graph.ForInference(FaceNet.Runtime.Cpu.CpuBackend.Instance);
        Tensor x = graph.NewZeroTensor(1, 3, 4, 4);
        Tensor w = graph.NewZeroTensor(4, 1, 3, 3);

        var error = Assert.Throws<ArgumentException>(() => DepthwiseConvolution.Conv2d(graph, x, w, null));

        Assert.Contains("[1, 3, 4, 4]", error.Message);
        Assert.Contains("[4, 1, 3, 3]", error.Message);
    }

    [Theory]
    [InlineData(150, 3, 2, 0, 1)]
    [InlineData(75, 3, 2, 1, 1)]
    [InlineData(8, 3, 1, 1, 1)]
    [InlineData(4, 1, 2, 0, 0)]
    [InlineData(5, 7, 2, 3, 3)]
    public void TensorFlowSame_Sizes_PadsBottomRightMore(int size, int kernel, int stride, int before, int after)
    {
        (int actualBefore, int actualAfter) = TensorFlowPadding.Same(size, kernel, stride);

        Assert.Equal(before, actualBefore);
        Assert.Equal(after, actualAfter);
    }

    private static List<CheckInput> Inputs(Case c) =>
    [
        new([c.N, c.C, c.H, c.W], GradientCheck.RandomValues(c.N * c.C * c.H * c.W, seed: 71)),
        new([c.C, 1, c.KernelH, c.KernelW], GradientCheck.RandomValues(c.C * c.KernelH * c.KernelW, seed: 72)),
        new([c.C], GradientCheck.RandomValues(c.C, seed: 73)),
    ];

    private static double[] Reference(Case c, double[][] inputs)
    {
        double[] x = inputs[0], w = inputs[1], b = inputs[2];
        var y = new double[c.N * c.C * c.OutH * c.OutW];
        for (int n = 0; n < c.N; n++)
        {
            for (int ch = 0; ch < c.C; ch++)
            {
                for (int oh = 0; oh < c.OutH; oh++)
                {
                    for (int ow = 0; ow < c.OutW; ow++)
                    {
                        double sum = c.Bias ? b[ch] : 0;
                        for (int kh = 0; kh < c.KernelH; kh++)
                        {
                            for (int kw = 0; kw < c.KernelW; kw++)
                            {
                                int h = oh * c.StrideH - c.PadH + kh;
                                int col = ow * c.StrideW - c.PadW + kw;
                                if (h >= 0 && h < c.H && col >= 0 && col < c.W)
                                {
                                    sum += w[(ch * c.KernelH + kh) * c.KernelW + kw] *
                                        x[((n * c.C + ch) * c.H + h) * c.W + col];
                                }
                            }
                        }
                        y[((n * c.C + ch) * c.OutH + oh) * c.OutW + ow] = sum;
                    }
                }
            }
        }
        return y;
    }
}
