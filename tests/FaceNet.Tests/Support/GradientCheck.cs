using FaceNet.Runtime.Autograd;
using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Cpu;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Tests.Support;

/// <summary>One input of an operation under test: its shape and values.</summary>
internal sealed record CheckInput(int[] Dims, float[] Values, bool NeedsGradient = true);

/// <summary>
/// Checks an operation against a double-precision reference. The forward output must match the reference;
/// the analytic input gradients of <c>L = sum(y * r)</c> for a fixed random r must match central finite
/// differences of the reference computed in double precision.
/// </summary>
internal static class GradientCheck
{
    /// <summary>Finite-difference step; the reference is double, so truncation error dominates and stays ~1e-9.</summary>
    private const double Step = 1e-4;

    /// <summary>Runs the check and asserts forward and gradient agreement within <c>abs + rel * |ref|</c>.</summary>
    /// <param name="name">Operation and case, used in failure messages.</param>
    /// <param name="inputs">Inputs, each uploaded to its own tensor.</param>
    /// <param name="operation">Builds the operation on the graph and returns its output.</param>
    /// <param name="reference">Computes the output from the inputs in double precision.</param>
    /// <param name="absoluteTolerance">Float32 kernels summing tens of terms stay within ~1e-4 here.</param>
    /// <param name="relativeTolerance">Relative part of the tolerance.</param>
    /// <param name="backend">Backend under test; the CPU backend when null.</param>
    /// <param name="seed">Seed of the upstream gradient r.</param>
    public static void Run(string name, IReadOnlyList<CheckInput> inputs, Func<Graph, Tensor[], Tensor> operation,
        Func<double[][], double[]> reference, double absoluteTolerance = 2e-4, double relativeTolerance = 2e-3,
        IBackend? backend = null, int seed = 1234)
    {
        backend ??= CpuBackend.Instance;
        double[][] x = inputs.Select(i => i.Values.Select(v => (double)v).ToArray()).ToArray();
        double[] expected = reference(x);

        using Graph graph = Graph.ForTraining(backend);
        Tensor[] tensors = new Tensor[inputs.Count];
        for (int i = 0; i < inputs.Count; i++)
        {
            tensors[i] = graph.FromHost(inputs[i].Values, inputs[i].Dims);
            tensors[i].RequiresGrad = inputs[i].NeedsGradient;
        }
        Tensor y = operation(graph, tensors);
        float[] actual = new float[y.Count];
        backend.Download(y, actual);
        Assert.True(expected.Length == actual.Length,
            $"{name}: output has {actual.Length} elements, reference {expected.Length}.");
        AssertClose($"{name} forward", expected, actual.Select(v => (double)v).ToArray(), absoluteTolerance,
            relativeTolerance);

        var random = new Random(seed);
        float[] upstream = Enumerable.Range(0, y.Count).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        Tensor seedTensor = graph.FromHost(upstream, y.Dims.ToArray());
        graph.Backward(y, seedTensor, keepTensors: true);

        for (int i = 0; i < inputs.Count; i++)
        {
            if (!inputs[i].NeedsGradient)
            {
                continue;
            }
            float[] analytic = new float[tensors[i].Count];
            backend.Download(graph.GradientOf(tensors[i]), analytic);
            double[] numeric = NumericGradient(reference, x, i, upstream);
            AssertClose($"{name} gradient of input {i}", numeric, analytic.Select(v => (double)v).ToArray(),
                absoluteTolerance, relativeTolerance);
        }
    }

    /// <summary>Central differences of <c>sum(reference(x) * upstream)</c> with respect to input <paramref name="index"/>.</summary>
    public static double[] NumericGradient(Func<double[][], double[]> reference, double[][] x, int index,
        float[] upstream)
    {
        double[] input = x[index];
        double[] gradient = new double[input.Length];
        for (int j = 0; j < input.Length; j++)
        {
            double saved = input[j];
            input[j] = saved + Step;
            double plus = Dot(reference(x), upstream);
            input[j] = saved - Step;
            double minus = Dot(reference(x), upstream);
            input[j] = saved;
            gradient[j] = (plus - minus) / (2 * Step);
        }
        return gradient;
    }

    /// <summary>Asserts element-wise closeness and names the worst element on failure.</summary>
    public static void AssertClose(string what, double[] expected, double[] actual, double abs, double rel)
    {
        Assert.Equal(expected.Length, actual.Length);
        int worst = -1;
        double worstExcess = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double allowed = abs + rel * Math.Abs(expected[i]);
            double excess = Math.Abs(expected[i] - actual[i]) - allowed;
            if (double.IsNaN(actual[i]) || excess > worstExcess)
            {
                worst = i;
                worstExcess = double.IsNaN(actual[i]) ? double.PositiveInfinity : excess;
            }
        }
        Assert.True(worst < 0,
            worst < 0 ? "" : $"{what}: element {worst} is {actual[worst]:G9}, expected {expected[worst]:G9} " +
            $"(tolerance {abs} + {rel} * |expected|).");
    }

    /// <summary>Uniform random values in [-scale, scale).</summary>
    public static float[] RandomValues(int count, int seed, float scale = 1f)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (float)((random.NextDouble() * 2 - 1) * scale)).ToArray();
    }

    private static double Dot(double[] a, float[] b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++)
        {
            s += a[i] * b[i];
        }
        return s;
    }
}
