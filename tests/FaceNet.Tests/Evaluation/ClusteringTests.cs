using FaceNet.Runtime.Evaluation;

namespace FaceNet.Tests.Evaluation;

public class ClusteringTests
{
    private static readonly float[][] LinePoints = [[0f], [1.0f], [2.1f], [3.3f]];

    private static (List<float[]> Points, List<string> Labels) FivePeople(int seed)
    {
        var random = new Random(seed);
        var points = new List<float[]>();
        var labels = new List<string>();
        for (int person = 0; person < 5; person++)
        {
            float[] centre = EmbeddingFixtures.RandomUnit(random, 128);
            for (int image = 0; image < 20; image++)
            {
                points.Add(EmbeddingFixtures.Near(random, centre, 0.3));
                labels.Add($"person{person}");
            }
        }
        return (points, labels);
    }

    [Theory]
    [InlineData(Linkage.Average)]
    [InlineData(Linkage.Complete)]
    public void Agglomerative_FivePeopleAtVerificationThreshold_FindsFiveClusters(Linkage linkage)
    {
        (List<float[]> points, List<string> labels) = FivePeople(31);

        ClusteringResult result = Clustering.Agglomerative(points, Threshold.SquaredL2(1.0), linkage);
        PairwiseScores scores = PairwiseScores.Compute(result.Assignments, labels);

        Assert.Equal(5, result.ClusterCount);
        Assert.Equal(1.0, scores.Precision);
        Assert.Equal(1.0, scores.Recall);
        Assert.Equal(1.0, scores.FMeasure);
        Assert.Equal(linkage, result.Linkage);
    }

    [Fact]
    public void Agglomerative_TinyThreshold_GivesSingletonsWithPerfectPrecision()
    {
        (List<float[]> points, List<string> labels) = FivePeople(32);

        ClusteringResult result = Clustering.Agglomerative(points, Threshold.SquaredL2(1e-9), Linkage.Average);
        PairwiseScores scores = PairwiseScores.Compute(result.Assignments, labels);

        Assert.Equal(100, result.ClusterCount);
        Assert.Equal(1.0, scores.Precision);
        Assert.Equal(0.0, scores.Recall);
        Assert.Equal(0.0, scores.FMeasure);
    }

    [Theory]
    [InlineData(Linkage.Single, new[] { 1.0, 1.1, 1.2 })]
    [InlineData(Linkage.Complete, new[] { 1.0, 1.2, 3.3 })]
    [InlineData(Linkage.Average, new[] { 1.0, 1.2, 2.2 })]
    public void Agglomerative_LinePoints_MergeHeightsMatchHandComputation(Linkage linkage, double[] expected)
    {
        // Points 0, 1.0, 2.1, 3.3 on a line. Complete: {0,1} at 1.0, {2.1,3.3} at 1.2, then 3.3 - 0.
        // Average: the last merge is the mean of 2.1, 3.3, 1.1 and 2.3, which is 2.2.
        ClusteringResult result = Clustering.Agglomerative(LinePoints, new Threshold(2.0, DistanceMetric.L2), linkage);

        double[] heights = result.Merges.Select(merge => merge.Height).ToArray();

        Assert.Equal(expected.Length, heights.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], heights[i], 5);
        }
    }

    [Theory]
    [InlineData(Linkage.Single, 2.0, 1)]
    [InlineData(Linkage.Average, 2.0, 2)]
    [InlineData(Linkage.Complete, 2.0, 2)]
    [InlineData(Linkage.Single, 2.25, 1)]
    [InlineData(Linkage.Average, 2.25, 1)]
    [InlineData(Linkage.Complete, 2.25, 2)]
    public void Agglomerative_LinePoints_LinkagesCutDifferently(Linkage linkage, double threshold, int expectedClusters)
    {
        ClusteringResult result = Clustering.Agglomerative(LinePoints, new Threshold(threshold, DistanceMetric.L2), linkage);

        Assert.Equal(expectedClusters, result.ClusterCount);
    }

    [Theory]
    [InlineData(Linkage.Single)]
    [InlineData(Linkage.Complete)]
    [InlineData(Linkage.Average)]
    public void BuildDendrogram_RandomPoints_MatchesNaiveClustering(Linkage linkage)
    {
        var random = new Random(33);
        List<float[]> points = Enumerable.Range(0, 40).Select(_ => EmbeddingFixtures.RandomUnit(random, 6)).ToList();

        ClusterMerge[] merges = Clustering.BuildDendrogram(Clustering.PairwiseDistances(points, DistanceMetric.SquaredL2), points.Count, linkage);
        double[] naive = NaiveMergeHeights(points, linkage);

        Assert.Equal(naive.Length, merges.Length);
        for (int i = 0; i < naive.Length; i++)
        {
            Assert.Equal(naive[i], merges[i].Height, 9);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void Agglomerative_ZeroOrOnePoint_GivesThatManyClusters(int count)
    {
        List<float[]> points = Enumerable.Range(0, count).Select(_ => new[] { 1f, 0f }).ToList();

        ClusteringResult result = Clustering.Agglomerative(points, Threshold.SquaredL2(1.0), Linkage.Average);

        Assert.Equal(count, result.ClusterCount);
        Assert.Equal(count, result.Assignments.Count);
        Assert.Empty(result.Merges);
    }

    [Fact]
    public void Agglomerative_NaNEmbedding_ThrowsNamingIndex()
    {
        float[][] points = [[1f, 0f], [0f, float.NaN]];

        var error = Assert.Throws<ArgumentException>(
            () => Clustering.Agglomerative(points, Threshold.SquaredL2(1.0), Linkage.Average));

        Assert.Contains("Embedding 1", error.Message);
    }

    [Fact]
    public void PairwiseScores_SmallCase_MatchesHandComputation()
    {
        // Cluster 0 contains a, a, b and cluster 1 contains b, b: 4 predicted pairs, 4 label pairs, 2 shared.
        PairwiseScores scores = PairwiseScores.Compute([0, 0, 0, 1, 1], ["a", "a", "b", "b", "b"]);

        Assert.Equal(2, scores.TruePositivePairs);
        Assert.Equal(4, scores.PredictedPairs);
        Assert.Equal(4, scores.LabelPairs);
        Assert.Equal(0.5, scores.Precision);
        Assert.Equal(0.5, scores.Recall);
        Assert.Equal(0.5, scores.FMeasure);
    }

    [Fact]
    public void PairwiseScores_LengthMismatch_Throws()
    {
        Assert.Throws<ArgumentException>(() => PairwiseScores.Compute([0, 1], ["a"]));
    }

    /// <summary>O(n^3) reference: repeatedly merge the closest pair of clusters by brute force.</summary>
    private static double[] NaiveMergeHeights(List<float[]> points, Linkage linkage)
    {
        var clusters = points.Select((_, i) => new List<int> { i }).ToList();
        var heights = new List<double>();
        while (clusters.Count > 1)
        {
            (int a, int b, double best) = (-1, -1, double.PositiveInfinity);
            for (int i = 0; i < clusters.Count; i++)
            {
                for (int j = i + 1; j < clusters.Count; j++)
                {
                    double[] cross = clusters[i]
                        .SelectMany(p => clusters[j].Select(q => Distances.SquaredL2(points[p], points[q])))
                        .ToArray();
                    double distance = linkage switch
                    {
                        Linkage.Single => cross.Min(),
                        Linkage.Complete => cross.Max(),
                        _ => cross.Average(),
                    };
                    if (distance < best)
                    {
                        (a, b, best) = (i, j, distance);
                    }
                }
            }
            clusters[a].AddRange(clusters[b]);
            clusters.RemoveAt(b);
            heights.Add(best);
        }
        heights.Sort();
        return heights.ToArray();
    }
}
