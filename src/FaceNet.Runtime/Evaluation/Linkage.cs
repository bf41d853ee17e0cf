namespace FaceNet.Runtime.Evaluation;

/// <summary>How agglomerative clustering measures the distance between two clusters.</summary>
public enum Linkage
{
    /// <summary>Minimum distance over all cross-cluster point pairs.</summary>
    Single,

    /// <summary>Maximum distance over all cross-cluster point pairs; every cluster's diameter stays at or
    /// below the threshold.</summary>
    Complete,

    /// <summary>Mean distance over all cross-cluster point pairs (UPGMA).</summary>
    Average,
}
