using FaceNet.Runtime.Autograd;
using FaceNet.Runtime.Cpu;
using FaceNet.Runtime.Operations;
using FaceNet.Runtime.Tensors;
using FaceNet.Tests.Support;

namespace FaceNet.Tests.Operations;

public class LinearTests
{
    /// <summary>At most 48 float terms below 1 in magnitude per output, so float32 rounding stays near 1e-6.</summary>
    private const double Absolute = 2e-4;

    /// <summary>Relative part, for outputs far from 0.</summary>
    private const double Relative = 2e-3;

    [Theory]
    [InlineData("managed", 3, 7, 5, true)]
    [InlineData("managed", 1, 9, 1, true)]
    [InlineData("managed", 4, 6, 3, false)]
    [InlineData("openblas", 3, 7, 5, true)]
    [InlineData("openblas", 1, 9, 1, true)]
    [InlineData("openblas", 4, 6, 3, false)]
    public void FullyConnected_Matrix_MatchesReference(string provider, int n, int features, int outputs, bool bias)
    {
        var inputs = new List<CheckInput>
        {
            new([n, features], GradientCheck.RandomValues(n * features, 31)),
            new([outputs, features], GradientCheck.RandomValues(outputs * features, 32, 0.5f)),
        };
        if (bias)
        {
            inputs.Add(new([outputs], GradientCheck.RandomValues(outputs, 33)));
        }
        GradientCheck.Run($"FullyConnected {n}x{features}->{outputs} ({provider})", inputs,
            (graph, t) => Linear.FullyConnected(graph, t[0], t[1], bias ? t[2] : null),
            x => Reference(x, n, features, outputs), Absolute, Relative, GemmBackends.Get(provider));
    }

    [Theory]
    [InlineData("managed")]
    [InlineData("openblas")]
    public void FullyConnected_Rank4Input_MatchesReference(string provider)
    {
        const int n = 2;
        const int features = 3 * 2 * 2;
        const int outputs = 4;
        var inputs = new List<CheckInput>
        {
            new([n, 3, 2, 2], GradientCheck.RandomValues(n * features, 41)),
            new([outputs, features], GradientCheck.RandomValues(outputs * features, 42, 0.5f)),
            new([outputs], GradientCheck.RandomValues(outputs, 43)),
        };
        GradientCheck.Run($"FullyConnected rank 4 ({provider})", inputs,
            (graph, t) => Linear.FullyConnected(graph, t[0], t[1], t[2]),
            x => Reference(x, n, features, outputs), Absolute, Relative, GemmBackends.Get(provider));
    }

    [Fact]
    public void FullyConnected_FeatureMismatch_ThrowsWithBothShapes()
    {
        using Graph graph = Graph.ForInference(CpuBackend.Instance);
        Tensor x = graph.NewZeroTensor(2, 5);
        Tensor w = graph.NewZeroTensor(3, 4);

        var error = Assert.Throws<ArgumentException>(() => Linear.FullyConnected(graph, x, w, null));

        Assert.Contains("FullyConnected", error.Message);
        Assert.Contains("[2, 5]", error.Message);
        Assert.Contains("[3, 4]", error.Message);
    }

    /// <summary><c>y = x * w^T + b</c> in double; the bias is the optional third input.</summary>
    private static double[] Reference(double[][] inputs, int n, int features, int outputs)
    {
        double[] x = inputs[0];
        double[] w = inputs[1];
        double[] y = new double[n * outputs];
        for (int i = 0; i < n; i++)
        {
            for (int o = 0; o < outputs; o++)
            {
                double sum = inputs.Length > 2 ? inputs[2][o] : 0;
                for (int f = 0; f < features; f++)
                {
                    sum += x[i * features + f] * w[o * features + f];
                }
                y[i * outputs + o] = sum;
            }
        }
        return y;
    }
}
