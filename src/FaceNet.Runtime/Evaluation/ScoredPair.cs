namespace FaceNet.Runtime.Evaluation;

/// <summary>A verification pair reduced to what the protocol needs.</summary>
/// <param name="Fold">1-based fold number.</param>
/// <param name="IsSame">True when both images show the same identity.</param>
/// <param name="SquaredDistance">Squared L2 distance between the two embeddings.</param>
public readonly record struct ScoredPair(int Fold, bool IsSame, double SquaredDistance);
