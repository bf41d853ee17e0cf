using System.Text.Json;
using FaceNet.Runtime.Models;

namespace FaceNet.Bench;

/// <summary>
/// Draws images/s against multiply-adds per image from JSON reports of <c>facenet bench</c>,
/// <c>torch_models.py</c> and <c>FaceNet.Bench ort</c>: one series per backend and mode, both axes log10.
/// </summary>
internal static class ThroughputChart
{
    /// <summary>Reads the reports and writes a PNG; returns the process exit code.</summary>
    public static int Run(string outputPath, IReadOnlyList<string> reports)
    {
        var series = new SortedDictionary<string, List<(string Arch, double MultiplyAdds, double ImagesPerSecond)>>(
            StringComparer.Ordinal);
        foreach (string path in reports)
        {
            using JsonDocument document = JsonDocument.Parse(File.ReadAllText(path));
            foreach (string mode in new[] { "inference", "training" })
            {
                if (!document.RootElement.TryGetProperty(mode, out JsonElement row))
                {
                    continue;
                }
                string arch = row.GetProperty("arch").GetString()!;
                string backend = row.GetProperty("backend").GetString()!;
                int batch = row.GetProperty("batch").GetInt32();
                string key = $"{backend} {mode} (batch {batch})";
                if (!series.TryGetValue(key, out var points))
                {
                    points = new();
                    series[key] = points;
                }
                points.Add((arch, Architectures.Create(arch).MultiplyAdds,
                    row.GetProperty("imagesPerSecond").GetDouble()));
            }
        }
        if (series.Count == 0)
        {
            Console.Error.WriteLine(
                "error: no inference or training rows in the given reports; pass JSON from facenet bench.");
            return 1;
        }

        var plot = new ScottPlot.Plot();
        foreach (var (name, points) in series)
        {
            List<(string Arch, double MultiplyAdds, double ImagesPerSecond)> sorted =
                points.OrderBy(p => p.MultiplyAdds).ToList();
            double[] xs = sorted.Select(p => Math.Log10(p.MultiplyAdds)).ToArray();
            double[] ys = sorted.Select(p => Math.Log10(p.ImagesPerSecond)).ToArray();
            var scatter = plot.Add.Scatter(xs, ys);
            scatter.LegendText = name;
            scatter.MarkerSize = 8;
            foreach (var p in sorted.Where(_ => name.Contains("cpu/", StringComparison.Ordinal)))
            {
                var label = plot.Add.Text(p.Arch, Math.Log10(p.MultiplyAdds), Math.Log10(p.ImagesPerSecond));
                label.LabelFontSize = 11;
            }
        }
        plot.Title("Throughput against work per image");
        plot.XLabel("log10(multiply-adds per image)");
        plot.YLabel("log10(images/s)");
        plot.ShowLegend();
        plot.SavePng(outputPath, 1000, 600);
        Console.WriteLine($"Wrote {outputPath} with {series.Count} series.");
        return 0;
    }
}
