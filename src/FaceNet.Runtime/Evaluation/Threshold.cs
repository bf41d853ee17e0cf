using System.Globalization;
using System.Text.Json.Serialization;

namespace FaceNet.Runtime.Evaluation;

/// <summary>
/// A decision threshold together with the metric it is measured in, so a value such as 1.242 is never
/// read in the wrong metric. A pair is accepted as the same identity when its distance is at or below
/// <see cref="Value"/>, or, for <see cref="DistanceMetric.CosineSimilarity"/>, when its similarity is
/// at or above it.
/// </summary>
/// <param name="Value">The threshold in units of <paramref name="Metric"/>.</param>
/// <param name="Metric">The metric <paramref name="Value"/> is measured in.</param>
public sealed record Threshold(
    [property: JsonPropertyName("value")] double Value,
    [property: JsonPropertyName("metric")] DistanceMetric Metric)
{
    /// <summary>Creates a threshold on the squared L2 distance, the metric the FaceNet paper uses.</summary>
    public static Threshold SquaredL2(double value) => new(value, DistanceMetric.SquaredL2);

    /// <summary>
    /// Converts to the same decision boundary in <paramref name="metric"/>. Conversions that involve a
    /// cosine metric are exact for unit vectors (d^2 = 2 - 2 cos) and meaningless otherwise.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The boundary has no value in
    /// <paramref name="metric"/>, such as a negative squared distance converted to L2.</exception>
    public Threshold To(DistanceMetric metric) => new(Distances.Convert(Value, Metric, metric), metric);

    /// <summary>Returns true when <paramref name="score"/>, measured in <see cref="Metric"/>, passes.</summary>
    public bool Accepts(double score) => Distances.IsSimilarity(Metric) ? score >= Value : score <= Value;

    /// <summary>Formats the value with its metric, for example "1.242 (squared L2)".</summary>
    public override string ToString() =>
        $"{Value.ToString("G6", CultureInfo.InvariantCulture)} ({MetricName(Metric)})";

    /// <summary>Returns the human-readable name of a metric, for example "squared L2".</summary>
    public static string MetricName(DistanceMetric metric) => metric switch
    {
        DistanceMetric.SquaredL2 => "squared L2",
        DistanceMetric.L2 => "L2",
        DistanceMetric.CosineDistance => "cosine distance",
        DistanceMetric.CosineSimilarity => "cosine similarity",
        _ => metric.ToString(),
    };
}
