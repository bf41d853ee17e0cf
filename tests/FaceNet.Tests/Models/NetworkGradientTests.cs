using FaceNet.Runtime.Autograd;
using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Cpu;
using FaceNet.Runtime.Models;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Tests.Models;

/// <summary>Forward passes of whole networks and their parameter gradients against finite differences.</summary>
public class NetworkGradientTests
{
    // Central differences of a float32 network. The loss sum(r * embedding) has rounding noise of about
    // 1e-6, so a step of 1e-3 keeps the noise of the difference quotient near 1e-3. The step is also small
    // enough that few sampled weights move a ReLU or max-pool input across its kink. Observed differences
    // are below 2e-4, well inside the tolerance.
    private const float Step = 1e-3f;
    private const double AbsoluteTolerance = 1e-3;
    private const double RelativeTolerance = 2e-2;

    private static readonly IBackend Backend = CpuBackend.Instance;

    private static float[] RandomValues(int count, int seed, float scale = 1f)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() * 2 - 1) * scale).ToArray();
    }

    private static float[] Download(Tensor t)
    {
        var values = new float[t.Count];
        t.Backend.Download(t, values);
        return values;
    }

    // A reduced inception network with every layer kind of nn4-small2: convolutions with batch
    // normalisation, max, L2 and average pooling, LRN, a pool branch zero-padded back to the block size,
    // a strided block, maxout and L2 normalisation.
    private static FaceNetModel MiniInception()
    {
        ConvOptions c = ConvOptions.BiasBatchNormRelu;
        var model = new FaceNetModel("mini-inception", 10, 10, 5,
            new ConvBlock("conv1", 3, 4, 3, 1, 1, c),
            new PoolLayer("pool1", PoolKind.Max, 3, 2, 1),
            new LrnLayer("lrn1", LrnParameters.Default),
            new InceptionBlock("inception3a", 4, new InceptionSpec(3, 3, 4, 2, 3, PoolKind.L2, 2,
                PoolStride: 3, PoolPadding: 0), c),
            new InceptionBlock("inception3c", 12, new InceptionSpec(0, 3, 4, 0, 0, PoolKind.Max, 0, Stride: 2,
                PoolStride: 2, PoolPadding: 1), c),
            new PoolLayer("avgpool", PoolKind.Average, 3, 1),
            new FullyConnectedLayer("fc1", 16, 6, maxoutPool: 2),
            new FullyConnectedLayer("fc2", 6, 5),
            new L2NormalizationLayer("l2"));
        model.Allocate(Backend, seed: 7);
        return model;
    }

    private static double Loss(FaceNetModel model, float[] images, int batch, float[] upstream)
    {
        using var graph = new Graph(Backend, training: true, recordGradients: false);
        Tensor x = graph.FromHost(images, batch, 3, model.InputHeight, model.InputWidth);
        float[] embeddings = Download(model.Forward(graph, x));
        double loss = 0;
        for (int i = 0; i < embeddings.Length; i++)
        {
            loss += (double)upstream[i] * embeddings[i];
        }
        return loss;
    }

    [Fact]
    public void Nn4Small2_Forward_YieldsUnitEmbeddings()
    {
        using FaceNetModel model = Architectures.Create("nn4-small2");
        model.Allocate(Backend, seed: 1);
        float[] images = RandomValues(2 * 3 * 96 * 96, seed: 2);

        using Graph graph = Graph.ForInference(Backend);
        Tensor y = model.Forward(graph, graph.FromHost(images, 2, 3, 96, 96));
        float[] embeddings = Download(y);

        Assert.Equal([2, 128], y.Dims.ToArray());
        for (int n = 0; n < 2; n++)
        {
            double norm = Math.Sqrt(embeddings.Skip(n * 128).Take(128).Sum(v => (double)v * v));
            Assert.True(Math.Abs(norm - 1) < 1e-4, $"Embedding {n} has norm {norm}, expected 1.");
        }
        Assert.NotEqual(embeddings[..128], embeddings[128..]);
    }

    [Fact]
    public void Nn4Small2_TrainingBackward_ReachesEveryParameter()
    {
        using FaceNetModel model = Architectures.Create("nn4-small2");
        model.Allocate(Backend, seed: 1);
        float[] images = RandomValues(2 * 3 * 96 * 96, seed: 2);

        using (Graph graph = Graph.ForTraining(Backend))
        {
            Tensor y = model.Forward(graph, graph.FromHost(images, 2, 3, 96, 96));
            graph.Backward(y, graph.FromHost(RandomValues(2 * 128, seed: 3), 2, 128));
        }

        foreach (Parameter p in model.Parameters())
        {
            float[] gradient = Download(p.Gradient);
            Assert.True(gradient.All(float.IsFinite), $"Gradient of {p.Name} is not finite.");
            Assert.True(gradient.Any(v => v != 0), $"Gradient of {p.Name} is all zero.");
        }
    }

    [Fact]
    public void Nn4Small2_WrongInputSize_NamesExpectedShape()
    {
        using FaceNetModel model = Architectures.Create("nn4-small2");
        model.Allocate(Backend, seed: 1);
        using Graph graph = Graph.ForInference(Backend);
        Tensor x = graph.NewZeroTensor(1, 3, 64, 64);

        var error = Assert.Throws<ArgumentException>(() => model.Forward(graph, x));

        Assert.Contains("[N, 3, 96, 96]", error.Message);
    }

    [Fact]
    public void Nns2_Forward_AcceptsNonSquareInput()
    {
        using FaceNetModel model = Architectures.Create("nns2");
        model.Allocate(Backend, seed: 1);
        float[] images = RandomValues(1 * 3 * 140 * 116, seed: 2);

        using Graph graph = Graph.ForInference(Backend);
        Tensor y = model.Forward(graph, graph.FromHost(images, 1, 3, 140, 116));

        Assert.Equal([1, 128], y.Dims.ToArray());
    }

    [Fact]
    public void MiniInception_ParameterGradients_MatchFiniteDifferences()
    {
        using FaceNetModel model = MiniInception();
        const int batch = 3;
        float[] images = RandomValues(batch * 3 * 10 * 10, seed: 11);
        float[] upstream = RandomValues(batch * 5, seed: 12);

        using (Graph graph = Graph.ForTraining(Backend))
        {
            Tensor y = model.Forward(graph, graph.FromHost(images, batch, 3, 10, 10));
            graph.Backward(y, graph.FromHost(upstream, batch, 5));
        }

        // Ten samples spread over the parameter tensors, one random element each.
        List<Parameter> parameters = model.Parameters().ToList();
        var random = new Random(13);
        int checkedCount = 0;
        for (int k = 0; k < 10; k++)
        {
            Parameter p = parameters[k * parameters.Count / 10];
            int index = random.Next(p.Count);
            float[] values = Download(p.Value);
            float analytic = Download(p.Gradient)[index];
            float original = values[index];

            values[index] = original + Step;
            Backend.Upload(values, p.Value);
            double plus = Loss(model, images, batch, upstream);
            values[index] = original - Step;
            Backend.Upload(values, p.Value);
            double minus = Loss(model, images, batch, upstream);
            values[index] = original;
            Backend.Upload(values, p.Value);

            double numeric = (plus - minus) / (2 * Step);
            double tolerance = AbsoluteTolerance + RelativeTolerance * Math.Abs(numeric);
            Assert.True(Math.Abs(analytic - numeric) <= tolerance,
                $"{p.Name}[{index}]: analytic {analytic:G6}, finite difference {numeric:G6}, tolerance {tolerance:G3}.");
            checkedCount++;
        }

        Assert.Equal(10, checkedCount);
    }
}
