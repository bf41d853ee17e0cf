using FaceNet.Runtime.Backends;

namespace FaceNet.Runtime.Experiments;

/// <summary>A triplet of row indices into a pooled embedding matrix.</summary>
public readonly record struct PooledTriplet(int Anchor, int Positive, int Negative);

/// <summary>The harmonic triplet loss of one batch: the loss, its statistics and the gradient of the learned rows.</summary>
/// <param name="Stats">Loss and counts over the selected triplets; the pairwise distance is over the learned rows.</param>
/// <param name="Triplets">Selected triplets, indices into the pooled rows (learned rows first, then frozen ones).</param>
/// <param name="LearnedGradient">d(loss)/d(learned embeddings), rows x dimension; frozen rows get no gradient.</param>
public sealed record HarmonicLossResult(TripletStats Stats, IReadOnlyList<PooledTriplet> Triplets, float[] LearnedGradient);

/// <summary>
/// The harmonic triplet loss: the triplet loss on the pool of a new model's embeddings (learned) and an
/// old, frozen model's embeddings of the same images, so that the new embeddings become comparable with the
/// old ones. Rows 0..N-1 of the pool are the learned embeddings and rows N..2N-1 the frozen ones; row N+i
/// is image i, with image i's label.
/// </summary>
/// <remarks>
/// Selection follows the trainer's semi-hard rule on the pool: every ordered anchor-positive pair of one
/// identity (learned-learned, learned-frozen, frozen-learned and frozen-frozen, including a learned row and
/// the frozen row of the same image) takes the closest negative with <c>d(a,p) &lt; d(a,n) &lt; d(a,p) +
/// alpha</c>, scanning candidates in row order; a pair without one is skipped. A triplet must contain a
/// learned row, or it would give no gradient, so a frozen-frozen pair picks its negative among the learned
/// rows only. The loss is the mean hinge over the selected triplets.
/// </remarks>
public static class HarmonicTripletLoss
{
    /// <summary>Selects the triplets, computes the loss and the gradient with respect to the learned rows.</summary>
    /// <param name="learned">N x D learned embeddings, row-major.</param>
    /// <param name="frozen">N x D frozen embeddings of the same images, row-major.</param>
    /// <param name="labels">N identities; a negative label marks an extra negative, never an anchor or positive.</param>
    /// <param name="dimension">D.</param>
    /// <param name="margin">alpha, at least 0.</param>
    /// <exception cref="ArgumentException">The lengths do not match N x D, or the margin is negative or not finite.</exception>
    public static HarmonicLossResult Evaluate(ReadOnlySpan<float> learned, ReadOnlySpan<float> frozen,
        ReadOnlySpan<int> labels, int dimension, float margin)
    {
        int n = labels.Length;
        if (dimension < 1 || learned.Length != n * dimension || frozen.Length != n * dimension)
        {
            throw new ArgumentException(
                $"HarmonicTripletLoss: {n} labels and dimension {dimension} need {n * dimension} values per model, but " +
                $"the learned embeddings have {learned.Length} and the frozen ones {frozen.Length}.", nameof(labels));
        }
        if (!float.IsFinite(margin) || margin < 0)
        {
            throw new ArgumentException($"HarmonicTripletLoss: margin {margin} must be finite and at least 0.", nameof(margin));
        }

        float[] pooled = new float[2 * n * dimension];
        learned.CopyTo(pooled);
        frozen.CopyTo(pooled.AsSpan(n * dimension));
        int[] pooledLabels = new int[2 * n];
        labels.CopyTo(pooledLabels);
        labels.CopyTo(pooledLabels.AsSpan(n));

        double[,] distances = SquaredDistances(pooled, 2 * n, dimension);
        List<PooledTriplet> triplets = SelectTriplets(distances, pooledLabels, n, margin, out int pairs);

        var gradient = new double[n * dimension];
        double loss = 0, positive = 0, negative = 0;
        int active = 0;
        foreach (PooledTriplet t in triplets)
        {
            double dap = distances[t.Anchor, t.Positive];
            double dan = distances[t.Anchor, t.Negative];
            positive += dap;
            negative += dan;
            double hinge = dap - dan + margin;
            if (hinge <= 0)
            {
                continue;
            }
            loss += hinge;
            active++;

            // d/da = 2 (n - p), d/dp = 2 (p - a), d/dn = 2 (a - n); only learned rows (index < N) receive them.
            for (int d = 0; d < dimension; d++)
            {
                double a = pooled[t.Anchor * dimension + d];
                double p = pooled[t.Positive * dimension + d];
                double v = pooled[t.Negative * dimension + d];
                AddIfLearned(gradient, t.Anchor, n, dimension, d, 2 * (v - p));
                AddIfLearned(gradient, t.Positive, n, dimension, d, 2 * (p - a));
                AddIfLearned(gradient, t.Negative, n, dimension, d, 2 * (a - v));
            }
        }

        int count = triplets.Count;
        float[] learnedGradient = new float[n * dimension];
        if (count > 0)
        {
            for (int i = 0; i < gradient.Length; i++)
            {
                learnedGradient[i] = (float)(gradient[i] / count);
            }
        }
        var stats = new TripletStats(
            count == 0 ? 0f : (float)(loss / count), pairs, count, active,
            count == 0 ? 0f : (float)(positive / count), count == 0 ? 0f : (float)(negative / count),
            MeanPairwise(distances, n));
        return new HarmonicLossResult(stats, triplets, learnedGradient);
    }

    /// <summary>
    /// Selects semi-hard triplets on the pooled distance matrix as described on the type. Rows below
    /// <paramref name="learnedRows"/> are learned; <paramref name="pairs"/> receives the ordered
    /// anchor-positive pairs considered.
    /// </summary>
    public static List<PooledTriplet> SelectTriplets(double[,] distances, ReadOnlySpan<int> labels, int learnedRows,
        float margin, out int pairs)
    {
        int rows = labels.Length;
        var triplets = new List<PooledTriplet>();
        pairs = 0;
        for (int a = 0; a < rows; a++)
        {
            if (labels[a] < 0)
            {
                continue;
            }
            for (int p = 0; p < rows; p++)
            {
                if (p == a || labels[p] != labels[a])
                {
                    continue;
                }
                pairs++;
                bool needsLearnedNegative = a >= learnedRows && p >= learnedRows;
                int candidates = needsLearnedNegative ? learnedRows : rows;
                double dap = distances[a, p];
                int best = -1;
                double bestDistance = double.PositiveInfinity;
                for (int c = 0; c < candidates; c++)
                {
                    if (labels[c] == labels[a])
                    {
                        continue;
                    }
                    double dan = distances[a, c];
                    if (dan > dap && dan < dap + margin && dan < bestDistance)
                    {
                        best = c;
                        bestDistance = dan;
                    }
                }
                if (best >= 0)
                {
                    triplets.Add(new PooledTriplet(a, p, best));
                }
            }
        }
        return triplets;
    }

    /// <summary>Squared L2 distances between all pairs of rows, in double precision.</summary>
    public static double[,] SquaredDistances(ReadOnlySpan<float> rowsByDimension, int rows, int dimension)
    {
        var distances = new double[rows, rows];
        for (int i = 0; i < rows; i++)
        {
            for (int j = i + 1; j < rows; j++)
            {
                double sum = 0;
                for (int d = 0; d < dimension; d++)
                {
                    double diff = rowsByDimension[i * dimension + d] - rowsByDimension[j * dimension + d];
                    sum += diff * diff;
                }
                distances[i, j] = sum;
                distances[j, i] = sum;
            }
        }
        return distances;
    }

    private static void AddIfLearned(double[] gradient, int row, int learnedRows, int dimension, int d, double value)
    {
        if (row < learnedRows)
        {
            gradient[row * dimension + d] += value;
        }
    }

    private static float MeanPairwise(double[,] distances, int learnedRows)
    {
        double sum = 0;
        long count = 0;
        for (int i = 0; i < learnedRows; i++)
        {
            for (int j = i + 1; j < learnedRows; j++)
            {
                sum += distances[i, j];
                count++;
            }
        }
        return count == 0 ? 0f : (float)(sum / count);
    }
}
