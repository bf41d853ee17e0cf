using FaceNet.Runtime.Evaluation;

namespace FaceNet.Tests.Evaluation;

public class IdentificationTests
{
    private const int Dimension = 128;

    private static (List<LabeledEmbedding> Gallery, Dictionary<string, float[]> Centres) TenPersonGallery(Random random)
    {
        var gallery = new List<LabeledEmbedding>();
        var centres = new Dictionary<string, float[]>();
        for (int person = 0; person < 10; person++)
        {
            string label = $"person{person}";
            centres[label] = EmbeddingFixtures.RandomUnit(random, Dimension);
            for (int image = 0; image < 3; image++)
            {
                gallery.Add(new LabeledEmbedding(label, EmbeddingFixtures.Near(random, centres[label], 0.2)));
            }
        }
        return (gallery, centres);
    }

    [Fact]
    public void Identify_ProbeFromEleventhPerson_IsUnknown()
    {
        var random = new Random(21);
        (List<LabeledEmbedding> gallery, _) = TenPersonGallery(random);
        var identification = new Identification(gallery, Threshold.SquaredL2(1.0));
        float[] stranger = EmbeddingFixtures.RandomUnit(random, Dimension);

        IdentificationMatch match = identification.Identify(stranger);

        Assert.True(match.IsUnknown);
        Assert.Null(match.Label);
        Assert.True(match.Distance > 1.0, $"Nearest squared L2 distance {match.Distance} should exceed the threshold 1.0.");
    }

    [Fact]
    public void Identify_ClosedSet_NamesNearestEvenForStranger()
    {
        var random = new Random(21);
        (List<LabeledEmbedding> gallery, _) = TenPersonGallery(random);
        var identification = new Identification(gallery, threshold: null);

        IdentificationMatch match = identification.Identify(EmbeddingFixtures.RandomUnit(random, Dimension));

        Assert.False(match.IsUnknown);
    }

    [Fact]
    public void Identify_KnownProbe_ReturnsItsLabel()
    {
        var random = new Random(22);
        (List<LabeledEmbedding> gallery, Dictionary<string, float[]> centres) = TenPersonGallery(random);
        var identification = new Identification(gallery, Threshold.SquaredL2(1.0), neighbours: 3);

        IdentificationMatch match = identification.Identify(EmbeddingFixtures.Near(random, centres["person4"], 0.2));

        Assert.Equal("person4", match.Label);
    }

    [Fact]
    public void Identify_CosineThreshold_MatchesSquaredL2Decision()
    {
        var random = new Random(23);
        (List<LabeledEmbedding> gallery, Dictionary<string, float[]> centres) = TenPersonGallery(random);
        Threshold squared = Threshold.SquaredL2(1.0);
        var bySquared = new Identification(gallery, squared);
        var byCosine = new Identification(gallery, squared.To(DistanceMetric.CosineSimilarity));

        float[] known = EmbeddingFixtures.Near(random, centres["person2"], 0.2);
        float[] stranger = EmbeddingFixtures.RandomUnit(random, Dimension);

        Assert.Equal(bySquared.Identify(known).Label, byCosine.Identify(known).Label);
        Assert.Equal(bySquared.Identify(stranger).Label, byCosine.Identify(stranger).Label);
    }

    [Fact]
    public void Identify_KnnVote_OutvotesSingleNearestNeighbour()
    {
        // One "b" point is nearest to the probe, but two "a" points come next, so k = 3 returns "a".
        LabeledEmbedding[] gallery =
        [
            new("b", [0.10f, 0]),
            new("a", [0.20f, 0]),
            new("a", [0.25f, 0]),
            new("b", [5.00f, 0]),
        ];

        Assert.Equal("b", new Identification(gallery, null, neighbours: 1).Identify([0f, 0]).Label);
        Assert.Equal("a", new Identification(gallery, null, neighbours: 3).Identify([0f, 0]).Label);
    }

    [Fact]
    public void Evaluate_OpenSet_ComputesRates()
    {
        var random = new Random(24);
        (List<LabeledEmbedding> gallery, Dictionary<string, float[]> centres) = TenPersonGallery(random);
        var identification = new Identification(gallery, Threshold.SquaredL2(1.0));
        var probes = new List<LabeledEmbedding>();
        foreach ((string label, float[] centre) in centres)
        {
            probes.Add(new LabeledEmbedding(label, EmbeddingFixtures.Near(random, centre, 0.2)));
        }
        for (int stranger = 0; stranger < 5; stranger++)
        {
            probes.Add(new LabeledEmbedding($"stranger{stranger}", EmbeddingFixtures.RandomUnit(random, Dimension)));
        }

        IdentificationMetrics metrics = identification.Evaluate(probes);

        Assert.Equal(10, metrics.KnownProbes);
        Assert.Equal(5, metrics.UnknownProbes);
        Assert.Equal(1.0, metrics.Top1Accuracy);
        Assert.Equal(1.0, metrics.DetectionAndIdentificationRate);
        Assert.Equal(0.0, metrics.FalseAcceptRate);
    }

    [Fact]
    public void Evaluate_ThresholdTooTight_LowersDetectionNotTop1()
    {
        var random = new Random(25);
        (List<LabeledEmbedding> gallery, Dictionary<string, float[]> centres) = TenPersonGallery(random);
        var identification = new Identification(gallery, Threshold.SquaredL2(1e-6));
        List<LabeledEmbedding> probes = centres
            .Select(entry => new LabeledEmbedding(entry.Key, EmbeddingFixtures.Near(random, entry.Value, 0.2)))
            .ToList();

        IdentificationMetrics metrics = identification.Evaluate(probes);

        Assert.Equal(1.0, metrics.Top1Accuracy);
        Assert.Equal(0.0, metrics.DetectionAndIdentificationRate);
        Assert.True(double.IsNaN(metrics.FalseAcceptRate));
    }

    [Fact]
    public void Constructor_MixedDimensions_Throws()
    {
        LabeledEmbedding[] gallery = [new("a", new float[4]), new("b", new float[5])];

        var error = Assert.Throws<ArgumentException>(() => new Identification(gallery, null));

        Assert.Contains("'b'", error.Message);
    }
}
