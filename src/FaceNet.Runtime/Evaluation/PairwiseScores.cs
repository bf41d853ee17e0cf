namespace FaceNet.Runtime.Evaluation;

/// <summary>
/// Pairwise clustering scores. Over all unordered point pairs: precision = pairs placed together that
/// share a label / pairs placed together; recall = the same count / pairs that share a label; F-measure =
/// 2PR / (P + R). With no pair placed together precision is 1, with no pair sharing a label recall is 1,
/// and F is 0 when P + R = 0.
/// </summary>
public sealed record PairwiseScores(
    double Precision,
    double Recall,
    double FMeasure,
    long TruePositivePairs,
    long PredictedPairs,
    long LabelPairs)
{
    /// <summary>Scores cluster <paramref name="assignments"/> against true <paramref name="labels"/>.</summary>
    /// <exception cref="ArgumentException">The two lists differ in length.</exception>
    public static PairwiseScores Compute(IReadOnlyList<int> assignments, IReadOnlyList<string> labels)
    {
        ArgumentNullException.ThrowIfNull(assignments);
        ArgumentNullException.ThrowIfNull(labels);
        if (assignments.Count != labels.Count)
        {
            throw new ArgumentException(
                $"Got {assignments.Count} cluster assignments but {labels.Count} labels; give one label per point.");
        }

        // Pair counts follow from the contingency table: a group of c points contains c (c - 1) / 2 pairs.
        var cells = new Dictionary<(int, string), long>();
        var clusters = new Dictionary<int, long>();
        var classes = new Dictionary<string, long>(StringComparer.Ordinal);
        for (int i = 0; i < labels.Count; i++)
        {
            cells[(assignments[i], labels[i])] = cells.GetValueOrDefault((assignments[i], labels[i])) + 1;
            clusters[assignments[i]] = clusters.GetValueOrDefault(assignments[i]) + 1;
            classes[labels[i]] = classes.GetValueOrDefault(labels[i]) + 1;
        }
        long truePositives = cells.Values.Sum(PairCount);
        long predicted = clusters.Values.Sum(PairCount);
        long labelPairs = classes.Values.Sum(PairCount);

        double precision = predicted == 0 ? 1.0 : (double)truePositives / predicted;
        double recall = labelPairs == 0 ? 1.0 : (double)truePositives / labelPairs;
        double f = precision + recall == 0 ? 0.0 : 2 * precision * recall / (precision + recall);
        return new PairwiseScores(precision, recall, f, truePositives, predicted, labelPairs);
    }

    private static long PairCount(long count) => count * (count - 1) / 2;
}
