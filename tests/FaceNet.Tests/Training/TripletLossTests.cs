using FaceNet.Runtime.Autograd;
using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Cpu;
using FaceNet.Runtime.Operations;
using FaceNet.Runtime.Tensors;
using FaceNet.Tests.Support;

namespace FaceNet.Tests.Training;

public class TripletLossTests
{
    private const float Margin = 0.2f;

    // Float32 distances over a few dimensions; the loss is a mean of terms below 1.
    private const double LossTolerance = 1e-5;

    private static readonly CpuBackend Cpu = CpuBackend.Instance;

    [Theory]
    [InlineData(8, 5, 10, 1f, 51)]
    [InlineData(15, 3, 40, 0.25f, 52)]
    public void TripletLoss_GivenTriplets_MatchesReferenceAndFiniteDifferences(int n, int d, int count,
        float gradientScale, int seed)
    {
        // Embeddings spread over [-0.3, 0.3] make distances comparable to the margin, so some triplets are
        // active and some are not. Repeated indices and a == n cases are allowed and included.
        float[] x = GradientCheck.RandomValues(n * d, seed, scale: 0.3f);
        var random = new Random(seed);
        Triplet[] triplets = Enumerable.Range(0, count)
            .Select(_ => new Triplet(random.Next(n), random.Next(n), random.Next(n))).ToArray();
        using Tensor embeddings = TripletReference.Upload(x, n, d);
        using Tensor gradient = TripletReference.Upload(new float[n * d], n, d);

        float loss = Cpu.TripletLoss(embeddings, triplets.Select(t => t.Anchor).ToArray(),
            triplets.Select(t => t.Positive).ToArray(), triplets.Select(t => t.Negative).ToArray(), Margin,
            gradient, gradientScale);

        double[] xd = x.Select(v => (double)v).ToArray();
        double expected = TripletReference.LossOnTriplets(xd, d, triplets, Margin, null, 1, out int active);
        Assert.InRange(active, 1, count - 1);
        Assert.Equal(expected, loss, LossTolerance);
        double[] numeric = GradientCheck.NumericGradient(
            inputs => [gradientScale * TripletReference.LossOnTriplets(inputs[0], d, triplets, Margin, null, 1, out _)],
            [xd], 0, [1f]);
        GradientCheck.AssertClose("TripletLoss gradient vs finite differences", numeric,
            TripletReference.Download(gradient), 1e-4, 1e-3);
    }

    [Fact]
    public void TripletLoss_NoTriplets_ZeroLossAndGradient()
    {
        using Tensor embeddings = TripletReference.Upload(GradientCheck.RandomValues(6, 1), 3, 2);
        using Tensor gradient = TripletReference.Upload(Enumerable.Repeat(5f, 6).ToArray(), 3, 2);

        float loss = Cpu.TripletLoss(embeddings, [], [], [], Margin, gradient, 1f);

        Assert.Equal(0f, loss);
        Assert.All(TripletReference.Download(gradient), v => Assert.Equal(0.0, v));
    }

    [Fact]
    public void TripletLoss_IndexOutsideRows_Throws()
    {
        using Tensor embeddings = TripletReference.Upload(new float[6], 3, 2);
        using Tensor gradient = TripletReference.Upload(new float[6], 3, 2);

        Assert.Throws<ArgumentOutOfRangeException>(() =>
            Cpu.TripletLoss(embeddings, [0], [1], [3], Margin, gradient, 1f));
    }

    [Fact]
    public void TripletLoss_IndexSpansOfDifferentLength_Throws()
    {
        using Tensor embeddings = TripletReference.Upload(new float[6], 3, 2);
        using Tensor gradient = TripletReference.Upload(new float[6], 3, 2);

        Assert.Throws<ArgumentException>(() => Cpu.TripletLoss(embeddings, [0, 1], [1], [2], Margin, gradient, 1f));
    }

    // ---- graph operations --------------------------------------------------------------------------

    [Fact]
    public void SemiHardOperation_Backward_SeedsEmbeddingGradient()
    {
        const int n = 12, d = 4;
        int[] labels = Enumerable.Range(0, n).Select(i => i % 3).ToArray();
        float[] x = TripletReference.UnitRows(n, d, seed: 61);
        using var embeddings = new Parameter("embeddings", Cpu, n, d);
        Cpu.Upload(x, embeddings.Value);
        using Graph graph = Graph.ForTraining(Cpu);

        TripletLossResult result = TripletLoss.SemiHard(graph, embeddings.Value, labels, Margin,
            NegativePolicy.SemiHardOrHardest);
        double[] seed = TripletReference.Download(result.Gradient);
        result.Backward();

        ReferenceResult expected = TripletReference.Mine(x.Select(v => (double)v).ToArray(), d, labels, Margin,
            NegativePolicy.SemiHardOrHardest);
        Assert.True(result.Stats.Triplets > 0, "The batch must select some triplets to test anything.");
        Assert.Equal(expected.Loss, result.Loss, LossTolerance);
        Assert.Equal(seed, TripletReference.Download(embeddings.Gradient));
        Assert.Equal(0, graph.OwnedTensorCount);
    }

    [Fact]
    public void OnTripletsOperation_ReturnsKernelLossAndGradient()
    {
        const int n = 6, d = 3;
        float[] x = GradientCheck.RandomValues(n * d, 71, scale: 0.3f);
        int[] anchors = [0, 1, 2], positives = [1, 0, 3], negatives = [4, 5, 0];
        using Graph graph = Graph.ForTraining(Cpu);
        Tensor embeddings = graph.FromHost(x, n, d);
        using Tensor expectedGradient = TripletReference.Upload(new float[n * d], n, d);

        TripletLossResult result = TripletLoss.OnTriplets(graph, embeddings, anchors, positives, negatives, Margin);
        float expectedLoss = Cpu.TripletLoss(embeddings, anchors, positives, negatives, Margin, expectedGradient, 1f);

        Assert.Equal(expectedLoss, result.Loss);
        Assert.Equal(3, result.Stats.Triplets);
        Assert.Equal(TripletReference.Download(expectedGradient), TripletReference.Download(result.Gradient));
    }

    [Fact]
    public void SemiHardOperation_LabelCountMismatch_Throws()
    {
        using Graph graph = Graph.ForTraining(Cpu);
        Tensor embeddings = graph.FromHost(new float[8], 4, 2);

        Assert.Throws<ArgumentException>(() => TripletLoss.SemiHard(graph, embeddings, [0, 0, 1]));
    }

    [Fact]
    public void SemiHardOperation_NegativeMargin_Throws()
    {
        using Graph graph = Graph.ForTraining(Cpu);
        Tensor embeddings = graph.FromHost(new float[8], 4, 2);

        Assert.Throws<ArgumentException>(() => TripletLoss.SemiHard(graph, embeddings, [0, 0, 1, 1], margin: -0.1f));
    }
}
