using System.Text.Json.Serialization;

namespace FaceNet.Runtime.Evaluation;

/// <summary>
/// One point of a ROC curve: accepting every pair whose squared L2 distance is at or below
/// <see cref="Threshold"/> gives these rates.
/// </summary>
/// <param name="Threshold">Squared L2 distance threshold.</param>
/// <param name="FalseAcceptRate">FAR = false accepts / different-identity pairs.</param>
/// <param name="TrueAcceptRate">VAL (true accept rate) = true accepts / same-identity pairs.</param>
public readonly record struct RocPoint(
    [property: JsonPropertyName("threshold")] double Threshold,
    [property: JsonPropertyName("far")] double FalseAcceptRate,
    [property: JsonPropertyName("tar")] double TrueAcceptRate);
