namespace FaceNet.Runtime.Evaluation;

/// <summary>
/// k-nearest-neighbour identification over a labelled gallery. The k nearest gallery embeddings vote;
/// ties between labels go to the label with the nearest member. The probe is "unknown" when the nearest
/// member of the winning label is farther than the threshold (for cosine similarity: less similar).
/// Distances use the threshold's metric, so a squared L2 threshold compares squared L2 distances.
/// </summary>
public sealed class Identification
{
    private readonly LabeledEmbedding[] _gallery;

    /// <summary>Creates an identifier over <paramref name="gallery"/>.</summary>
    /// <param name="gallery">Labelled embeddings, all of the same dimension.</param>
    /// <param name="threshold">Open-set rejection threshold; null never returns "unknown".</param>
    /// <param name="neighbours">k, the number of nearest gallery embeddings that vote.</param>
    /// <exception cref="ArgumentException">The gallery is empty or mixes dimensions.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="neighbours"/> is below 1.</exception>
    public Identification(IReadOnlyList<LabeledEmbedding> gallery, Threshold? threshold, int neighbours = 1)
    {
        ArgumentNullException.ThrowIfNull(gallery);
        if (gallery.Count == 0)
        {
            throw new ArgumentException("An identification gallery needs at least one embedding.", nameof(gallery));
        }
        int dimension = gallery[0].Vector.Length;
        for (int i = 1; i < gallery.Count; i++)
        {
            if (gallery[i].Vector.Length != dimension)
            {
                throw new ArgumentException(
                    $"Gallery embedding {i} ('{gallery[i].Label}') has {gallery[i].Vector.Length} dimensions, " +
                    $"but embedding 0 has {dimension}; all gallery embeddings must come from one model.", nameof(gallery));
            }
        }
        if (neighbours < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(neighbours), neighbours, "k must be at least 1.");
        }

        _gallery = gallery.ToArray();
        Threshold = threshold;
        Neighbours = neighbours;
        Metric = threshold?.Metric ?? DistanceMetric.SquaredL2;
    }

    /// <summary>Open-set rejection threshold, or null for closed-set identification.</summary>
    public Threshold? Threshold { get; }

    /// <summary>k, the number of voting neighbours.</summary>
    public int Neighbours { get; }

    /// <summary>Metric of every distance this identifier computes: the threshold's, or squared L2.</summary>
    public DistanceMetric Metric { get; }

    /// <summary>Identities present in the gallery.</summary>
    public IReadOnlySet<string> Labels => _gallery.Select(entry => entry.Label).ToHashSet(StringComparer.Ordinal);

    /// <summary>Identifies one probe embedding.</summary>
    /// <exception cref="ArgumentException">The probe's dimension differs from the gallery's.</exception>
    public IdentificationMatch Identify(ReadOnlySpan<float> probe)
    {
        if (probe.Length != _gallery[0].Vector.Length)
        {
            throw new ArgumentException(
                $"Probe has {probe.Length} dimensions but the gallery has {_gallery[0].Vector.Length}.", nameof(probe));
        }

        bool similarity = Distances.IsSimilarity(Metric);
        var scored = new (double Distance, string Label)[_gallery.Length];
        for (int i = 0; i < _gallery.Length; i++)
        {
            double score = Distances.Compute(Metric, probe, _gallery[i].Vector);

            // Sort key: smaller is nearer, so similarities are negated.
            scored[i] = (similarity ? -score : score, _gallery[i].Label);
        }
        Array.Sort(scored, (a, b) => a.Distance.CompareTo(b.Distance));

        int k = Math.Min(Neighbours, scored.Length);
        var votes = new Dictionary<string, (int Count, double Nearest)>(StringComparer.Ordinal);
        for (int i = 0; i < k; i++)
        {
            (double distance, string label) = scored[i];
            votes[label] = votes.TryGetValue(label, out var vote)
                ? (vote.Count + 1, vote.Nearest)
                : (1, distance);
        }
        (string winner, (int _, double nearestKey)) = votes
            .OrderByDescending(entry => entry.Value.Count)
            .ThenBy(entry => entry.Value.Nearest)
            .Select(entry => (entry.Key, entry.Value))
            .First();

        double nearest = similarity ? -nearestKey : nearestKey;
        bool accepted = Threshold is null || Threshold.Accepts(nearest);
        return new IdentificationMatch(accepted ? winner : null, winner, nearest);
    }

    /// <summary>
    /// Identifies every probe and computes the closed-set and open-set rates. A probe is "known" when its
    /// label occurs in the gallery.
    /// </summary>
    public IdentificationMetrics Evaluate(IReadOnlyList<LabeledEmbedding> probes)
    {
        ArgumentNullException.ThrowIfNull(probes);
        IReadOnlySet<string> known = Labels;
        int knownCount = 0;
        int unknownCount = 0;
        int closedSetCorrect = 0;
        int detectedAndIdentified = 0;
        int falseAccepts = 0;

        foreach (LabeledEmbedding probe in probes)
        {
            IdentificationMatch match = Identify(probe.Vector);
            if (known.Contains(probe.Label))
            {
                knownCount++;
                closedSetCorrect += match.PredictedLabel == probe.Label ? 1 : 0;
                detectedAndIdentified += match.Label == probe.Label ? 1 : 0;
            }
            else
            {
                unknownCount++;
                falseAccepts += match.IsUnknown ? 0 : 1;
            }
        }

        return new IdentificationMetrics(
            knownCount,
            unknownCount,
            Ratio(closedSetCorrect, knownCount),
            Ratio(detectedAndIdentified, knownCount),
            Ratio(falseAccepts, unknownCount),
            Threshold);
    }

    private static double Ratio(int count, int total) => total == 0 ? double.NaN : (double)count / total;
}
