using System.Text.Json;
using System.Text.Json.Serialization;

namespace FaceNet.Runtime.Evaluation;

/// <summary>
/// The outcome of the k-fold verification protocol. Every threshold is a squared L2 distance and names
/// that metric in its <see cref="Threshold.Metric"/>. The JSON keys <c>accuracy</c>, <c>accuracyStd</c>,
/// <c>valAtFar1e3</c>, <c>auc</c>, <c>eer</c>, <c>pairs</c>, <c>missingPairs</c> and <c>thresholds</c>
/// are a stable contract.
/// </summary>
public sealed record VerificationResult
{
    /// <summary>Mean of the per-fold test accuracies.</summary>
    [JsonPropertyName("accuracy")]
    public required double Accuracy { get; init; }

    /// <summary>Sample standard deviation (divisor k - 1) of the per-fold test accuracies.</summary>
    [JsonPropertyName("accuracyStd")]
    public required double AccuracyStd { get; init; }

    /// <summary>Population standard deviation (divisor k) of the per-fold test accuracies.</summary>
    [JsonPropertyName("accuracyStdPopulation")]
    public required double AccuracyStdPopulation { get; init; }

    /// <summary>Standard error of the mean accuracy: sample standard deviation / sqrt(k).</summary>
    [JsonPropertyName("accuracyStandardError")]
    public required double AccuracyStandardError { get; init; }

    /// <summary>Mean over test folds of VAL at the threshold chosen for FAR &lt;= <see cref="TargetFar"/>.</summary>
    [JsonPropertyName("valAtFar1e3")]
    public required double ValAtFar1e3 { get; init; }

    /// <summary>Sample standard deviation of the per-fold VAL values.</summary>
    [JsonPropertyName("valStd")]
    public required double ValStd { get; init; }

    /// <summary>Mean over test folds of the FAR actually reached at the VAL thresholds.</summary>
    [JsonPropertyName("farAtVal")]
    public required double FarAtVal { get; init; }

    /// <summary>FAR target used to choose the VAL thresholds, 1e-3 unless the caller changed it.</summary>
    [JsonPropertyName("targetFar")]
    public required double TargetFar { get; init; }

    /// <summary>Exact area under the ROC curve over all evaluated pairs, ties counted half.</summary>
    [JsonPropertyName("auc")]
    public required double Auc { get; init; }

    /// <summary>Equal error rate over all evaluated pairs, where FAR = 1 - TAR.</summary>
    [JsonPropertyName("eer")]
    public required double Eer { get; init; }

    /// <summary>Threshold interpolated at the equal error rate.</summary>
    [JsonPropertyName("eerThreshold")]
    public required Threshold EerThreshold { get; init; }

    /// <summary>Pairs evaluated, over all selected folds.</summary>
    [JsonPropertyName("pairs")]
    public required int Pairs { get; init; }

    /// <summary>Pairs of the selected folds that could not be evaluated because an image was missing.</summary>
    [JsonPropertyName("missingPairs")]
    public required int MissingPairs { get; init; }

    /// <summary>Selected fold numbers, each used once as the test fold.</summary>
    [JsonPropertyName("folds")]
    public required IReadOnlyList<int> Folds { get; init; }

    /// <summary>Accuracy thresholds, one per test fold in the order of <see cref="Folds"/>.</summary>
    [JsonPropertyName("thresholds")]
    public required IReadOnlyList<Threshold> Thresholds { get; init; }

    /// <summary>Per-fold details.</summary>
    [JsonPropertyName("foldResults")]
    public required IReadOnlyList<FoldResult> FoldResults { get; init; }

    /// <summary>ROC curve over all evaluated pairs, one point per distinct squared L2 distance.</summary>
    [JsonPropertyName("roc")]
    public required IReadOnlyList<RocPoint> Roc { get; init; }

    /// <summary>Serialises the result with <see cref="EvaluationJson.Options"/>.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, EvaluationJson.Options);

    /// <summary>Parses a result written by <see cref="ToJson"/>.</summary>
    /// <exception cref="JsonException">The text is not a verification result.</exception>
    public static VerificationResult FromJson(string json) =>
        JsonSerializer.Deserialize<VerificationResult>(json, EvaluationJson.Options)
        ?? throw new JsonException("The JSON text is 'null', not a verification result.");
}
