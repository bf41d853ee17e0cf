namespace FaceNet.Runtime.Evaluation;

/// <summary>
/// Threshold-free summaries of a set of scored pairs: the ROC curve over every distinct distance, its
/// exact area and the equal error rate.
/// </summary>
public static class RocCurve
{
    /// <summary>
    /// Computes the ROC curve with one point per distinct distance, preceded by the point (0, 0) whose
    /// threshold lies just below the smallest distance. Pairs with equal distances are accepted together,
    /// so a group of ties that contains both kinds of pairs moves the curve diagonally.
    /// </summary>
    /// <exception cref="ArgumentException">There is no same-identity or no different-identity pair, or a
    /// distance is NaN.</exception>
    public static IReadOnlyList<RocPoint> Compute(IReadOnlyList<ScoredPair> pairs)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        ScoredPair[] sorted = SortByDistance(pairs);
        (int sameCount, int differentCount) = CountKinds(sorted, "ROC curve");

        var points = new List<RocPoint>(sorted.Length + 1)
        {
            new(Math.BitDecrement(sorted[0].SquaredDistance), 0, 0),
        };
        int sameAccepted = 0;
        int differentAccepted = 0;
        int index = 0;
        while (index < sorted.Length)
        {
            double distance = sorted[index].SquaredDistance;
            while (index < sorted.Length && sorted[index].SquaredDistance == distance)
            {
                if (sorted[index].IsSame)
                {
                    sameAccepted++;
                }
                else
                {
                    differentAccepted++;
                }
                index++;
            }
            points.Add(new RocPoint(distance, (double)differentAccepted / differentCount, (double)sameAccepted / sameCount));
        }
        return points;
    }

    /// <summary>
    /// Computes the area under a ROC curve by the trapezoid rule. On a curve from <see cref="Compute"/> this
    /// equals P(D_same &lt; D_diff) + P(D_same = D_diff) / 2 over all same/different pairs of pairs, the
    /// Mann-Whitney statistic with ties counted half.
    /// </summary>
    public static double Area(IReadOnlyList<RocPoint> points)
    {
        ArgumentNullException.ThrowIfNull(points);
        double area = 0;
        for (int i = 1; i < points.Count; i++)
        {
            double width = points[i].FalseAcceptRate - points[i - 1].FalseAcceptRate;
            area += width * (points[i].TrueAcceptRate + points[i - 1].TrueAcceptRate) / 2;
        }
        return area;
    }

    /// <summary>
    /// Computes the equal error rate: the FAR where FAR equals the false reject rate FRR = 1 - TAR, found
    /// on the straight segment between the two ROC points where FAR - FRR changes sign. Also returns the
    /// squared L2 threshold interpolated on the same segment.
    /// </summary>
    /// <exception cref="ArgumentException">The curve has fewer than two points.</exception>
    public static (double Rate, double Threshold) EqualErrorRate(IReadOnlyList<RocPoint> points)
    {
        ArgumentNullException.ThrowIfNull(points);
        if (points.Count < 2)
        {
            throw new ArgumentException($"An equal error rate needs at least two ROC points; got {points.Count}.", nameof(points));
        }

        // FAR - FRR = FAR + TAR - 1 never decreases along the curve, from -1 at (0, 0) to +1 at (1, 1).
        if (points[0].FalseAcceptRate + points[0].TrueAcceptRate - 1 >= 0)
        {
            return (points[0].FalseAcceptRate, points[0].Threshold);
        }
        for (int i = 1; i < points.Count; i++)
        {
            RocPoint previous = points[i - 1];
            RocPoint current = points[i];
            double before = previous.FalseAcceptRate + previous.TrueAcceptRate - 1;
            double after = current.FalseAcceptRate + current.TrueAcceptRate - 1;
            if (after < 0)
            {
                continue;
            }

            // before < 0 <= after here, so the division is safe.
            double t = -before / (after - before);
            double rate = previous.FalseAcceptRate + t * (current.FalseAcceptRate - previous.FalseAcceptRate);
            double threshold = previous.Threshold + t * (current.Threshold - previous.Threshold);
            return (rate, threshold);
        }
        RocPoint last = points[^1];
        return (last.FalseAcceptRate, last.Threshold);
    }

    internal static ScoredPair[] SortByDistance(IReadOnlyList<ScoredPair> pairs)
    {
        var sorted = new ScoredPair[pairs.Count];
        for (int i = 0; i < sorted.Length; i++)
        {
            if (double.IsNaN(pairs[i].SquaredDistance))
            {
                throw new ArgumentException(
                    $"Pair {i} (fold {pairs[i].Fold}) has a NaN distance; check the embeddings for NaN values.",
                    nameof(pairs));
            }
            sorted[i] = pairs[i];
        }
        Array.Sort(sorted, (a, b) => a.SquaredDistance.CompareTo(b.SquaredDistance));
        return sorted;
    }

    internal static (int Same, int Different) CountKinds(IReadOnlyList<ScoredPair> pairs, string purpose)
    {
        int same = pairs.Count(pair => pair.IsSame);
        int different = pairs.Count - same;
        if (same == 0 || different == 0)
        {
            throw new ArgumentException(
                $"The {purpose} needs both kinds of pairs, but got {same} same-identity and {different} " +
                "different-identity pairs.");
        }
        return (same, different);
    }
}
