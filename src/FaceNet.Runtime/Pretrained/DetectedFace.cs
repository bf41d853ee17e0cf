namespace FaceNet.Runtime.Pretrained;

/// <summary>A face found in an image together with its descriptor.</summary>
/// <param name="Box">Detection box in image pixels.</param>
/// <param name="Score">Detector confidence in (0, 1).</param>
/// <param name="Landmarks">The 68 landmarks in image pixels.</param>
/// <param name="Descriptor">The recognition network's embedding of the aligned face.</param>
public sealed record DetectedFace(FaceBox Box, double Score, Landmarks68 Landmarks, float[] Descriptor);
