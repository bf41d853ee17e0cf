namespace FaceNet.Runtime.Evaluation;

/// <summary>
/// Threshold choices on a set of training pairs. Candidate thresholds lie at the midpoint of each gap
/// between adjacent distinct training distances, away from every training value, so a small shift of a
/// test distance near a training value does not flip its decision. The exceptions are the accept-all
/// threshold (the largest distance) and gaps between two adjacent doubles (the lower value).
/// </summary>
public static class ThresholdSelection
{
    /// <summary>
    /// Chooses the squared L2 threshold that maximises accuracy on <paramref name="training"/>, where a
    /// pair counts as "same" when its distance is at or below the threshold. When several gaps give the
    /// same maximum, the lowest one is taken. Rejecting everything yields a threshold just below the
    /// smallest distance, and accepting everything yields the largest distance.
    /// </summary>
    /// <returns>The threshold and the training accuracy it reaches.</returns>
    /// <exception cref="ArgumentException">The training set is empty or a distance is NaN.</exception>
    public static (double Threshold, double Accuracy) MaximiseAccuracy(IReadOnlyList<ScoredPair> training)
    {
        ScoredPair[] sorted = RocCurve.SortByDistance(training);
        if (sorted.Length == 0)
        {
            throw new ArgumentException("Cannot choose a threshold from an empty set of training pairs.", nameof(training));
        }
        int differentCount = sorted.Count(pair => !pair.IsSame);

        // Cut 0 rejects everything: every different-identity pair is correct.
        int bestCorrect = differentCount;
        double bestThreshold = Math.BitDecrement(sorted[0].SquaredDistance);
        int correct = differentCount;
        int index = 0;
        while (index < sorted.Length)
        {
            double distance = sorted[index].SquaredDistance;
            while (index < sorted.Length && sorted[index].SquaredDistance == distance)
            {
                correct += sorted[index].IsSame ? 1 : -1;
                index++;
            }
            if (correct > bestCorrect)
            {
                bestCorrect = correct;
                bestThreshold = index < sorted.Length ? Midpoint(distance, sorted[index].SquaredDistance) : distance;
            }
        }
        return (bestThreshold, (double)bestCorrect / sorted.Length);
    }

    /// <summary>
    /// Chooses the largest squared L2 threshold whose false accept rate on <paramref name="training"/> is
    /// at most <paramref name="targetFar"/>, which maximises the training VAL under that constraint. With
    /// m the largest count such that m / P_diff &lt;= targetFar, the threshold is the midpoint of the gap
    /// just below the (m+1)-th smallest different-identity distance.
    /// </summary>
    /// <exception cref="ArgumentException">The training set has no different-identity pair, or a distance
    /// is NaN.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="targetFar"/> is outside [0, 1].</exception>
    public static double MaximiseValAtFar(IReadOnlyList<ScoredPair> training, double targetFar)
    {
        if (!(targetFar >= 0 && targetFar <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(targetFar), targetFar, "The target FAR must lie in [0, 1].");
        }
        ScoredPair[] sorted = RocCurve.SortByDistance(training);
        double[] different = sorted.Where(pair => !pair.IsSame).Select(pair => pair.SquaredDistance).ToArray();
        if (different.Length == 0)
        {
            throw new ArgumentException(
                "Cannot choose a threshold for a target FAR without different-identity training pairs.", nameof(training));
        }

        int allowed = AllowedFalseAccepts(different.Length, targetFar);
        if (allowed >= different.Length)
        {
            return sorted[^1].SquaredDistance;
        }

        // The threshold must stay below this distance, or it would accept one different pair too many.
        double bound = different[allowed];
        int below = Array.FindLastIndex(sorted, pair => pair.SquaredDistance < bound);
        return below < 0 ? Math.BitDecrement(bound) : Midpoint(sorted[below].SquaredDistance, bound);
    }

    /// <summary>Returns the largest m with m / <paramref name="differentCount"/> &lt;= target, compared in double.</summary>
    internal static int AllowedFalseAccepts(int differentCount, double targetFar)
    {
        int allowed = (int)Math.Floor(targetFar * differentCount);
        while (allowed < differentCount && (double)(allowed + 1) / differentCount <= targetFar)
        {
            allowed++;
        }
        while (allowed > 0 && (double)allowed / differentCount > targetFar)
        {
            allowed--;
        }
        return allowed;
    }

    /// <summary>Returns a value in [low, high) halfway between them, or low when no double lies between.</summary>
    private static double Midpoint(double low, double high)
    {
        double middle = low + (high - low) / 2;
        return middle >= low && middle < high ? middle : low;
    }
}
