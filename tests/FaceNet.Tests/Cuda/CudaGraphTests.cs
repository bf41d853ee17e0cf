using FaceNet.Kernels;
using FaceNet.Runtime.Autograd;
using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Cpu;
using FaceNet.Runtime.Operations;
using FaceNet.Runtime.Tensors;
using FaceNet.Tests.Support;

namespace FaceNet.Tests.Cuda;

/// <summary>Runs a small network through autograd on the CPU backend and on the emulated CUDA backend.</summary>
public sealed class CudaGraphTests(EmulatedBackendFixture fixture) : IClassFixture<EmulatedBackendFixture>
{
    /// <summary>
    /// Convolution sums of 27 products, pooling and an L2 normalisation that divides by the row norm, then the
    /// same steps backwards: each stage adds the reduction error of the parity tests.
    /// </summary>
    private const double AbsoluteTolerance = 2e-4;

    private const double RelativeTolerance = 2e-4;

    [Fact]
    public void ConvReluPoolNormalize_ForwardAndGradients_MatchCpu()
    {
        (float[] output, float[][] gradients) expected = Run(CpuBackend.Instance);
        (float[] output, float[][] gradients) actual = Run(fixture.Backend);

        GradientCheck.AssertClose("embedding", ToDouble(expected.output), ToDouble(actual.output),
            AbsoluteTolerance, RelativeTolerance);
        string[] names = ["input", "weight", "bias"];
        for (int i = 0; i < names.Length; i++)
        {
            GradientCheck.AssertClose($"gradient of the {names[i]}", ToDouble(expected.gradients[i]),
                ToDouble(actual.gradients[i]), AbsoluteTolerance, RelativeTolerance);
        }
    }

    /// <summary>conv 3x3 (3 to 8 channels) + ReLU, max pool 3x3/2 in ceil mode, flatten, L2 normalisation.</summary>
    private static (float[] Output, float[][] Gradients) Run(IBackend backend)
    {
        using Graph graph = Graph.ForTraining(backend);
        Tensor x = graph.FromHost(GradientCheck.RandomValues(2 * 3 * 9 * 9, seed: 1), 2, 3, 9, 9);
        Tensor weight = graph.FromHost(GradientCheck.RandomValues(8 * 3 * 3 * 3, seed: 2, scale: 0.3f), 8, 3, 3, 3);
        Tensor bias = graph.FromHost(GradientCheck.RandomValues(8, seed: 3, scale: 0.1f), 8);
        x.RequiresGrad = true;
        weight.RequiresGrad = true;
        bias.RequiresGrad = true;

        Tensor y = Convolution.Conv2d(graph, x, weight, bias, stride: 1, padding: 1);
        y = Activations.Relu(graph, y);
        y = Pooling.MaxPool2d(graph, y, 3, 2, 0, true);
        y = Features.Flatten(graph, y);
        y = Features.L2Normalize(graph, y);

        float[] output = new float[y.Count];
        backend.Download(y, output);
        Tensor seed = graph.FromHost(GradientCheck.RandomValues(y.Count, seed: 4), y.Dims.ToArray());
        graph.Backward(y, seed, keepTensors: true);

        float[][] gradients = new float[3][];
        Tensor[] inputs = [x, weight, bias];
        for (int i = 0; i < inputs.Length; i++)
        {
            gradients[i] = new float[inputs[i].Count];
            backend.Download(graph.GradientOf(inputs[i]), gradients[i]);
        }
        return (output, gradients);
    }

    private static double[] ToDouble(float[] values) => values.Select(v => (double)v).ToArray();
}
