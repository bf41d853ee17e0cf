using FaceNet.Runtime.Autograd;
using FaceNet.Runtime.Cpu;
using FaceNet.Runtime.Export;
using FaceNet.Runtime.Models;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Tensor = FaceNet.Runtime.Tensors.Tensor;

namespace FaceNet.Tests.Export;

/// <summary>Runs exported models in ONNX Runtime and compares the embeddings with the engine's.</summary>
public class OnnxExportTests
{
    // Embeddings are unit vectors with components around 0.1. Both runtimes sum the same products in
    // float32 in a different order over about 20 layers, which moves a component by a few 1e-6.
    private const float EmbeddingTolerance = 1e-4f;

    [Fact]
    public void Nn4Small2_RandomWeights_MatchesOnnxRuntime()
    {
        var (ours, theirs) = RunBoth("nn4-small2", batch: 3, seed: 11);

        Assert.Equal(ours.Length, theirs.Length);
        AssertClose(ours, theirs);
    }

    // nns2 covers maxout (Reshape and ReduceMax) and L2 pooling with padding.
    [Fact]
    public void Nns2_RandomWeights_MatchesOnnxRuntime()
    {
        var (ours, theirs) = RunBoth("nns2", batch: 2, seed: 5);

        Assert.Equal(ours.Length, theirs.Length);
        AssertClose(ours, theirs);
    }

    [Fact]
    public void Export_UnallocatedModel_Throws()
    {
        using FaceNetModel model = Architectures.Create("nns2");

        var e = Assert.Throws<InvalidOperationException>(() => OnnxExporter.ToBytes(model));

        Assert.Contains("nns2", e.Message);
    }

    private static void AssertClose(float[] ours, float[] theirs)
    {
        float worst = 0;
        int worstIndex = 0;
        for (int i = 0; i < ours.Length; i++)
        {
            float difference = Math.Abs(ours[i] - theirs[i]);
            if (difference > worst)
            {
                worst = difference;
                worstIndex = i;
            }
        }
        Assert.True(worst <= EmbeddingTolerance,
            $"Embedding element {worstIndex}: engine {ours[worstIndex]}, ONNX Runtime {theirs[worstIndex]}, " +
            $"difference {worst} exceeds {EmbeddingTolerance}.");
    }

    private static (float[] Ours, float[] Theirs) RunBoth(string arch, int batch, int seed)
    {
        var backend = new CpuBackend();
        using FaceNetModel model = Architectures.Create(arch);
        model.Allocate(backend, seed);
        var random = new Random(seed);
        RandomizeStatesAndScales(model, backend, random);

        int[] dims = [batch, 3, model.InputHeight, model.InputWidth];
        var images = new float[batch * 3 * model.InputHeight * model.InputWidth];
        for (int i = 0; i < images.Length; i++)
        {
            images[i] = (float)(random.NextDouble() * 2 - 1);
        }

        float[] ours;
        using (Graph graph = Graph.ForInference(backend))
        {
            Tensor input = graph.FromHost(images, dims);
            Tensor y = model.Forward(graph, input);
            ours = new float[y.Count];
            backend.Download(y, ours);
        }

        byte[] onnx = OnnxExporter.ToBytes(model);
        using var session = new InferenceSession(onnx);
        var tensor = new DenseTensor<float>(images, dims);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(OnnxExporter.InputName, tensor)]);
        float[] theirs = results.Single(r => r.Name == OnnxExporter.OutputName).AsTensor<float>().ToArray();
        return (ours, theirs);
    }

    // Fresh batch normalisation is the identity (mean 0, variance 1, gamma 1, beta 0). Random values make
    // the test check that the exporter wires each statistic to the right input.
    private static void RandomizeStatesAndScales(FaceNetModel model, CpuBackend backend, Random random)
    {
        foreach (var (name, tensor) in model.States())
        {
            bool variance = name.EndsWith("running_var", StringComparison.Ordinal);
            var values = new float[tensor.Count];
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = variance ? (float)(0.5 + random.NextDouble()) : (float)(random.NextDouble() * 0.2 - 0.1);
            }
            backend.Upload(values, tensor);
        }
        foreach (var p in model.Parameters().Where(p => p.Name.EndsWith("bn.gamma", StringComparison.Ordinal)))
        {
            var values = new float[p.Count];
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = (float)(0.5 + random.NextDouble());
            }
            backend.Upload(values, p.Value);
        }
    }
}
