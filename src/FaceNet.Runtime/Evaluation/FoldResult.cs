using System.Text.Json.Serialization;

namespace FaceNet.Runtime.Evaluation;

/// <summary>What one test fold of the verification protocol produced.</summary>
/// <param name="Fold">1-based number of the test fold.</param>
/// <param name="Pairs">Pairs in the test fold.</param>
/// <param name="Threshold">Accuracy-maximising threshold chosen on the other selected folds.</param>
/// <param name="TrainingAccuracy">Accuracy of <paramref name="Threshold"/> on the training folds.</param>
/// <param name="Accuracy">Accuracy of <paramref name="Threshold"/> on the test fold.</param>
/// <param name="ValThreshold">Largest threshold with FAR at or below the target on the training folds.</param>
/// <param name="Val">TA / P_same on the test fold at <paramref name="ValThreshold"/>.</param>
/// <param name="Far">FA / P_diff on the test fold at <paramref name="ValThreshold"/>.</param>
public sealed record FoldResult(
    [property: JsonPropertyName("fold")] int Fold,
    [property: JsonPropertyName("pairs")] int Pairs,
    [property: JsonPropertyName("threshold")] Threshold Threshold,
    [property: JsonPropertyName("trainingAccuracy")] double TrainingAccuracy,
    [property: JsonPropertyName("accuracy")] double Accuracy,
    [property: JsonPropertyName("valThreshold")] Threshold ValThreshold,
    [property: JsonPropertyName("val")] double Val,
    [property: JsonPropertyName("far")] double Far);
