using System.CommandLine;
using System.Text.Json;
using FaceNet.Runtime.Embedding;
using FaceNet.Runtime.Evaluation;
using Spectre.Console;

namespace FaceNet.Cli.Commands;

/// <summary>
/// <c>facenet compare A B</c>: embeds two images and prints their distance in every metric together with
/// the decision threshold converted exactly to each metric, and the same/different verdict.
/// </summary>
internal static class CompareCommand
{
    /// <summary>Metrics in output order.</summary>
    private static readonly DistanceMetric[] Metrics =
        [DistanceMetric.SquaredL2, DistanceMetric.L2, DistanceMetric.CosineDistance, DistanceMetric.CosineSimilarity];

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var models = new ModelOptions();
        var thresholds = new ThresholdOptions();
        var first = new Argument<string>("A") { Description = "First image file." };
        var second = new Argument<string>("B") { Description = "Second image file." };
        var format = new Option<string>("--format")
        {
            Description = "Output format: 'table' or 'json'.",
            DefaultValueFactory = _ => "table",
        };
        format.AcceptOnlyFromAmong("table", "json");

        var command = new Command("compare", "Compare two face images: distances in every metric and a same/different verdict.");
        command.Arguments.Add(first);
        command.Arguments.Add(second);
        thresholds.AddTo(command);
        command.Options.Add(format);
        models.AddTo(command);
        command.SetAction(result => CommandRunner.Run(result, () =>
        {
            using FaceEmbedder embedder = models.Open(result);
            Threshold threshold = thresholds.Resolve(result, embedder);
            bool fromOption = result.GetValue(thresholds.Value) is not null;
            return Run(embedder, result.GetValue(first)!, result.GetValue(second)!, threshold, fromOption,
                result.GetValue(format) == "json", result.InvocationConfiguration.Output);
        }));
        return command;
    }

    /// <summary>Embeds both images and writes the comparison; returns 0 for both verdicts.</summary>
    /// <exception cref="FaceNet.Runtime.Imaging.ImageDecodeException">An image cannot be read.</exception>
    internal static int Run(FaceEmbedder embedder, string pathA, string pathB, Threshold threshold, bool fromOption,
        bool json, TextWriter output)
    {
        float[] a = embedder.Embed(pathA);
        float[] b = embedder.Embed(pathB);
        var comparison = Comparison.Of(embedder, pathA, pathB, a, b, threshold, fromOption ? "option" : "model");
        if (json)
        {
            output.WriteLine(JsonSerializer.Serialize(comparison, TextOutput.Json));
        }
        else
        {
            WriteTable(comparison, threshold, output);
        }
        return 0;
    }

    private static void WriteTable(Comparison c, Threshold threshold, TextWriter output)
    {
        IAnsiConsole console = TextOutput.ConsoleFor(output);
        console.WriteLine($"model: {c.Model}");
        var table = new Table()
            .AddColumn("metric")
            .AddColumn(new TableColumn("value").RightAligned())
            .AddColumn(new TableColumn("threshold").RightAligned())
            .AddColumn("same person when");
        foreach (DistanceMetric metric in Metrics)
        {
            table.AddRow(Threshold.MetricName(metric), TextOutput.Number(c.Distances[metric]),
                TextOutput.Number(c.Thresholds[metric]), $"value {TextOutput.AcceptingSide(metric)} threshold");
        }
        console.Write(table);

        double decisive = c.Distances[threshold.Metric];
        string side = threshold.Accepts(decisive) ? TextOutput.AcceptingSide(threshold.Metric) : "beyond";
        console.WriteLine($"verdict: {c.Verdict} ({Threshold.MetricName(threshold.Metric)} " +
            $"{TextOutput.Number(decisive)} is {side} the {c.ThresholdSource} threshold {threshold})");
    }

    /// <summary>The JSON shape of a comparison; metrics are keyed by their camelCase enum names.</summary>
    private sealed record Comparison(
        string Model,
        string A,
        string B,
        Dictionary<DistanceMetric, double> Distances,
        Threshold Threshold,
        string ThresholdSource,
        Dictionary<DistanceMetric, double> Thresholds,
        bool Same,
        string Verdict)
    {
        public static Comparison Of(FaceEmbedder embedder, string pathA, string pathB, float[] a, float[] b,
            Threshold threshold, string source)
        {
            var distances = Metrics.ToDictionary(m => m, m => FaceNet.Runtime.Evaluation.Distances.Compute(m, a, b));
            var converted = Metrics.ToDictionary(m => m, m => threshold.To(m).Value);
            bool same = threshold.Accepts(distances[threshold.Metric]);
            return new Comparison(embedder.Model.Name, pathA, pathB, distances, threshold, source, converted, same,
                same ? "same" : "different");
        }
    }
}
