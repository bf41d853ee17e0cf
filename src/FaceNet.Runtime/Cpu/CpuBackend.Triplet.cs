using System.Buffers;
using System.Numerics;
using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Runtime.Cpu;

// Triplet loss kernels. Both losses share one gradient scheme: every triplet (a, p, n) with a positive
// hinge adds the same weight w times
//     dL/dx_a = 2 (x_n - x_p),   dL/dx_p = 2 (x_p - x_a),   dL/dx_n = 2 (x_a - x_n),
// which is the derivative of ||x_a - x_p||^2 - ||x_a - x_n||^2 + alpha. Because w is shared, the whole
// gradient is w * 2 * K X, where K is an (N, N) integer matrix of triplet coefficients. Integer sums do
// not depend on the order of addition, so K may be built by threads in any order. Each gradient row is
// then summed in index order, which makes the result bit-identical on every run. The scheme carries over
// to a GPU, where atomic integer adds build K.
public sealed partial class CpuBackend
{
    /// <summary>Rows below this count form the gradient on one thread; the work is too small to split.</summary>
    private const int TripletParallelRows = 64;

    /// <inheritdoc />
    public void PairwiseSquaredDistances(Tensor embeddings, Tensor distances)
    {
        int n = embeddings.N;
        CheckMatrixSize("PairwiseSquaredDistances", n);
        float[] matrix = ArrayPool<float>.Shared.Rent(Math.Max(n * n, 1));
        try
        {
            ComputeDistanceMatrix(embeddings, matrix);
            for (int i = 0; i < n; i++)
            {
                matrix.AsSpan(i * n, n).CopyTo(Sample(distances, i));
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(matrix);
        }
    }

    /// <inheritdoc />
    public float TripletLoss(Tensor embeddings, ReadOnlySpan<int> anchors, ReadOnlySpan<int> positives,
        ReadOnlySpan<int> negatives, float alpha, Tensor gradient, float gradientScale)
    {
        int n = embeddings.N;
        int count = anchors.Length;
        if (positives.Length != count || negatives.Length != count)
        {
            throw new ArgumentException(
                $"TripletLoss: {count} anchors, {positives.Length} positives and {negatives.Length} negatives; " +
                "pass one index of each per triplet.");
        }
        CheckTripletIndices("anchor", anchors, n);
        CheckTripletIndices("positive", positives, n);
        CheckTripletIndices("negative", negatives, n);
        CheckMatrixSize("TripletLoss", n);

        Fill(gradient, 0f);
        if (count == 0)
        {
            return 0f;
        }

        int[] coefficients = ArrayPool<int>.Shared.Rent(n * n);
        try
        {
            coefficients.AsSpan(0, n * n).Clear();
            double lossSum = 0;
            for (int t = 0; t < count; t++)
            {
                int a = anchors[t], p = positives[t], neg = negatives[t];
                float hinge = SquaredDistance(embeddings, a, p) - SquaredDistance(embeddings, a, neg) + alpha;
                if (hinge > 0f)
                {
                    lossSum += hinge;
                    AddTripletCoefficients(coefficients, n, a, p, neg);
                }
            }
            ApplyTripletCoefficients(embeddings, coefficients, 2f * gradientScale / count, gradient);
            return (float)(lossSum / count);
        }
        finally
        {
            ArrayPool<int>.Shared.Return(coefficients);
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// Runs in three steps. (1) The distance matrix, as <see cref="PairwiseSquaredDistances"/>. (2) For each
    /// anchor, in parallel: every positive p != a with the anchor's label, and for it the negative picked by
    /// <paramref name="policy"/> from the rows with another label (extra negatives included) by a linear
    /// scan in index order, so ties go to the lowest index. Each anchor writes only its own slots.
    /// (3) In anchor order: sums of loss and distances in double, and the integer triplet coefficients; then
    /// the gradient rows. Selected triplets count in the mean loss whether or not their hinge is positive;
    /// only triplets with a positive hinge add to the gradient.
    /// </remarks>
    public TripletStats TripletSemiHard(Tensor embeddings, ReadOnlySpan<int> labels, float alpha,
        NegativePolicy policy, Tensor gradient, float gradientScale)
    {
        int n = embeddings.N;
        if (labels.Length != n)
        {
            throw new ArgumentException(
                $"TripletSemiHard: {labels.Length} labels for {n} embeddings; pass one label per row.");
        }
        CheckMatrixSize("TripletSemiHard", n);
        Fill(gradient, 0f);
        if (n == 0)
        {
            return new TripletStats(0f, 0, 0, 0, 0f, 0f, 0f);
        }

        float[] distances = ArrayPool<float>.Shared.Rent(n * n);
        int[] chosen = ArrayPool<int>.Shared.Rent(n * n);
        int[] coefficients = ArrayPool<int>.Shared.Rent(n * n);
        int[] labelCopy = labels.ToArray();
        try
        {
            ComputeDistanceMatrix(embeddings, distances);
            SelectNegatives(distances, labelCopy, alpha, policy, chosen);

            // Fixed-order reduction: anchors, then positives, in index order.
            coefficients.AsSpan(0, n * n).Clear();
            int pairs = 0, triplets = 0, active = 0;
            double lossSum = 0, positiveSum = 0, negativeSum = 0;
            for (int a = 0; a < n; a++)
            {
                if (labelCopy[a] < 0)
                {
                    continue;
                }
                for (int p = 0; p < n; p++)
                {
                    if (p == a || labelCopy[p] != labelCopy[a])
                    {
                        continue;
                    }
                    pairs++;
                    int neg = chosen[a * n + p];
                    if (neg < 0)
                    {
                        continue;
                    }
                    float dap = distances[a * n + p];
                    float dan = distances[a * n + neg];
                    float hinge = dap - dan + alpha;
                    triplets++;
                    positiveSum += dap;
                    negativeSum += dan;
                    if (hinge > 0f)
                    {
                        active++;
                        lossSum += hinge;
                        AddTripletCoefficients(coefficients, n, a, p, neg);
                    }
                }
            }

            double pairwiseSum = 0;
            for (int i = 0; i < n; i++)
            {
                for (int j = i + 1; j < n; j++)
                {
                    pairwiseSum += distances[i * n + j];
                }
            }
            long pairCount = (long)n * (n - 1) / 2;

            if (triplets > 0)
            {
                ApplyTripletCoefficients(embeddings, coefficients, 2f * gradientScale / triplets, gradient);
            }
            return new TripletStats(
                Loss: triplets > 0 ? (float)(lossSum / triplets) : 0f,
                Pairs: pairs,
                Triplets: triplets,
                ActiveTriplets: active,
                MeanPositiveDistance: triplets > 0 ? (float)(positiveSum / triplets) : 0f,
                MeanNegativeDistance: triplets > 0 ? (float)(negativeSum / triplets) : 0f,
                MeanPairwiseDistance: pairCount > 0 ? (float)(pairwiseSum / pairCount) : 0f);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(distances);
            ArrayPool<int>.Shared.Return(chosen);
            ArrayPool<int>.Shared.Return(coefficients);
        }
    }

    /// <summary>
    /// Fills <c>chosen[a * N + p]</c> with the negative for each anchor-positive pair, or -1 when the policy
    /// skips the pair. Slots of rows that are not pairs are left undefined.
    /// </summary>
    private static void SelectNegatives(float[] distances, int[] labels, float alpha, NegativePolicy policy,
        int[] chosen)
    {
        int n = labels.Length;
        Parallel.For(0, n, a =>
        {
            int label = labels[a];
            if (label < 0)
            {
                return;
            }
            ReadOnlySpan<float> row = distances.AsSpan(a * n, n);
            for (int p = 0; p < n; p++)
            {
                if (p == a || labels[p] != label)
                {
                    continue;
                }
                chosen[a * n + p] = SelectNegative(row, labels, label, row[p], alpha, policy);
            }
        });
    }

    /// <summary>
    /// The negative for one anchor-positive pair: the closest with <c>dap &lt; dan &lt; dap + alpha</c>; with
    /// <see cref="NegativePolicy.SemiHardOrHardest"/> and no such negative, the farthest with
    /// <c>dan &lt;= dap</c>; otherwise -1. The scan is in index order and keeps the first of equal distances.
    /// </summary>
    internal static int SelectNegative(ReadOnlySpan<float> anchorRow, int[] labels, int anchorLabel, float dap,
        float alpha, NegativePolicy policy)
    {
        float upper = dap + alpha;
        int semiHard = -1;
        float semiHardDistance = float.PositiveInfinity;
        int hard = -1;
        float hardDistance = float.NegativeInfinity;
        for (int j = 0; j < anchorRow.Length; j++)
        {
            if (labels[j] == anchorLabel)
            {
                continue;
            }
            float dan = anchorRow[j];
            if (dan > dap)
            {
                if (dan < upper && dan < semiHardDistance)
                {
                    semiHard = j;
                    semiHardDistance = dan;
                }
            }
            else if (dan > hardDistance)
            {
                // dan <= dap here, unless dan is NaN, which fails every comparison and is never picked.
                hard = j;
                hardDistance = dan;
            }
        }
        if (semiHard >= 0 || policy == NegativePolicy.SemiHardOrSkip)
        {
            return semiHard;
        }
        return hard;
    }

    /// <summary>Writes <c>||x_i - x_j||^2</c> for every pair into the first N * N elements of the matrix.</summary>
    /// <remarks>
    /// Sums the squared differences directly rather than using <c>|x_i|^2 + |x_j|^2 - 2 x_i . x_j</c>, which
    /// loses precision through cancellation when embeddings are close, exactly the case of a collapsing
    /// model. Each pair is computed once and mirrored, so the matrix is exactly symmetric with a zero diagonal.
    /// </remarks>
    private static void ComputeDistanceMatrix(Tensor embeddings, float[] matrix)
    {
        int n = embeddings.N;
        Parallel.For(0, n, i =>
        {
            matrix[i * n + i] = 0f;
            for (int j = i + 1; j < n; j++)
            {
                float d = SquaredDistance(embeddings, i, j);
                matrix[i * n + j] = d;
                matrix[j * n + i] = d;
            }
        });
    }

    private static float SquaredDistance(Tensor embeddings, int i, int j)
    {
        ReadOnlySpan<float> x = Sample(embeddings, i);
        ReadOnlySpan<float> y = Sample(embeddings, j);
        int width = Vector<float>.Count;
        Vector<float> partial = Vector<float>.Zero;
        int k = 0;
        for (; k <= x.Length - width; k += width)
        {
            Vector<float> difference = new Vector<float>(x.Slice(k)) - new Vector<float>(y.Slice(k));
            partial += difference * difference;
        }
        float sum = Vector.Sum(partial);
        for (; k < x.Length; k++)
        {
            float difference = x[k] - y[k];
            sum += difference * difference;
        }
        return sum;
    }

    /// <summary>Adds one triplet's coefficients: row a gets x_n - x_p, row p gets x_p - x_a, row n gets x_a - x_n.</summary>
    private static void AddTripletCoefficients(int[] coefficients, int n, int a, int p, int negative)
    {
        coefficients[a * n + negative]++;
        coefficients[a * n + p]--;
        coefficients[p * n + p]++;
        coefficients[p * n + a]--;
        coefficients[negative * n + a]++;
        coefficients[negative * n + negative]--;
    }

    /// <summary>Writes <c>gradient[i] = weight * sum_j K[i, j] * x_j</c>, each row summed in index order.</summary>
    private static void ApplyTripletCoefficients(Tensor embeddings, int[] coefficients, float weight, Tensor gradient)
    {
        int n = embeddings.N;
        void Row(int i)
        {
            Span<float> row = Sample(gradient, i);
            ReadOnlySpan<int> k = coefficients.AsSpan(i * n, n);
            for (int j = 0; j < n; j++)
            {
                if (k[j] != 0)
                {
                    System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(Sample(embeddings, j), k[j], row, row);
                }
            }
            System.Numerics.Tensors.TensorPrimitives.Multiply(row, weight, row);
        }

        if (n < TripletParallelRows)
        {
            for (int i = 0; i < n; i++)
            {
                Row(i);
            }
        }
        else
        {
            Parallel.For(0, n, Row);
        }
    }

    /// <summary>Throws when an (N, N) matrix of the batch would not fit in one array.</summary>
    private static void CheckMatrixSize(string operation, int rows)
    {
        if ((long)rows * rows > System.Array.MaxLength)
        {
            throw new ArgumentException(
                $"{operation}: a batch of {rows} rows needs a {rows} x {rows} matrix, more than one array can " +
                "contain; split the batch.");
        }
    }

    private static void CheckTripletIndices(string role, ReadOnlySpan<int> indices, int rows)
    {
        for (int t = 0; t < indices.Length; t++)
        {
            if ((uint)indices[t] >= (uint)rows)
            {
                throw new ArgumentOutOfRangeException(nameof(indices),
                    $"TripletLoss: {role} index {indices[t]} of triplet {t} is outside the {rows} embedding rows.");
            }
        }
    }
}
