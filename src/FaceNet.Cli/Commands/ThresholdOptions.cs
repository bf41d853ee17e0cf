using System.CommandLine;
using System.Globalization;
using FaceNet.Runtime.Embedding;
using FaceNet.Runtime.Evaluation;

namespace FaceNet.Cli.Commands;

/// <summary>
/// The <c>--threshold</c> and <c>--metric</c> options of the commands that decide "same person": a value
/// given without a metric is squared L2, and a metric given without a value converts the model's
/// threshold to that metric.
/// </summary>
internal sealed class ThresholdOptions
{
    /// <summary>Metric names on the command line, in the order the help text lists them.</summary>
    public static readonly IReadOnlyList<string> MetricNames = ["squared-l2", "l2", "cosine-distance", "cosine-similarity"];

    public ThresholdOptions()
    {
        Metric.AcceptOnlyFromAmong([.. MetricNames]);
    }

    public Option<double?> Value { get; } = new("--threshold")
    {
        Description = "Decision threshold in the units of --metric (default: the model's verification threshold). " +
            "Distances accept at or below it; cosine similarity accepts at or above it.",
    };

    public Option<string?> Metric { get; } = new("--metric")
    {
        Description = "Metric of --threshold: squared-l2 (default), l2, cosine-distance or cosine-similarity.",
    };

    public void AddTo(Command command)
    {
        command.Options.Add(Value);
        command.Options.Add(Metric);
    }

    /// <summary>
    /// Returns the threshold the options select, or the model's threshold converted to <c>--metric</c>.
    /// </summary>
    /// <exception cref="UsageException">The value is not finite or lies outside the range the metric
    /// takes for unit vectors.</exception>
    public Threshold Resolve(ParseResult result, FaceEmbedder embedder)
    {
        double? value = result.GetValue(Value);
        string? metricName = result.GetValue(Metric);
        DistanceMetric metric = metricName is null ? DistanceMetric.SquaredL2 : ParseMetric(metricName);
        if (value is null)
        {
            return metricName is null ? embedder.Threshold : embedder.Threshold.To(metric);
        }
        return Validate(new Threshold(value.Value, metric));
    }

    /// <summary>Parses a command-line metric name such as <c>cosine-similarity</c>.</summary>
    /// <exception cref="UsageException">The name is not one of <see cref="MetricNames"/>.</exception>
    public static DistanceMetric ParseMetric(string name) => name switch
    {
        "squared-l2" => DistanceMetric.SquaredL2,
        "l2" => DistanceMetric.L2,
        "cosine-distance" => DistanceMetric.CosineDistance,
        "cosine-similarity" => DistanceMetric.CosineSimilarity,
        _ => throw new UsageException($"Unknown metric '{name}'. Valid metrics: {string.Join(", ", MetricNames)}."),
    };

    /// <summary>
    /// Rejects a threshold outside the values its metric takes between unit vectors, because such a value
    /// accepts every pair or none, and some metrics have no value equivalent to it.
    /// </summary>
    /// <exception cref="UsageException">The value is NaN, infinite or out of range.</exception>
    public static Threshold Validate(Threshold threshold)
    {
        (double low, double high) = Range(threshold.Metric);
        if (!double.IsFinite(threshold.Value) || threshold.Value < low || threshold.Value > high)
        {
            string text = threshold.Value.ToString("G6", CultureInfo.InvariantCulture);
            throw new UsageException(
                $"Invalid --threshold {text} for {Threshold.MetricName(threshold.Metric)}: between unit-length " +
                $"embeddings it lies in [{low}, {high}]. Pass a value in that range or choose another --metric.");
        }
        return threshold;
    }

    /// <summary>Values a metric takes between unit vectors.</summary>
    public static (double Low, double High) Range(DistanceMetric metric) => metric switch
    {
        DistanceMetric.SquaredL2 => (0, 4),
        DistanceMetric.L2 => (0, 2),
        DistanceMetric.CosineDistance => (0, 2),
        DistanceMetric.CosineSimilarity => (-1, 1),
        _ => throw new ArgumentOutOfRangeException(nameof(metric), metric, "Unknown distance metric."),
    };
}
