using FaceNet.Runtime.Evaluation;

namespace FaceNet.Tests.Evaluation;

public class DistancesTests
{
    private static float[] RandomUnitVector(Random random, int dimension)
    {
        var vector = new float[dimension];
        double norm = 0;
        for (int i = 0; i < dimension; i++)
        {
            vector[i] = (float)(random.NextDouble() * 2 - 1);
            norm += vector[i] * vector[i];
        }
        for (int i = 0; i < dimension; i++)
        {
            vector[i] = (float)(vector[i] / Math.Sqrt(norm));
        }
        return vector;
    }

    [Fact]
    public void Distances_SmallVectors_MatchHandComputation()
    {
        float[] a = [1, 0, 0];
        float[] b = [0, 1, 0];

        Assert.Equal(2.0, Distances.SquaredL2(a, b), 12);
        Assert.Equal(Math.Sqrt(2.0), Distances.L2(a, b), 12);
        Assert.Equal(0.0, Distances.CosineSimilarity(a, b), 12);
        Assert.Equal(1.0, Distances.CosineDistance(a, b), 12);
    }

    [Fact]
    public void SquaredL2_UnitVectors_MatchesCosine()
    {
        var random = new Random(11);
        for (int trial = 0; trial < 20; trial++)
        {
            float[] a = RandomUnitVector(random, 128);
            float[] b = RandomUnitVector(random, 128);
            double cosine = Distances.CosineSimilarity(a, b);

            Assert.Equal(Distances.SquaredL2(a, b), Distances.SquaredL2FromCosineSimilarity(cosine), 5);
            Assert.Equal(Distances.CosineDistance(a, b), Distances.Convert(Distances.SquaredL2(a, b), DistanceMetric.SquaredL2, DistanceMetric.CosineDistance), 5);
        }
    }

    [Fact]
    public void CosineSimilarity_ZeroVector_IsZero()
    {
        float[] zero = [0, 0];
        float[] other = [1, 2];

        Assert.Equal(0.0, Distances.CosineSimilarity(zero, other));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(128)]
    [InlineData(131)]
    public void SquaredL2_OddLengths_MatchesDoubleReference(int length)
    {
        var random = new Random(length);
        float[] a = Enumerable.Range(0, length).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        float[] b = Enumerable.Range(0, length).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        double reference = 0;
        for (int i = 0; i < length; i++)
        {
            reference += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
        }

        double actual = Distances.SquaredL2(a, b);

        // Only the summation order differs from the reference, so the error is a few double ulps.
        Assert.Equal(reference, actual, 1e-12 * Math.Max(1, reference));
    }

    [Fact]
    public void Distances_LengthMismatch_Throws()
    {
        var error = Assert.Throws<ArgumentException>(() => Distances.SquaredL2(new float[3], new float[4]));

        Assert.Contains("3", error.Message);
        Assert.Contains("4", error.Message);
    }

    [Theory]
    [InlineData(DistanceMetric.SquaredL2)]
    [InlineData(DistanceMetric.L2)]
    [InlineData(DistanceMetric.CosineDistance)]
    [InlineData(DistanceMetric.CosineSimilarity)]
    public void Threshold_RoundTripThroughEveryMetric_IsExact(DistanceMetric metric)
    {
        Threshold original = Threshold.SquaredL2(1.242);

        Threshold back = original.To(metric).To(DistanceMetric.SquaredL2);

        Assert.Equal(DistanceMetric.SquaredL2, back.Metric);
        Assert.Equal(1.242, back.Value, 14);
    }

    [Fact]
    public void Threshold_ToCosine_UsesOneMinusHalf()
    {
        Threshold cosine = Threshold.SquaredL2(1.242).To(DistanceMetric.CosineSimilarity);

        Assert.Equal(DistanceMetric.CosineSimilarity, cosine.Metric);
        Assert.Equal(1 - 1.242 / 2, cosine.Value, 15);
    }

    [Fact]
    public void Threshold_Accepts_RespectsSimilarityDirection()
    {
        var distance = Threshold.SquaredL2(1.0);
        Threshold similarity = distance.To(DistanceMetric.CosineSimilarity);

        Assert.True(distance.Accepts(0.9));
        Assert.False(distance.Accepts(1.1));
        Assert.True(similarity.Accepts(0.6));
        Assert.False(similarity.Accepts(0.4));
    }

    [Fact]
    public void Threshold_AcceptsSamePairsInEveryMetric()
    {
        var random = new Random(5);
        Threshold squared = Threshold.SquaredL2(1.0);
        for (int trial = 0; trial < 50; trial++)
        {
            float[] a = RandomUnitVector(random, 8);
            float[] b = RandomUnitVector(random, 8);
            bool expected = squared.Accepts(Distances.SquaredL2(a, b));
            foreach (DistanceMetric metric in Enum.GetValues<DistanceMetric>())
            {
                double score = Distances.Compute(metric, a, b);
                // Pairs within float rounding of the boundary may fall either way.
                if (Math.Abs(Distances.SquaredL2(a, b) - 1.0) > 1e-5)
                {
                    Assert.Equal(expected, squared.To(metric).Accepts(score));
                }
            }
        }
    }

    [Fact]
    public void Threshold_ToString_NamesMetric()
    {
        Assert.Equal("1.242 (squared L2)", Threshold.SquaredL2(1.242).ToString());
    }

    [Fact]
    public void Threshold_NegativeSquaredToL2_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Threshold.SquaredL2(-0.5).To(DistanceMetric.L2));
    }
}
