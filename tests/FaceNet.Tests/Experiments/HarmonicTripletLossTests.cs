using FaceNet.Runtime.Experiments;

namespace FaceNet.Tests.Experiments;

public sealed class HarmonicTripletLossTests
{
    private const float Margin = 0.2f;

    private static float[] RandomUnitRows(int rows, int dimension, int seed)
    {
        var random = new Random(seed);
        var values = new float[rows * dimension];
        for (int r = 0; r < rows; r++)
        {
            double norm = 0;
            for (int d = 0; d < dimension; d++)
            {
                values[r * dimension + d] = (float)(random.NextDouble() * 2 - 1);
                norm += values[r * dimension + d] * values[r * dimension + d];
            }
            for (int d = 0; d < dimension; d++)
            {
                values[r * dimension + d] = (float)(values[r * dimension + d] / Math.Sqrt(norm));
            }
        }
        return values;
    }

    /// <summary>Mean hinge over fixed triplets of the pool (learned rows, then frozen rows), in double.</summary>
    private static double ReferenceLoss(double[] learned, float[] frozen, IReadOnlyList<PooledTriplet> triplets,
        int rows, int dimension)
    {
        double Value(int row, int d) => row < rows ? learned[row * dimension + d] : frozen[(row - rows) * dimension + d];
        double Distance(int i, int j)
        {
            double sum = 0;
            for (int d = 0; d < dimension; d++)
            {
                double diff = Value(i, d) - Value(j, d);
                sum += diff * diff;
            }
            return sum;
        }
        double total = 0;
        foreach (PooledTriplet t in triplets)
        {
            total += Math.Max(Distance(t.Anchor, t.Positive) - Distance(t.Anchor, t.Negative) + Margin, 0);
        }
        return total / triplets.Count;
    }

    [Fact]
    public void Evaluate_LearnedGradient_MatchesFiniteDifferences()
    {
        const int rows = 8, dimension = 5;
        int[] labels = [0, 0, 1, 1, 2, 2, 3, -1];
        float[] learned = RandomUnitRows(rows, dimension, seed: 11);
        float[] frozen = RandomUnitRows(rows, dimension, seed: 12);

        HarmonicLossResult result = HarmonicTripletLoss.Evaluate(learned, frozen, labels, dimension, Margin);
        Assert.NotEmpty(result.Triplets);

        double[] point = learned.Select(v => (double)v).ToArray();
        const double h = 1e-5;
        for (int i = 0; i < point.Length; i++)
        {
            double saved = point[i];
            point[i] = saved + h;
            double plus = ReferenceLoss(point, frozen, result.Triplets, rows, dimension);
            point[i] = saved - h;
            double minus = ReferenceLoss(point, frozen, result.Triplets, rows, dimension);
            point[i] = saved;
            double numeric = (plus - minus) / (2 * h);

            // The analytic gradient is formed in double and rounded to float once.
            Assert.True(Math.Abs(numeric - result.LearnedGradient[i]) <= 1e-5 + 1e-4 * Math.Abs(numeric),
                $"learned value {i}: analytic {result.LearnedGradient[i]}, numeric {numeric}");
        }
        Assert.Equal(ReferenceLoss(point, frozen, result.Triplets, rows, dimension), result.Stats.Loss, 5);
    }

    [Fact]
    public void Evaluate_EveryTriplet_HasLearnedMember()
    {
        const int rows = 12, dimension = 6;
        int[] labels = [0, 0, 0, 1, 1, 1, 2, 2, 3, 3, -1, -1];
        float[] learned = RandomUnitRows(rows, dimension, seed: 3);
        float[] frozen = RandomUnitRows(rows, dimension, seed: 4);

        HarmonicLossResult result = HarmonicTripletLoss.Evaluate(learned, frozen, labels, dimension, Margin);

        Assert.NotEmpty(result.Triplets);
        Assert.All(result.Triplets, t => Assert.True(t.Anchor < rows || t.Positive < rows || t.Negative < rows,
            $"triplet {t} has only frozen rows"));
    }

    [Fact]
    public void SelectTriplets_FrozenPair_TakesLearnedNegative()
    {
        // Pool: learned rows 0 (label 0) and 1 (label 1); frozen rows 2 (label 0), 3 (label 0), 4 (label 1).
        // For the frozen pair (2, 3), frozen row 4 is the closest semi-hard negative, but a triplet of frozen
        // rows gives no gradient, so learned row 1 must be chosen.
        int[] labels = [0, 1, 0, 0, 1];
        var distances = new double[5, 5];
        void Set(int i, int j, double v)
        {
            distances[i, j] = v;
            distances[j, i] = v;
        }
        for (int i = 0; i < 5; i++)
        {
            for (int j = i + 1; j < 5; j++)
            {
                Set(i, j, 3.0);
            }
        }
        Set(2, 3, 0.5);
        Set(2, 4, 0.55);
        Set(2, 1, 0.6);

        List<PooledTriplet> triplets = HarmonicTripletLoss.SelectTriplets(distances, labels, learnedRows: 2, Margin, out _);

        Assert.Contains(new PooledTriplet(2, 3, 1), triplets);
        Assert.DoesNotContain(new PooledTriplet(2, 3, 4), triplets);
    }

    [Fact]
    public void SelectTriplets_SameImageAcrossModels_IsAPair()
    {
        // Learned row 0 and frozen row 2 are the same image (label 0); row 1 (label 1) sits just beyond.
        int[] labels = [0, 1, 0, 1];
        var distances = new double[4, 4];
        for (int i = 0; i < 4; i++)
        {
            for (int j = 0; j < 4; j++)
            {
                distances[i, j] = i == j ? 0 : 3.0;
            }
        }
        distances[0, 2] = distances[2, 0] = 0.3;
        distances[0, 1] = distances[1, 0] = 0.4;

        List<PooledTriplet> triplets = HarmonicTripletLoss.SelectTriplets(distances, labels, learnedRows: 2, Margin,
            out int pairs);

        Assert.Contains(new PooledTriplet(0, 2, 1), triplets);
        Assert.Equal(4, pairs);
    }

    [Fact]
    public void Evaluate_NoTriplet_GivesZeroLossAndGradient()
    {
        // One identity only: no negative exists.
        const int dimension = 3;
        float[] learned = RandomUnitRows(2, dimension, seed: 1);
        float[] frozen = RandomUnitRows(2, dimension, seed: 2);

        HarmonicLossResult result = HarmonicTripletLoss.Evaluate(learned, frozen, [0, 0], dimension, Margin);

        Assert.Empty(result.Triplets);
        Assert.Equal(0f, result.Stats.Loss);
        Assert.All(result.LearnedGradient, g => Assert.Equal(0f, g));
    }

    [Fact]
    public void Evaluate_WrongLength_Throws()
    {
        Assert.Throws<ArgumentException>(() =>
            HarmonicTripletLoss.Evaluate(new float[6], new float[4], [0, 1], 3, Margin));
    }
}
