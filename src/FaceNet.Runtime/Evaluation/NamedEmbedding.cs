namespace FaceNet.Runtime.Evaluation;

/// <summary>An embedding with the name of what it was computed from, usually an image path.</summary>
public sealed record NamedEmbedding(string Name, float[] Vector);
