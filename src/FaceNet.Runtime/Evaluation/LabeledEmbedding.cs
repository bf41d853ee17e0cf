namespace FaceNet.Runtime.Evaluation;

/// <summary>An embedding with the identity it belongs to.</summary>
/// <param name="Label">Identity name.</param>
/// <param name="Vector">The embedding, normally L2-normalised.</param>
public sealed record LabeledEmbedding(string Label, float[] Vector);
