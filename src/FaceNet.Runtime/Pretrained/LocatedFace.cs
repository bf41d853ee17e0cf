namespace FaceNet.Runtime.Pretrained;

/// <summary>A face found in an image: its detection box and score and its 68 landmarks, in image pixels.</summary>
/// <param name="Box">Detection box.</param>
/// <param name="Score">Detector confidence in (0, 1); 0 for the centre-box fallback, which detected nothing.</param>
/// <param name="Landmarks">The 68 landmarks found inside the box.</param>
public sealed record LocatedFace(FaceBox Box, double Score, Landmarks68 Landmarks);
