using FaceNet.Runtime.Backends;

namespace FaceNet.Tests.Cuda;

public sealed partial class ParityTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(17, 16)]
    [InlineData(37, 19)]
    [InlineData(40, 128)]
    public void PairwiseSquaredDistances_OddSizes_MatchesCpu(int n, int dim)
    {
        using TensorPair embeddings = Random(140, n, dim);
        using TensorPair distances = Random(141, n, n);
        _cpu.PairwiseSquaredDistances(embeddings.Cpu, distances.Cpu);
        _cuda.PairwiseSquaredDistances(embeddings.Cuda, distances.Cuda);
        AssertClose(distances, Reduction, $"PairwiseSquaredDistances N={n}, D={dim}");
    }

    [Fact]
    public void TripletLoss_GivenTriplets_MatchesCpu()
    {
        const int n = 12, dim = 9;
        int[] anchors = [0, 1, 2, 3, 0, 5, 7];
        int[] positives = [1, 0, 3, 2, 4, 6, 8];
        int[] negatives = [5, 6, 7, 8, 9, 10, 11];
        using TensorPair embeddings = Random(150, n, dim);
        using TensorPair gradient = Random(151, n, dim);

        float expected = _cpu.TripletLoss(embeddings.Cpu, anchors, positives, negatives, 0.5f, gradient.Cpu, 2f);
        float actual = _cuda.TripletLoss(embeddings.Cuda, anchors, positives, negatives, 0.5f, gradient.Cuda, 2f);

        Assert.True(Math.Abs(expected - actual) <= Reduction.Absolute + Reduction.Relative * Math.Abs(expected),
            $"TripletLoss: cuda {actual}, cpu {expected}.");
        AssertClose(gradient, Reduction, "TripletLoss gradient");
    }

    [Fact]
    public void TripletLoss_NoTriplets_ReturnsZeroAndZeroGradient()
    {
        using TensorPair embeddings = Random(152, 4, 3);
        using TensorPair gradient = Random(153, 4, 3);

        float loss = _cuda.TripletLoss(embeddings.Cuda, [], [], [], 0.2f, gradient.Cuda, 1f);
        float[] values = new float[12];
        _cuda.Download(gradient.Cuda, values);

        Assert.Equal(0f, loss);
        Assert.All(values, v => Assert.Equal(0f, v));
    }

    /// <summary>Labels of 30 rows: four identities of uneven size and two extra negatives labelled -1.</summary>
    private static readonly int[] SemiHardLabels =
        [0, 0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, -1, 0, 1, 2, 3, 1, 1, 0, 3, 3, -1];

    [Theory]
    [InlineData(NegativePolicy.SemiHardOrSkip, 0.2f)]
    [InlineData(NegativePolicy.SemiHardOrHardest, 0.2f)]
    [InlineData(NegativePolicy.SemiHardOrHardest, 1.5f)]
    public void TripletSemiHard_Policies_MatchesCpu(NegativePolicy policy, float alpha)
    {
        int n = SemiHardLabels.Length;
        using TensorPair embeddings = Random(160, n, 16);
        using TensorPair gradient = Random(161, n, 16);

        TripletStats expected = _cpu.TripletSemiHard(embeddings.Cpu, SemiHardLabels, alpha, policy, gradient.Cpu, 3f);
        TripletStats actual = _cuda.TripletSemiHard(embeddings.Cuda, SemiHardLabels, alpha, policy, gradient.Cuda, 3f);

        Assert.Equal(expected.Pairs, actual.Pairs);
        Assert.Equal(expected.Triplets, actual.Triplets);
        Assert.Equal(expected.ActiveTriplets, actual.ActiveTriplets);
        AssertClose([expected.Loss], [actual.Loss], Reduction, "TripletSemiHard loss");
        AssertClose([expected.MeanPositiveDistance], [actual.MeanPositiveDistance], Reduction, "mean positive distance");
        AssertClose([expected.MeanNegativeDistance], [actual.MeanNegativeDistance], Reduction, "mean negative distance");
        AssertClose([expected.MeanPairwiseDistance], [actual.MeanPairwiseDistance], Reduction, "mean pairwise distance");
        AssertClose(gradient, Reduction, $"TripletSemiHard gradient, {policy}");
    }

    [Fact]
    public void TripletSemiHard_RepeatedCall_IsBitwiseIdentical()
    {
        int n = SemiHardLabels.Length;
        using TensorPair embeddings = Random(170, n, 24);
        using TensorPair gradient = Random(171, n, 24);
        float[] first = new float[n * 24];
        float[] second = new float[n * 24];

        TripletStats a = _cuda.TripletSemiHard(embeddings.Cuda, SemiHardLabels, 0.5f, NegativePolicy.SemiHardOrHardest,
            gradient.Cuda, 1f);
        _cuda.Download(gradient.Cuda, first);
        TripletStats b = _cuda.TripletSemiHard(embeddings.Cuda, SemiHardLabels, 0.5f, NegativePolicy.SemiHardOrHardest,
            gradient.Cuda, 1f);
        _cuda.Download(gradient.Cuda, second);

        Assert.Equal(a, b);
        Assert.Equal(first, second);
    }

    [Fact]
    public void TripletSemiHard_OneImagePerIdentity_ReturnsZeroLoss()
    {
        int[] labels = [0, 1, 2, 3, 4, -1];
        using TensorPair embeddings = Random(180, labels.Length, 8);
        using TensorPair gradient = Random(181, labels.Length, 8);

        TripletStats stats = _cuda.TripletSemiHard(embeddings.Cuda, labels, 0.2f, NegativePolicy.SemiHardOrHardest,
            gradient.Cuda, 1f);
        float[] values = new float[labels.Length * 8];
        _cuda.Download(gradient.Cuda, values);

        Assert.Equal(0, stats.Pairs);
        Assert.Equal(0f, stats.Loss);
        Assert.All(values, v => Assert.Equal(0f, v));
    }
}
