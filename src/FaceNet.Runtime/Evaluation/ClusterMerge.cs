namespace FaceNet.Runtime.Evaluation;

/// <summary>One merge of the dendrogram.</summary>
/// <param name="First">Index of a point in the first cluster.</param>
/// <param name="Second">Index of a point in the second cluster.</param>
/// <param name="Height">Linkage distance between the two clusters when they merged.</param>
/// <param name="Size">Points in the merged cluster.</param>
public readonly record struct ClusterMerge(int First, int Second, double Height, int Size);
