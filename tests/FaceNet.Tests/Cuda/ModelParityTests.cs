using FaceNet.Kernels;
using FaceNet.Runtime.Autograd;
using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Cpu;
using FaceNet.Runtime.Models;
using FaceNet.Runtime.Operations;
using FaceNet.Runtime.Tensors;
using FaceNet.Runtime.Training;

namespace FaceNet.Tests.Cuda;

/// <summary>
/// Runs whole networks on the CPU backend and on <see cref="CudaBackend"/> over the emulated driver with the same
/// weights and inputs: the inference embeddings, and one training step (forward, fused semi-hard triplet loss,
/// backward, AdaGrad update).
/// </summary>
public sealed class ModelParityTests(EmulatedBackendFixture fixture) : IClassFixture<EmulatedBackendFixture>
{
    /// <summary>
    /// Embeddings after 20 to 25 layers. Each convolution sums a few thousand products in tile order on the
    /// kernels and in OpenBLAS order on the CPU, a relative rounding difference of about 1e-6 per layer.
    /// Batch normalisation and the final L2 normalisation keep the scale near 1, so the differences add up
    /// over the layers to a few 1e-6 on values of about 0.1.
    /// </summary>
    private static readonly Tolerance Embedding = new(2e-5f, 1e-4f);

    /// <summary>
    /// The mean hinge loss over a few triplets of squared distances between embeddings: the embedding error
    /// above, times the distance gradient 2 * |e_a - e_n| of at most 4, summed over three terms.
    /// </summary>
    private const double LossTolerance = 2e-4;

    /// <summary>
    /// Parameter gradients, compared with <see cref="GradientOfLargest"/> times the largest CPU gradient of the
    /// same tensor. A ReLU output or a max-pool winner within rounding of a tie sends the gradient through
    /// another element on one side, a discrete change that then spreads through every layer below it. On
    /// nn4-small2 at batch 4 the last inception block agrees to 3e-5 of its largest gradient, and every
    /// layer below it to between 1e-3 and 2.4e-2. A wrong kernel gives differences of order 1.
    /// </summary>
    private const double GradientOfLargest = 5e-2;

    /// <summary>
    /// Floor for tensors whose gradient is zero up to rounding: a convolution bias followed by batch
    /// normalisation gets gradients below 2e-7 of either sign.
    /// </summary>
    private const double GradientAbsolute = 1e-6;

    /// <summary>
    /// Weights after one AdaGrad step: w - lr * g / sqrt(a0 + g^2) with a0 = <see cref="InitialAccumulator"/>.
    /// The weight difference is at most lr / sqrt(a0) = 0.16 times the gradient difference, which reaches
    /// 7.6e-4 in the first layers (see <see cref="GradientOfLargest"/>).
    /// </summary>
    private static readonly Tolerance UpdatedWeight = new(2e-4f, 1e-4f);

    /// <summary>
    /// Starting AdaGrad accumulator, TensorFlow's default. With a0 = 0 the first step is lr * g / |g|, which
    /// turns a rounding difference in a gradient near zero into a difference of 2 * lr in the weight.
    /// </summary>
    private const float InitialAccumulator = 0.1f;

    private const float LearningRate = AdaGrad.PaperLearningRate;

    /// <summary>Weights compared per parameter tensor: every k-th element so that the sample spans the tensor.</summary>
    private const int SampledWeights = 97;

    private const int Seed = 7;

    private readonly CudaBackend _cuda = fixture.Backend;

    [Theory]
    [InlineData("nn4-small2", 4)]
    [InlineData("nn4", 4)]
    [InlineData("nn2", 2)]
    public void Forward_Architecture_EmbeddingsMatchCpu(string architecture, int batch)
    {
        using ModelPair models = ModelPair.Create(architecture, _cuda);
        float[] images = RandomImages(models.Cpu, batch);

        float[] expected = Embed(models.Cpu, CpuBackend.Instance, images, batch);
        float[] actual = Embed(models.Cuda, _cuda, images, batch);

        AssertClose(expected, actual, Embedding, $"{architecture} embeddings, batch {batch}");
    }

    [Theory]
    [InlineData("nn4-small2", 4)]
    [InlineData("nn4", 4)]
    [InlineData("nn2", 3)]
    public void TrainingStep_Architecture_MatchesCpu(string architecture, int batch)
    {
        using ModelPair models = ModelPair.Create(architecture, _cuda);
        float[] images = RandomImages(models.Cpu, batch);
        int[] labels = Enumerable.Range(0, batch).Select(i => i / 2).ToArray();

        StepResult expected = TrainOneStep(models.Cpu, CpuBackend.Instance, images, labels);
        StepResult actual = TrainOneStep(models.Cuda, _cuda, images, labels);

        Assert.True(expected.Stats.ActiveTriplets > 0,
            $"{architecture}: the CPU step found no active triplet, so the step compares no gradient; change the seed.");
        Assert.Equal(expected.Stats.Triplets, actual.Stats.Triplets);
        Assert.Equal(expected.Stats.ActiveTriplets, actual.Stats.ActiveTriplets);
        Assert.True(Math.Abs(expected.Stats.Loss - actual.Stats.Loss) <= LossTolerance,
            $"{architecture} loss: cuda {actual.Stats.Loss:G9}, cpu {expected.Stats.Loss:G9} (tolerance {LossTolerance:G3}).");
        for (int p = 0; p < expected.Gradients.Length; p++)
        {
            AssertCloseToLargest(expected.Gradients[p], actual.Gradients[p], GradientAbsolute, GradientOfLargest,
                $"{architecture} gradient of {expected.Names[p]}");
            AssertClose(expected.Weights[p], actual.Weights[p], UpdatedWeight,
                $"{architecture} updated {expected.Names[p]}");
        }
    }

    private static float[] Embed(FaceNetModel model, IBackend backend, float[] images, int batch)
    {
        using Graph graph = Graph.ForInference(backend);
        Tensor input = graph.FromHost(images, batch, 3, model.InputHeight, model.InputWidth);
        Tensor embeddings = model.Forward(graph, input);
        float[] values = new float[embeddings.Count];
        backend.Download(embeddings, values);
        return values;
    }

    /// <summary>One step as the trainer runs it, with the gradients sampled before and the weights after the update.</summary>
    private static StepResult TrainOneStep(FaceNetModel model, IBackend backend, float[] images, int[] labels)
    {
        Parameter[] parameters = model.Parameters().ToArray();
        using var optimizer = new AdaGrad(parameters, initialAccumulator: InitialAccumulator);
        optimizer.ZeroGradients();
        TripletStats stats;
        using (Graph graph = Graph.ForTraining(backend))
        {
            Tensor input = graph.FromHost(images, labels.Length, 3, model.InputHeight, model.InputWidth);
            Tensor embeddings = model.Forward(graph, input);
            TripletLossResult loss = TripletLoss.SemiHard(graph, embeddings, labels, TripletLoss.DefaultMargin,
                NegativePolicy.SemiHardOrHardest);
            stats = loss.Stats;
            loss.Backward();
        }

        float[][] gradients = parameters.Select(p => Sample(backend, p.Gradient)).ToArray();
        optimizer.Step(LearningRate);
        float[][] weights = parameters.Select(p => Sample(backend, p.Value)).ToArray();
        return new StepResult(stats, parameters.Select(p => p.Name).ToArray(), gradients, weights);
    }

    private static float[] Sample(IBackend backend, Tensor tensor)
    {
        float[] all = new float[tensor.Count];
        backend.Download(tensor, all);
        int step = Math.Max(1, all.Length / SampledWeights);
        return all.Where((_, i) => i % step == 0).ToArray();
    }

    private static float[] RandomImages(FaceNetModel model, int batch)
    {
        var random = new Random(Seed);
        float[] values = new float[batch * 3 * model.InputHeight * model.InputWidth];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)(random.NextDouble() * 2 - 1);
        }
        return values;
    }

    private static void AssertClose(float[] expected, float[] actual, Tolerance tolerance, string caseName)
    {
        Assert.True(expected.Length == actual.Length, $"{caseName}: {actual.Length} values, expected {expected.Length}.");
        int worst = -1;
        double worstExcess = double.NegativeInfinity;
        int failures = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double limit = tolerance.Absolute + tolerance.Relative * Math.Abs(expected[i]);
            double excess = Math.Abs((double)expected[i] - actual[i]) - limit;
            if (float.IsNaN(actual[i]) || excess > 0)
            {
                failures++;
            }
            if (float.IsNaN(actual[i]) || excess > worstExcess)
            {
                worst = i;
                worstExcess = float.IsNaN(actual[i]) ? double.PositiveInfinity : excess;
            }
        }
        Assert.True(failures == 0,
            $"{caseName}: {failures} of {expected.Length} values differ; worst at {worst}: cuda {actual[worst]:G9}, " +
            $"cpu {expected[worst]:G9} (tolerance {tolerance.Absolute:G3} + {tolerance.Relative:G3} * |cpu|).");
    }

    /// <summary>Asserts |cpu - cuda| &lt;= absolute + ofLargest * max |cpu| for every value.</summary>
    private static void AssertCloseToLargest(float[] expected, float[] actual, double absolute, double ofLargest,
        string caseName)
    {
        Assert.True(expected.Length == actual.Length, $"{caseName}: {actual.Length} values, expected {expected.Length}.");
        double largest = expected.Max(v => Math.Abs((double)v));
        double limit = absolute + ofLargest * largest;
        int worst = 0;
        double worstError = -1;
        for (int i = 0; i < expected.Length; i++)
        {
            double error = float.IsNaN(actual[i]) ? double.PositiveInfinity : Math.Abs((double)expected[i] - actual[i]);
            if (error > worstError)
            {
                worst = i;
                worstError = error;
            }
        }
        Assert.True(worstError <= limit,
            $"{caseName}: worst at {worst}: cuda {actual[worst]:G9}, cpu {expected[worst]:G9}, a difference of " +
            $"{worstError / largest:G3} of the largest gradient {largest:G3} (tolerance {absolute:G3} + {ofLargest:G3} * largest).");
    }

    private sealed record StepResult(TripletStats Stats, string[] Names, float[][] Gradients, float[][] Weights);

    /// <summary>One architecture allocated on the CPU and on the CUDA backend with identical weights and state.</summary>
    private sealed class ModelPair(FaceNetModel cpu, FaceNetModel cuda) : IDisposable
    {
        public FaceNetModel Cpu { get; } = cpu;

        public FaceNetModel Cuda { get; } = cuda;

        /// <summary>Allocates on the CPU from <see cref="Seed"/> and copies every weight and state tensor across.</summary>
        public static ModelPair Create(string architecture, CudaBackend backend)
        {
            FaceNetModel cpu = Architectures.Create(architecture);
            cpu.Allocate(CpuBackend.Instance, Seed);
            FaceNetModel cuda = Architectures.Create(architecture);
            cuda.Allocate(backend, Seed + 1);

            Tensor[] sources = cpu.Parameters().Select(p => p.Value).Concat(cpu.States().Select(s => s.Tensor)).ToArray();
            Tensor[] targets = cuda.Parameters().Select(p => p.Value).Concat(cuda.States().Select(s => s.Tensor)).ToArray();
            for (int i = 0; i < sources.Length; i++)
            {
                float[] values = new float[sources[i].Count];
                CpuBackend.Instance.Download(sources[i], values);
                backend.Upload(values, targets[i]);
            }
            return new ModelPair(cpu, cuda);
        }

        public void Dispose()
        {
            Cpu.Dispose();
            Cuda.Dispose();
        }
    }
}
