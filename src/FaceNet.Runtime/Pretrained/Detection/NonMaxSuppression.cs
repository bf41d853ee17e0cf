namespace FaceNet.Runtime.Pretrained;

/// <summary>Greedy non-maximum suppression over scored boxes.</summary>
public static class NonMaxSuppression
{
    /// <summary>
    /// Selects boxes greedily: candidates are the boxes whose score is above <paramref name="scoreThreshold"/>,
    /// visited from the highest score down (equal scores in index order); a candidate is kept when its
    /// intersection over union with every box kept so far is at most <paramref name="iouThreshold"/>, until
    /// <paramref name="maxCount"/> boxes are kept.
    /// </summary>
    /// <returns>Indices of the kept boxes, highest score first.</returns>
    /// <exception cref="ArgumentException">The lists differ in length, a threshold is NaN, or maxCount is negative.</exception>
    public static int[] Select(IReadOnlyList<FaceBox> boxes, IReadOnlyList<double> scores, double iouThreshold,
        double scoreThreshold = double.NegativeInfinity, int maxCount = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(boxes);
        ArgumentNullException.ThrowIfNull(scores);
        if (boxes.Count != scores.Count)
        {
            throw new ArgumentException(
                $"Non-maximum suppression got {boxes.Count} boxes but {scores.Count} scores; pass one score per box.",
                nameof(scores));
        }
        if (double.IsNaN(iouThreshold) || double.IsNaN(scoreThreshold))
        {
            throw new ArgumentException("Non-maximum suppression thresholds must not be NaN.", nameof(iouThreshold));
        }
        ArgumentOutOfRangeException.ThrowIfNegative(maxCount);

        var candidates = new List<int>();
        for (int i = 0; i < scores.Count; i++)
        {
            if (scores[i] > scoreThreshold)
            {
                candidates.Add(i);
            }
        }

        // A stable order: descending score, then ascending index.
        candidates.Sort((a, b) =>
        {
            int byScore = scores[b].CompareTo(scores[a]);
            return byScore != 0 ? byScore : a.CompareTo(b);
        });

        var kept = new List<int>();
        foreach (int candidate in candidates)
        {
            if (kept.Count >= maxCount)
            {
                break;
            }
            bool suppressed = false;
            foreach (int keeper in kept)
            {
                if (boxes[candidate].IntersectionOverUnion(boxes[keeper]) > iouThreshold)
                {
                    suppressed = true;
                    break;
                }
            }
            if (!suppressed)
            {
                kept.Add(candidate);
            }
        }
        return kept.ToArray();
    }
}
