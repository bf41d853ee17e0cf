namespace FaceNet.Runtime.Pretrained;

/// <summary>A candidate detection: a box and its face score in (0, 1).</summary>
/// <param name="Box">The box, in the unit of the producer.</param>
/// <param name="Score">Face probability.</param>
public readonly record struct ScoredBox(FaceBox Box, double Score);
