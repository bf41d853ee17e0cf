namespace FaceNet.Runtime.Evaluation;

/// <summary>Flat clusters cut from an agglomerative dendrogram at a distance threshold.</summary>
/// <param name="Assignments">Cluster number of each input point; clusters are numbered 0, 1, ... in the
/// order of their first point.</param>
/// <param name="ClusterCount">Number of clusters.</param>
/// <param name="Linkage">Linkage used.</param>
/// <param name="Threshold">Cut threshold: clusters merge while their linkage distance is at or below it.</param>
/// <param name="Merges">The whole dendrogram in increasing height, including merges above the threshold.</param>
public sealed record ClusteringResult(
    IReadOnlyList<int> Assignments,
    int ClusterCount,
    Linkage Linkage,
    Threshold Threshold,
    IReadOnlyList<ClusterMerge> Merges);
