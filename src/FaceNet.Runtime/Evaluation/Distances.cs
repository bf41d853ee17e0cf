using System.Numerics;

namespace FaceNet.Runtime.Evaluation;

/// <summary>
/// Distances between embeddings, accumulated in double precision, and the exact conversions
/// between metrics that hold for unit vectors: d^2 = 2 - 2 cos, d = sqrt(d^2), 1 - cos = d^2 / 2.
/// </summary>
public static class Distances
{
    /// <summary>Computes sum over i of (a_i - b_i)^2.</summary>
    /// <exception cref="ArgumentException">The vectors differ in length.</exception>
    public static double SquaredL2(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        RequireSameLength(a, b);
        double sum = 0;
        int i = 0;
        if (Vector.IsHardwareAccelerated && a.Length >= Vector<float>.Count)
        {
            // Widening before subtracting keeps each difference exact, as in the scalar loop below.
            Vector<double> accumulator = Vector<double>.Zero;
            for (; i <= a.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                Vector.Widen(new Vector<float>(a[i..]), out Vector<double> aLow, out Vector<double> aHigh);
                Vector.Widen(new Vector<float>(b[i..]), out Vector<double> bLow, out Vector<double> bHigh);
                Vector<double> low = aLow - bLow;
                Vector<double> high = aHigh - bHigh;
                accumulator += low * low + high * high;
            }
            sum = Vector.Sum(accumulator);
        }
        for (; i < a.Length; i++)
        {
            double difference = (double)a[i] - b[i];
            sum += difference * difference;
        }
        return sum;
    }

    /// <summary>Computes the Euclidean distance sqrt(sum (a_i - b_i)^2).</summary>
    /// <exception cref="ArgumentException">The vectors differ in length.</exception>
    public static double L2(ReadOnlySpan<float> a, ReadOnlySpan<float> b) => Math.Sqrt(SquaredL2(a, b));

    /// <summary>
    /// Computes a.b / (|a| |b|), clamped to [-1, 1] against rounding. A zero vector has no direction, so
    /// its similarity is defined as 0 (cosine distance 1) instead of NaN.
    /// </summary>
    /// <exception cref="ArgumentException">The vectors differ in length.</exception>
    public static double CosineSimilarity(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        RequireSameLength(a, b);
        double dot = 0;
        double normA = 0;
        double normB = 0;
        for (int i = 0; i < a.Length; i++)
        {
            dot += (double)a[i] * b[i];
            normA += (double)a[i] * a[i];
            normB += (double)b[i] * b[i];
        }
        if (normA == 0 || normB == 0)
        {
            return 0;
        }
        double similarity = dot / Math.Sqrt(normA * normB);
        return Math.Clamp(similarity, -1.0, 1.0);
    }

    /// <summary>Computes the cosine distance 1 - cos(a, b).</summary>
    /// <exception cref="ArgumentException">The vectors differ in length.</exception>
    public static double CosineDistance(ReadOnlySpan<float> a, ReadOnlySpan<float> b) =>
        1.0 - CosineSimilarity(a, b);

    /// <summary>Computes the value of <paramref name="metric"/> between two vectors.</summary>
    /// <exception cref="ArgumentException">The vectors differ in length.</exception>
    public static double Compute(DistanceMetric metric, ReadOnlySpan<float> a, ReadOnlySpan<float> b) => metric switch
    {
        DistanceMetric.SquaredL2 => SquaredL2(a, b),
        DistanceMetric.L2 => L2(a, b),
        DistanceMetric.CosineDistance => CosineDistance(a, b),
        DistanceMetric.CosineSimilarity => CosineSimilarity(a, b),
        _ => throw new ArgumentOutOfRangeException(nameof(metric), metric, "Unknown distance metric."),
    };

    /// <summary>Returns true when a larger value of <paramref name="metric"/> means more alike.</summary>
    public static bool IsSimilarity(DistanceMetric metric) => metric == DistanceMetric.CosineSimilarity;

    /// <summary>Converts a cosine similarity of unit vectors to their squared L2 distance, 2 - 2 cos.</summary>
    public static double SquaredL2FromCosineSimilarity(double cosine) => 2.0 - 2.0 * cosine;

    /// <summary>Converts a squared L2 distance of unit vectors to their cosine similarity, 1 - d^2 / 2.</summary>
    public static double CosineSimilarityFromSquaredL2(double squaredDistance) => 1.0 - squaredDistance / 2.0;

    /// <summary>Converts a squared L2 distance of unit vectors to their cosine distance, d^2 / 2.</summary>
    public static double CosineDistanceFromSquaredL2(double squaredDistance) => squaredDistance / 2.0;

    /// <summary>Converts a cosine distance of unit vectors to their squared L2 distance, 2 (1 - cos).</summary>
    public static double SquaredL2FromCosineDistance(double cosineDistance) => 2.0 * cosineDistance;

    /// <summary>Converts a squared L2 distance to the L2 distance, sqrt(d^2).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The squared distance is negative or NaN.</exception>
    public static double L2FromSquaredL2(double squaredDistance)
    {
        if (!(squaredDistance >= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(squaredDistance), squaredDistance,
                "A squared L2 distance must be zero or positive to have a square root.");
        }
        return Math.Sqrt(squaredDistance);
    }

    /// <summary>Converts an L2 distance to the squared L2 distance, d * d.</summary>
    public static double SquaredL2FromL2(double distance) => distance * distance;

    /// <summary>
    /// Converts a value of <paramref name="from"/> to the same pair's value of <paramref name="to"/>.
    /// Conversions that involve a cosine metric assume unit vectors; L2 and squared L2 convert for any
    /// vectors.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value maps to a negative squared distance and
    /// <paramref name="to"/> is <see cref="DistanceMetric.L2"/>.</exception>
    public static double Convert(double value, DistanceMetric from, DistanceMetric to)
    {
        if (from == to)
        {
            return value;
        }
        double squared = from switch
        {
            DistanceMetric.SquaredL2 => value,
            DistanceMetric.L2 => SquaredL2FromL2(value),
            DistanceMetric.CosineDistance => SquaredL2FromCosineDistance(value),
            DistanceMetric.CosineSimilarity => SquaredL2FromCosineSimilarity(value),
            _ => throw new ArgumentOutOfRangeException(nameof(from), from, "Unknown distance metric."),
        };
        return to switch
        {
            DistanceMetric.SquaredL2 => squared,
            DistanceMetric.L2 => L2FromSquaredL2(squared),
            DistanceMetric.CosineDistance => CosineDistanceFromSquaredL2(squared),
            DistanceMetric.CosineSimilarity => CosineSimilarityFromSquaredL2(squared),
            _ => throw new ArgumentOutOfRangeException(nameof(to), to, "Unknown distance metric."),
        };
    }

    private static void RequireSameLength(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length)
        {
            throw new ArgumentException(
                $"Cannot compare embeddings of length {a.Length} and {b.Length}; both must have the same dimension.");
        }
    }
}
