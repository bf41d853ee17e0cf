using FaceNet.Runtime.Autograd;
using FaceNet.Runtime.Cpu;
using FaceNet.Runtime.Operations;
using FaceNet.Runtime.Tensors;
using FaceNet.Tests.Support;

namespace FaceNet.Tests.Operations;

public class ArithmeticTests
{
    /// <summary>Sums of a few float terms: rounding stays near 1e-6.</summary>
    private const double Absolute = 1e-4;

    /// <summary>Relative part; the scale gradient sums N * H * W products.</summary>
    private const double Relative = 1e-3;

    [Theory]
    [InlineData(1, 1, 1, 1)]
    [InlineData(2, 3, 4, 5)]
    public void Add_Shapes_MatchesReference(int n, int c, int h, int w)
    {
        int count = n * c * h * w;
        GradientCheck.Run($"Add {n}x{c}x{h}x{w}",
            [new CheckInput([n, c, h, w], GradientCheck.RandomValues(count, 81)),
             new CheckInput([n, c, h, w], GradientCheck.RandomValues(count, 82))],
            (g, t) => Arithmetic.Add(g, t[0], t[1]),
            r => r[0].Zip(r[1], (a, b) => a + b).ToArray(), Absolute, Relative);
    }

    [Fact]
    public void Add_SameTensorTwice_DoublesGradient()
    {
        GradientCheck.Run("Add x + x", [new CheckInput([2, 2, 3, 3], GradientCheck.RandomValues(36, 83))],
            (g, t) => Arithmetic.Add(g, t[0], t[0]),
            r => r[0].Select(v => 2 * v).ToArray(), Absolute, Relative);
    }

    [Fact]
    public void Add_DifferentShapes_NamesBoth()
    {
        using Graph graph = Graph.ForInference(CpuBackend.Instance);
        Tensor a = graph.NewZeroTensor(1, 2, 3, 3);
        Tensor b = graph.NewZeroTensor(1, 2, 4, 4);

        var error = Assert.Throws<ArgumentException>(() => Arithmetic.Add(graph, a, b));

        Assert.Contains("[1, 2, 3, 3]", error.Message);
        Assert.Contains("[1, 2, 4, 4]", error.Message);
    }

    [Theory]
    [InlineData(1, 1, 1, 1)]
    [InlineData(3, 4, 2, 5)]
    [InlineData(2, 5, 3, 3)]
    public void ScaleShift_Shapes_MatchesReference(int n, int c, int h, int w)
    {
        int count = n * c * h * w;
        int plane = h * w;
        GradientCheck.Run($"ScaleShift {n}x{c}x{h}x{w}",
            [new CheckInput([n, c, h, w], GradientCheck.RandomValues(count, 84)),
             new CheckInput([c], GradientCheck.RandomValues(c, 85, scale: 2f)),
             new CheckInput([c], GradientCheck.RandomValues(c, 86))],
            (g, t) => Arithmetic.ScaleShift(g, t[0], t[1], t[2]),
            r => r[0].Select((v, i) => v * r[1][i / plane % c] + r[2][i / plane % c]).ToArray(), Absolute, Relative);
    }

    [Fact]
    public void ScaleShift_ChannelSliceInput_MatchesReference()
    {
        GradientCheck.Run("ScaleShift of a channel slice",
            [new CheckInput([2, 4, 3, 3], GradientCheck.RandomValues(72, 87)),
             new CheckInput([2], GradientCheck.RandomValues(2, 88)),
             new CheckInput([2], GradientCheck.RandomValues(2, 89))],
            (g, t) =>
            {
                // A view made outside an operation needs its own flag so the gradient reaches its parent.
                Tensor slice = t[0].SliceChannels(1, 2);
                slice.RequiresGrad = true;
                return Arithmetic.ScaleShift(g, slice, t[1], t[2]);
            },
            r =>
            {
                var y = new double[2 * 2 * 9];
                for (int i = 0; i < y.Length; i++)
                {
                    int n = i / 18, c = i / 9 % 2, p = i % 9;
                    y[i] = r[0][(n * 4 + c + 1) * 9 + p] * r[1][c] + r[2][c];
                }
                return y;
            }, Absolute, Relative);
    }

    [Theory]
    [InlineData(2, 3, 5)]
    [InlineData(1, 4, 4)]
    public void PadChannels_Widths_MatchesReference(int n, int c, int channels)
    {
        const int plane = 6;
        GradientCheck.Run($"PadChannels {c} to {channels}",
            [new CheckInput([n, c, 2, 3], GradientCheck.RandomValues(n * c * plane, 90))],
            (g, t) => Arithmetic.PadChannels(g, t[0], channels),
            r =>
            {
                var y = new double[n * channels * plane];
                for (int i = 0; i < n * c * plane; i++)
                {
                    y[i / (c * plane) * channels * plane + i % (c * plane)] = r[0][i];
                }
                return y;
            }, Absolute, Relative);
    }
}
