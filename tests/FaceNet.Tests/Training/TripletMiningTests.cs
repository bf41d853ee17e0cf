using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Cpu;
using FaceNet.Runtime.Tensors;
using FaceNet.Tests.Support;

namespace FaceNet.Tests.Training;

public class TripletMiningTests
{
    private const float Margin = 0.2f;

    // Float32 distances of unit vectors sum D products of magnitude < 1, so rounding stays near 1e-6;
    // the means over tens of triplets keep that size.
    private const double StatTolerance = 1e-5;

    // Gradient rows sum up to a few tens of float32 terms of magnitude 2 / triplets.
    private const double GradientAbsTolerance = 1e-5;
    private const double GradientRelTolerance = 1e-4;

    private static readonly CpuBackend Cpu = CpuBackend.Instance;

    // ---- selection on hand-built distance rows -----------------------------------------------------

    [Fact]
    public void SelectNegative_SemiHardExists_PicksClosestSemiHard()
    {
        // Anchor label 0 with d_ap = 0.5. Negatives: 0.3 (hardest), 0.6 and 0.55 (semi-hard), 0.9 (easy).
        float[] row = [0f, 0.5f, 0.3f, 0.6f, 0.55f, 0.9f];
        int[] labels = [0, 0, 1, 2, 3, 4];

        int chosen = CpuBackend.SelectNegative(row, labels, 0, row[1], Margin, NegativePolicy.SemiHardOrSkip);

        Assert.Equal(4, chosen);
    }

    [Fact]
    public void SelectNegative_SemiHardExists_HardestPolicyStillPicksSemiHard()
    {
        float[] row = [0f, 0.5f, 0.3f, 0.6f, 0.55f, 0.9f];
        int[] labels = [0, 0, 1, 2, 3, 4];

        int chosen = CpuBackend.SelectNegative(row, labels, 0, row[1], Margin, NegativePolicy.SemiHardOrHardest);

        Assert.Equal(4, chosen);
    }

    [Fact]
    public void SelectNegative_NoSemiHard_SkipPolicyReturnsNone()
    {
        // d_ap = 0.5; negatives 0.3 and 0.45 are hard, 0.7 sits exactly on the margin, 0.9 is easy.
        float[] row = [0f, 0.5f, 0.3f, 0.45f, 0.7f, 0.9f];
        int[] labels = [0, 0, 1, 1, 2, 2];

        int chosen = CpuBackend.SelectNegative(row, labels, 0, row[1], Margin, NegativePolicy.SemiHardOrSkip);

        Assert.Equal(-1, chosen);
    }

    [Fact]
    public void SelectNegative_NoSemiHard_HardestPolicyPicksFarthestHard()
    {
        float[] row = [0f, 0.5f, 0.3f, 0.45f, 0.7f, 0.9f];
        int[] labels = [0, 0, 1, 1, 2, 2];

        int chosen = CpuBackend.SelectNegative(row, labels, 0, row[1], Margin, NegativePolicy.SemiHardOrHardest);

        Assert.Equal(3, chosen);
    }

    [Fact]
    public void SelectNegative_NegativeAtPositiveDistance_CountsAsHard()
    {
        // d_an == d_ap is not semi-hard (the bound is strict) but is a hard negative with loss alpha.
        float[] row = [0f, 0.5f, 0.5f];
        int[] labels = [0, 0, 1];

        int skip = CpuBackend.SelectNegative(row, labels, 0, row[1], Margin, NegativePolicy.SemiHardOrSkip);
        int hardest = CpuBackend.SelectNegative(row, labels, 0, row[1], Margin, NegativePolicy.SemiHardOrHardest);

        Assert.Equal(-1, skip);
        Assert.Equal(2, hardest);
    }

    [Theory]
    [InlineData(NegativePolicy.SemiHardOrSkip)]
    [InlineData(NegativePolicy.SemiHardOrHardest)]
    public void SelectNegative_AllEasy_Skips(NegativePolicy policy)
    {
        float[] row = [0f, 0.5f, 0.71f, 1.5f];
        int[] labels = [0, 0, 1, 2];

        int chosen = CpuBackend.SelectNegative(row, labels, 0, row[1], Margin, policy);

        Assert.Equal(-1, chosen);
    }

    [Fact]
    public void SelectNegative_EqualDistances_PicksLowestIndex()
    {
        float[] row = [0f, 0.5f, 0.6f, 0.6f, 0.2f, 0.2f];
        int[] labels = [0, 0, 1, 2, 3, 4];

        int semiHard = CpuBackend.SelectNegative(row, labels, 0, row[1], Margin, NegativePolicy.SemiHardOrSkip);
        int hard = CpuBackend.SelectNegative(row.AsSpan(0, 2).ToArray().Concat(new[] { 0.9f, 0.9f, 0.2f, 0.2f })
            .ToArray(), labels, 0, row[1], Margin, NegativePolicy.SemiHardOrHardest);

        Assert.Equal(2, semiHard);
        Assert.Equal(4, hard);
    }

    [Fact]
    public void SelectNegative_NaNDistance_NeverPicked()
    {
        float[] row = [0f, 0.5f, float.NaN, 0.6f];
        int[] labels = [0, 0, 1, 2];

        int chosen = CpuBackend.SelectNegative(row, labels, 0, row[1], Margin, NegativePolicy.SemiHardOrHardest);

        Assert.Equal(3, chosen);
    }

    // ---- the fused step on hand-built batches ------------------------------------------------------

    [Fact]
    public void TripletSemiHard_HandBuiltBatch_PicksSemiHardNotHardest()
    {
        // One-dimensional embeddings. Rows 0 and 1 (x = 0 and 0.3) share label 0, so d_ap = 0.09.
        // For anchor 0: row 2 (x = 0.2, d 0.04) is the hardest negative, row 3 (x = 0.32, d 0.1024) the
        // closest semi-hard one, row 4 (d 0.16) a farther semi-hard one, row 5 (d 0.49) easy.
        // For anchor 1 (x = 0.3): only row 5 (d 0.16) is semi-hard.
        float[] x = [0f, 0.3f, 0.2f, 0.32f, 0.4f, 0.7f];
        int[] labels = [0, 0, 1, 2, 3, 4];
        using Tensor embeddings = TripletReference.Upload(x, 6, 1);
        using Tensor gradient = TripletReference.Upload(new float[6], 6, 1);

        TripletStats stats = Cpu.TripletSemiHard(embeddings, labels, Margin, NegativePolicy.SemiHardOrSkip,
            gradient, 1f);
        double[] g = TripletReference.Download(gradient);

        Assert.Equal(2, stats.Pairs);
        Assert.Equal(2, stats.Triplets);
        Assert.Equal(2, stats.ActiveTriplets);
        Assert.Equal((0.1876 + 0.13) / 2, stats.Loss, StatTolerance);
        Assert.Equal((0.1024 + 0.16) / 2, stats.MeanNegativeDistance, StatTolerance);
        Assert.Equal(0.09, stats.MeanPositiveDistance, StatTolerance);
        Assert.Equal(0.0, g[2]);
        Assert.Equal(0.0, g[4]);

        // Each triplet has weight 2 / 2: row 0 gets (x3 - x1) + (x0 - x1), row 1 gets (x1 - x0) + (x5 - x0),
        // row 3 gets x0 - x3 and row 5 gets x1 - x5.
        Assert.Equal(-0.28, g[0], StatTolerance);
        Assert.Equal(1.0, g[1], StatTolerance);
        Assert.Equal(-0.32, g[3], StatTolerance);
        Assert.Equal(-0.4, g[5], StatTolerance);
    }

    [Fact]
    public void TripletSemiHard_OneIdentityOnly_ZeroLossAndGradient()
    {
        float[] x = TripletReference.UnitRows(4, 3, seed: 5);
        int[] labels = [7, 7, 7, 7];
        using Tensor embeddings = TripletReference.Upload(x, 4, 3);
        using Tensor gradient = TripletReference.Upload(Enumerable.Repeat(9f, 12).ToArray(), 4, 3);

        TripletStats stats = Cpu.TripletSemiHard(embeddings, labels, Margin, NegativePolicy.SemiHardOrHardest,
            gradient, 1f);

        Assert.Equal(12, stats.Pairs);
        Assert.Equal(0, stats.Triplets);
        Assert.Equal(0f, stats.Loss);
        Assert.Equal(0f, stats.MeanPositiveDistance);
        Assert.Equal(0f, stats.MeanNegativeDistance);
        Assert.All(TripletReference.Download(gradient), v => Assert.Equal(0.0, v));
    }

    [Fact]
    public void TripletSemiHard_OnlyEasyNegatives_ZeroLossAndGradient()
    {
        // Two tight identities far apart: every negative is beyond d_ap + alpha.
        float[] x = [0f, 0f, 0.1f, 0f, 1f, 1f, 1.1f, 1f];
        int[] labels = [0, 0, 1, 1];
        using Tensor embeddings = TripletReference.Upload(x, 4, 2);
        using Tensor gradient = TripletReference.Upload(new float[8], 4, 2);

        TripletStats stats = Cpu.TripletSemiHard(embeddings, labels, Margin, NegativePolicy.SemiHardOrHardest,
            gradient, 1f);

        Assert.Equal(4, stats.Pairs);
        Assert.Equal(0, stats.Triplets);
        Assert.Equal(0f, stats.Loss);
        Assert.All(TripletReference.Download(gradient), v => Assert.Equal(0.0, v));
    }

    [Fact]
    public void TripletSemiHard_SingleImageIdentities_NoPairs()
    {
        float[] x = TripletReference.UnitRows(5, 4, seed: 6);
        int[] labels = [0, 1, 2, 3, -1];
        using Tensor embeddings = TripletReference.Upload(x, 5, 4);
        using Tensor gradient = TripletReference.Upload(new float[20], 5, 4);

        TripletStats stats = Cpu.TripletSemiHard(embeddings, labels, Margin, NegativePolicy.SemiHardOrHardest,
            gradient, 1f);

        Assert.Equal(0, stats.Pairs);
        Assert.Equal(0, stats.Triplets);
        Assert.Equal(0f, stats.Loss);
        Assert.False(float.IsNaN(stats.MeanPairwiseDistance));
        Assert.All(TripletReference.Download(gradient), v => Assert.Equal(0.0, v));
    }

    [Fact]
    public void TripletSemiHard_ExtraNegatives_NeverAnchorsOrPositives()
    {
        // Rows 2 and 3 are extra negatives sharing label -1; were they an identity they would add two pairs.
        float[] x = [0f, 0.3f, 0.32f, 0.33f];
        int[] labels = [0, 0, -1, -1];
        using Tensor embeddings = TripletReference.Upload(x, 4, 1);
        using Tensor gradient = TripletReference.Upload(new float[4], 4, 1);

        TripletStats stats = Cpu.TripletSemiHard(embeddings, labels, Margin, NegativePolicy.SemiHardOrSkip,
            gradient, 1f);
        double[] g = TripletReference.Download(gradient);

        Assert.Equal(2, stats.Pairs);
        Assert.Equal(1, stats.Triplets);
        Assert.Equal(0.09 - 0.1024 + 0.2, stats.Loss, StatTolerance);
        Assert.Equal(2 * (0f - 0.32f), g[2], StatTolerance);
        Assert.Equal(0.0, g[3]);
    }

    [Fact]
    public void TripletSemiHard_CollapsedEmbeddings_DetectedByPairwiseDistance()
    {
        float[] x = Enumerable.Repeat(0.5f, 8).ToArray();
        int[] labels = [0, 0, 1, 1];
        using Tensor embeddings = TripletReference.Upload(x, 4, 2);
        using Tensor gradient = TripletReference.Upload(new float[8], 4, 2);

        TripletStats skip = Cpu.TripletSemiHard(embeddings, labels, Margin, NegativePolicy.SemiHardOrSkip,
            gradient, 1f);
        TripletStats hardest = Cpu.TripletSemiHard(embeddings, labels, Margin, NegativePolicy.SemiHardOrHardest,
            gradient, 1f);

        Assert.Equal(0, skip.Triplets);
        Assert.Equal(0f, skip.Loss);
        Assert.Equal(0f, skip.MeanPairwiseDistance);
        Assert.Equal(4, hardest.Triplets);
        Assert.Equal(4, hardest.ActiveTriplets);
        Assert.Equal(Margin, hardest.Loss, StatTolerance);
        Assert.All(TripletReference.Download(gradient), v => Assert.Equal(0.0, v));
    }

    [Fact]
    public void TripletSemiHard_LabelCountMismatch_Throws()
    {
        using Tensor embeddings = TripletReference.Upload(new float[6], 3, 2);
        using Tensor gradient = TripletReference.Upload(new float[6], 3, 2);

        Assert.Throws<ArgumentException>(() =>
            Cpu.TripletSemiHard(embeddings, [0, 0], Margin, NegativePolicy.SemiHardOrSkip, gradient, 1f));
    }

    // ---- the fused step against the double-precision reference -------------------------------------

    [Theory]
    [InlineData(NegativePolicy.SemiHardOrSkip, 6, 4, 6, 16, 1f, 11)]
    [InlineData(NegativePolicy.SemiHardOrHardest, 6, 4, 6, 16, 1f, 12)]
    [InlineData(NegativePolicy.SemiHardOrSkip, 5, 3, 0, 7, 0.5f, 13)]
    [InlineData(NegativePolicy.SemiHardOrHardest, 10, 7, 11, 12, 1f, 14)]
    public void TripletSemiHard_RandomBatch_MatchesNaive(NegativePolicy policy, int identities, int perIdentity,
        int extras, int d, float gradientScale, int seed)
    {
        int n = identities * perIdentity + extras;
        int[] labels = Enumerable.Range(0, n).Select(i => i < identities * perIdentity ? i % identities : -1).ToArray();
        float[] x = TripletReference.UnitRows(n, d, seed);
        using Tensor embeddings = TripletReference.Upload(x, n, d);
        using Tensor gradient = TripletReference.Upload(new float[n * d], n, d);

        TripletStats stats = Cpu.TripletSemiHard(embeddings, labels, Margin, policy, gradient, gradientScale);
        ReferenceResult expected = TripletReference.Mine(x.Select(v => (double)v).ToArray(), d, labels, Margin,
            policy, gradientScale);

        Assert.True(expected.Triplets.Count > 0, "The random batch must select some triplets to test anything.");
        Assert.Equal(expected.Pairs, stats.Pairs);
        Assert.Equal(expected.Triplets.Count, stats.Triplets);
        Assert.Equal(expected.ActiveTriplets, stats.ActiveTriplets);
        Assert.Equal(expected.Loss, stats.Loss, StatTolerance);
        Assert.Equal(expected.MeanPositiveDistance, stats.MeanPositiveDistance, StatTolerance);
        Assert.Equal(expected.MeanNegativeDistance, stats.MeanNegativeDistance, StatTolerance);
        Assert.Equal(expected.MeanPairwiseDistance, stats.MeanPairwiseDistance, StatTolerance);
        GradientCheck.AssertClose($"TripletSemiHard {policy} gradient", expected.Gradient,
            TripletReference.Download(gradient), GradientAbsTolerance, GradientRelTolerance);
    }

    [Theory]
    [InlineData(NegativePolicy.SemiHardOrSkip, 21)]
    [InlineData(NegativePolicy.SemiHardOrHardest, 22)]
    public void TripletSemiHard_Gradient_MatchesFiniteDifferences(NegativePolicy policy, int seed)
    {
        const int n = 20, d = 6;
        int[] labels = Enumerable.Range(0, n).Select(i => i < 16 ? i % 4 : -1).ToArray();
        float[] x = TripletReference.UnitRows(n, d, seed);
        using Tensor embeddings = TripletReference.Upload(x, n, d);
        using Tensor gradient = TripletReference.Upload(new float[n * d], n, d);

        Cpu.TripletSemiHard(embeddings, labels, Margin, policy, gradient, 1f);

        // With the selected triplets held fixed the loss is a smooth function of the embeddings away from
        // the hinge, so central differences of the double-precision loss give the gradient.
        double[] xd = x.Select(v => (double)v).ToArray();
        List<Triplet> triplets = TripletReference.Mine(xd, d, labels, Margin, policy).Triplets;
        Assert.True(triplets.Count > 0, "The random batch must select some triplets to test anything.");
        double[] numeric = GradientCheck.NumericGradient(
            inputs => [TripletReference.LossOnTriplets(inputs[0], d, triplets, Margin, null, 1, out _)],
            [xd], 0, [1f]);
        GradientCheck.AssertClose($"TripletSemiHard {policy} gradient vs finite differences", numeric,
            TripletReference.Download(gradient), 1e-4, 1e-3);
    }

    [Fact]
    public void TripletSemiHard_LargeBatch_BitIdenticalAcrossRuns()
    {
        // 96 rows take the parallel paths of the selection and of the gradient rows.
        const int n = 96, d = 32;
        int[] labels = Enumerable.Range(0, n).Select(i => i < 80 ? i % 10 : -1).ToArray();
        float[] x = TripletReference.UnitRows(n, d, seed: 31);
        using Tensor embeddings = TripletReference.Upload(x, n, d);
        using Tensor first = TripletReference.Upload(new float[n * d], n, d);
        using Tensor second = TripletReference.Upload(new float[n * d], n, d);

        TripletStats a = Cpu.TripletSemiHard(embeddings, labels, Margin, NegativePolicy.SemiHardOrHardest, first, 1f);
        TripletStats b = Cpu.TripletSemiHard(embeddings, labels, Margin, NegativePolicy.SemiHardOrHardest, second, 1f);

        Assert.True(a.Triplets > 0, "The batch must select some triplets to test anything.");
        Assert.Equal(a, b);
        Assert.Equal(TripletReference.Download(first), TripletReference.Download(second));
    }

    [Fact]
    public void TripletSemiHard_StridedViews_MatchContiguous()
    {
        const int n = 12, d = 5, wide = 9;
        int[] labels = Enumerable.Range(0, n).Select(i => i % 3).ToArray();
        float[] x = TripletReference.UnitRows(n, d, seed: 41);
        float[] padded = new float[n * wide];
        for (int i = 0; i < n; i++)
        {
            x.AsSpan(i * d, d).CopyTo(padded.AsSpan(i * wide + 2, d));
        }
        using Tensor contiguous = TripletReference.Upload(x, n, d);
        using Tensor contiguousGradient = TripletReference.Upload(new float[n * d], n, d);
        using Tensor widePadded = TripletReference.Upload(padded, n, wide);
        using Tensor wideGradient = TripletReference.Upload(Enumerable.Repeat(7f, n * wide).ToArray(), n, wide);
        Tensor view = widePadded.SliceChannels(2, d);
        Tensor gradientView = wideGradient.SliceChannels(3, d);

        TripletStats expected = Cpu.TripletSemiHard(contiguous, labels, Margin, NegativePolicy.SemiHardOrHardest,
            contiguousGradient, 1f);
        TripletStats actual = Cpu.TripletSemiHard(view, labels, Margin, NegativePolicy.SemiHardOrHardest,
            gradientView, 1f);
        double[] all = TripletReference.Download(wideGradient);

        Assert.Equal(expected, actual);
        Assert.Equal(TripletReference.Download(contiguousGradient), TripletReference.Download(gradientView));
        Assert.Equal(7.0, all[0]);
        Assert.Equal(7.0, all[wide - 1]);
    }

    // ---- distance matrix ---------------------------------------------------------------------------

    [Theory]
    [InlineData(1, 3)]
    [InlineData(7, 13)]
    [InlineData(33, 128)]
    public void PairwiseSquaredDistances_RandomRows_MatchReference(int n, int d)
    {
        float[] x = GradientCheck.RandomValues(n * d, seed: n + d);
        using Tensor embeddings = TripletReference.Upload(x, n, d);
        using Tensor distances = TripletReference.Upload(new float[n * n], n, n);

        Cpu.PairwiseSquaredDistances(embeddings, distances);
        double[] actual = TripletReference.Download(distances);

        double[] xd = x.Select(v => (double)v).ToArray();
        double[] expected = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                expected[i * n + j] = TripletReference.Distance(xd, d, i, j);
            }
        }
        GradientCheck.AssertClose("PairwiseSquaredDistances", expected, actual, 1e-5, 1e-5);
        for (int i = 0; i < n; i++)
        {
            Assert.Equal(0.0, actual[i * n + i]);
            for (int j = 0; j < i; j++)
            {
                Assert.Equal(actual[i * n + j], actual[j * n + i]);
            }
        }
    }
}
