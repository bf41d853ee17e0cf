using System.Globalization;
using ScottPlot;

namespace FaceNet.Runtime.Experiments;

/// <summary>One named line of an <see cref="ExperimentPlot"/>: x and y values, and an optional label per point.</summary>
public sealed record PlotSeries(string Label, IReadOnlyList<double> X, IReadOnlyList<double> Y,
    IReadOnlyList<string>? PointLabels = null);

/// <summary>Draws the experiments' line and scatter charts to PNG files with ScottPlot.</summary>
public static class ExperimentPlot
{
    /// <summary>
    /// Writes a PNG with one marked line per series. With <paramref name="logX"/> the x axis shows log10
    /// of the values, labelled with the values themselves; every x value must then be positive. With
    /// <paramref name="markersOnly"/> the points are not joined.
    /// </summary>
    /// <exception cref="ArgumentException">No series is given, a series is empty or its X and Y differ in
    /// length, or an x value is not positive on a log axis.</exception>
    public static void Save(string path, string title, string xLabel, string yLabel,
        IReadOnlyList<PlotSeries> series, bool logX = false, bool markersOnly = false, int width = 900,
        int height = 600)
    {
        ArgumentNullException.ThrowIfNull(series);
        if (series.Count == 0)
        {
            throw new ArgumentException("An experiment plot needs at least one series.", nameof(series));
        }

        var plot = new Plot();
        foreach (PlotSeries line in series)
        {
            if (line.X.Count == 0 || line.X.Count != line.Y.Count)
            {
                throw new ArgumentException(
                    $"Series '{line.Label}' has {line.X.Count} x values and {line.Y.Count} y values; it needs the " +
                    "same positive number of each.", nameof(series));
            }
            if (logX && line.X.Any(x => !(x > 0)))
            {
                throw new ArgumentException(
                    $"Series '{line.Label}' has an x value that is not positive, which a log axis cannot show.",
                    nameof(series));
            }
            double[] xs = line.X.Select(x => logX ? Math.Log10(x) : x).ToArray();
            double[] ys = line.Y.ToArray();
            var scatter = plot.Add.Scatter(xs, ys);
            scatter.LegendText = line.Label;
            scatter.LineWidth = markersOnly ? 0 : 2;
            scatter.MarkerSize = 8;
            if (line.PointLabels is not null)
            {
                for (int i = 0; i < Math.Min(xs.Length, line.PointLabels.Count); i++)
                {
                    var text = plot.Add.Text(line.PointLabels[i], xs[i], ys[i]);
                    text.LabelFontSize = 12;
                    text.OffsetX = 6;
                    text.OffsetY = -6;
                }
            }
        }

        if (logX)
        {
            double[] ticks = LogTicks(series.SelectMany(line => line.X).ToArray());
            plot.Axes.Bottom.SetTicks(ticks.Select(Math.Log10).ToArray(), ticks.Select(FormatPower).ToArray());
        }
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        plot.Title(title);
        plot.ShowLegend(Alignment.LowerRight);

        FaceNet.Runtime.Evaluation.RocPlot.WritePng(plot, path, width, height);
    }

    /// <summary>
    /// Tick values of a log axis: the powers of ten inside the data's range when it spans a decade or more,
    /// otherwise the distinct data values themselves (such as 64, 128, 256, 512).
    /// </summary>
    private static double[] LogTicks(double[] values)
    {
        double low = values.Min(), high = values.Max();
        int first = (int)Math.Ceiling(Math.Log10(low)), last = (int)Math.Floor(Math.Log10(high));
        if (last - first >= 1)
        {
            return Enumerable.Range(first, last - first + 1).Select(p => Math.Pow(10, p)).ToArray();
        }
        return values.Distinct().Order().ToArray();
    }

    // Tick labels of a log axis: 65536 stays whole, 2E+8 reads better than 200000000.
    private static string FormatPower(double value) => Math.Abs(value) < 1e5
        ? value.ToString("0.##", CultureInfo.InvariantCulture)
        : value.ToString("0.#E+0", CultureInfo.InvariantCulture);
}
