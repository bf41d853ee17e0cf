namespace FaceNet.Runtime.Evaluation;

/// <summary>
/// A way to compare two embeddings. Distances accept a pair when the value is at or below the
/// threshold; <see cref="CosineSimilarity"/> is a similarity and accepts at or above it.
/// </summary>
public enum DistanceMetric
{
    /// <summary>Squared Euclidean distance, sum of (a_i - b_i)^2; in [0, 4] for unit vectors.</summary>
    SquaredL2,

    /// <summary>Euclidean distance, sqrt of the squared distance; in [0, 2] for unit vectors.</summary>
    L2,

    /// <summary>Cosine distance, 1 - cos(a, b); in [0, 2].</summary>
    CosineDistance,

    /// <summary>Cosine similarity, a.b / (|a| |b|); in [-1, 1], larger means more alike.</summary>
    CosineSimilarity,
}
