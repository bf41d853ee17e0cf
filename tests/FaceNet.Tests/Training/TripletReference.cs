using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Cpu;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Tests.Training;

/// <summary>One selected triplet of row indices.</summary>
internal readonly record struct Triplet(int Anchor, int Positive, int Negative);

/// <summary>Result of the double-precision reference of the fused mining step.</summary>
internal sealed record ReferenceResult(
    double Loss, int Pairs, List<Triplet> Triplets, int ActiveTriplets, double MeanPositiveDistance,
    double MeanNegativeDistance, double MeanPairwiseDistance, double[] Gradient);

/// <summary>
/// Straightforward double-precision triplet mining and loss, written without the kernel's coefficient
/// matrix: explicit loops over anchors, positives and negatives, and the gradient added triplet by triplet.
/// </summary>
internal static class TripletReference
{
    /// <summary>Squared L2 distance between rows i and j of a flat (N, D) array.</summary>
    public static double Distance(double[] x, int d, int i, int j)
    {
        double s = 0;
        for (int k = 0; k < d; k++)
        {
            double diff = x[i * d + k] - x[j * d + k];
            s += diff * diff;
        }
        return s;
    }

    /// <summary>Mines triplets by the policy and computes loss, statistics and gradient.</summary>
    public static ReferenceResult Mine(double[] x, int d, int[] labels, double alpha, NegativePolicy policy,
        double gradientScale = 1)
    {
        int n = labels.Length;
        int pairs = 0;
        var triplets = new List<Triplet>();
        for (int a = 0; a < n; a++)
        {
            for (int p = 0; p < n; p++)
            {
                if (labels[a] < 0 || p == a || labels[p] != labels[a])
                {
                    continue;
                }
                pairs++;
                double dap = Distance(x, d, a, p);
                int semiHard = -1, hard = -1;
                for (int neg = 0; neg < n; neg++)
                {
                    if (labels[neg] == labels[a])
                    {
                        continue;
                    }
                    double dan = Distance(x, d, a, neg);
                    if (dan > dap && dan < dap + alpha && (semiHard < 0 || dan < Distance(x, d, a, semiHard)))
                    {
                        semiHard = neg;
                    }
                    if (dan <= dap && (hard < 0 || dan > Distance(x, d, a, hard)))
                    {
                        hard = neg;
                    }
                }
                int chosen = semiHard;
                if (chosen < 0 && policy == NegativePolicy.SemiHardOrHardest)
                {
                    chosen = hard;
                }
                if (chosen >= 0)
                {
                    triplets.Add(new Triplet(a, p, chosen));
                }
            }
        }

        double[] gradient = new double[x.Length];
        double loss = LossOnTriplets(x, d, triplets, alpha, gradient, gradientScale, out int active);
        double positiveSum = triplets.Sum(t => Distance(x, d, t.Anchor, t.Positive));
        double negativeSum = triplets.Sum(t => Distance(x, d, t.Anchor, t.Negative));
        double pairwiseSum = 0;
        for (int i = 0; i < n; i++)
        {
            for (int j = i + 1; j < n; j++)
            {
                pairwiseSum += Distance(x, d, i, j);
            }
        }
        int count = triplets.Count;
        return new ReferenceResult(loss, pairs, triplets, active,
            count > 0 ? positiveSum / count : 0, count > 0 ? negativeSum / count : 0,
            n > 1 ? pairwiseSum / (n * (n - 1) / 2.0) : 0, gradient);
    }

    /// <summary>
    /// Mean hinge loss over the given triplets; adds <c>gradientScale * dL/dx</c> into <paramref name="gradient"/>
    /// when it is not null.
    /// </summary>
    public static double LossOnTriplets(double[] x, int d, IReadOnlyList<Triplet> triplets, double alpha,
        double[]? gradient, double gradientScale, out int active)
    {
        active = 0;
        if (triplets.Count == 0)
        {
            return 0;
        }
        double sum = 0;
        double w = gradientScale / triplets.Count;
        foreach (Triplet t in triplets)
        {
            double hinge = Distance(x, d, t.Anchor, t.Positive) - Distance(x, d, t.Anchor, t.Negative) + alpha;
            if (hinge <= 0)
            {
                continue;
            }
            active++;
            sum += hinge;
            if (gradient is null)
            {
                continue;
            }
            for (int k = 0; k < d; k++)
            {
                double xa = x[t.Anchor * d + k], xp = x[t.Positive * d + k], xn = x[t.Negative * d + k];
                gradient[t.Anchor * d + k] += w * 2 * (xn - xp);
                gradient[t.Positive * d + k] += w * 2 * (xp - xa);
                gradient[t.Negative * d + k] += w * 2 * (xa - xn);
            }
        }
        return sum / triplets.Count;
    }

    /// <summary>Random rows scaled to unit length, as the model's L2-normalised output is.</summary>
    public static float[] UnitRows(int n, int d, int seed)
    {
        float[] values = Support.GradientCheck.RandomValues(n * d, seed);
        for (int i = 0; i < n; i++)
        {
            Span<float> row = values.AsSpan(i * d, d);
            float norm = MathF.Sqrt(System.Numerics.Tensors.TensorPrimitives.SumOfSquares(row));
            System.Numerics.Tensors.TensorPrimitives.Divide(row, norm, row);
        }
        return values;
    }

    /// <summary>Creates a CPU tensor holding <paramref name="values"/>.</summary>
    public static Tensor Upload(float[] values, params int[] dims)
    {
        Tensor t = Tensor.Own(CpuBackend.Instance.Allocate(values.Length), dims);
        CpuBackend.Instance.Upload(values, t);
        return t;
    }

    /// <summary>Downloads a CPU tensor as doubles.</summary>
    public static double[] Download(Tensor t)
    {
        float[] values = new float[t.Count];
        CpuBackend.Instance.Download(t, values);
        return values.Select(v => (double)v).ToArray();
    }
}
