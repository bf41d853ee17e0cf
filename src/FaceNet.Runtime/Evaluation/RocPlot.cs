using ScottPlot;

namespace FaceNet.Runtime.Evaluation;

/// <summary>Draws ROC curves (FAR on the x axis, VAL on the y axis) to PNG files with ScottPlot.</summary>
public static class RocPlot
{
    /// <summary>Smallest FAR drawn on a logarithmic axis; points at FAR 0 are drawn at this value.</summary>
    public const double MinimumLogFar = 1e-4;

    /// <summary>
    /// Writes a PNG of one or more named ROC curves. With <paramref name="logFar"/> the x axis shows
    /// log10(FAR) from <see cref="MinimumLogFar"/> to 1, which spreads out the low-FAR region where VAL at
    /// FAR = 1e-3 is read; otherwise both axes are linear from 0 to 1 and the chance diagonal is drawn.
    /// </summary>
    /// <exception cref="ArgumentException">No curve is given, or a curve is empty.</exception>
    public static void Save(
        string path,
        IReadOnlyList<(string Label, IReadOnlyList<RocPoint> Points)> curves,
        string title = "ROC",
        bool logFar = false,
        int width = 800,
        int height = 600)
    {
        ArgumentNullException.ThrowIfNull(curves);
        if (curves.Count == 0)
        {
            throw new ArgumentException("A ROC plot needs at least one curve.", nameof(curves));
        }

        var plot = new Plot();
        foreach ((string label, IReadOnlyList<RocPoint> points) in curves)
        {
            if (points.Count == 0)
            {
                throw new ArgumentException($"ROC curve '{label}' has no points.", nameof(curves));
            }
            double[] xs = points.Select(point => logFar ? Math.Log10(Math.Max(point.FalseAcceptRate, MinimumLogFar)) : point.FalseAcceptRate).ToArray();
            double[] ys = points.Select(point => point.TrueAcceptRate).ToArray();
            var scatter = plot.Add.ScatterLine(xs, ys);
            scatter.LegendText = label;
            scatter.LineWidth = 2;
        }

        if (logFar)
        {
            var ticks = new ScottPlot.TickGenerators.NumericAutomatic
            {
                IntegerTicksOnly = true,
                LabelFormatter = value => Math.Pow(10, value).ToString("G1", System.Globalization.CultureInfo.InvariantCulture),
            };
            plot.Axes.Bottom.TickGenerator = ticks;
            plot.Axes.SetLimits(Math.Log10(MinimumLogFar), 0, 0, 1.02);
            plot.XLabel("False accept rate (log scale)");
        }
        else
        {
            var chance = plot.Add.Line(0, 0, 1, 1);
            chance.LinePattern = LinePattern.Dashed;
            chance.LegendText = "chance";
            plot.Axes.SetLimits(0, 1, 0, 1.02);
            plot.XLabel("False accept rate");
        }

        plot.YLabel("Validation rate (true accept rate)");
        plot.Title(title);
        plot.ShowLegend(Alignment.LowerRight);

        WritePng(plot, path, width, height);
    }

    /// <summary>Writes a PNG of the ROC curve of one verification result.</summary>
    public static void Save(string path, VerificationResult result, string label = "model", bool logFar = false) =>
        Save(path, [(label, result.Roc)], $"ROC, AUC {result.Auc:F4}, EER {result.Eer:F4}", logFar);

    /// <summary>Writes <paramref name="plot"/> as a PNG, creating the folder of <paramref name="path"/> first.</summary>
    internal static void WritePng(Plot plot, string path, int width, int height)
    {
        string? directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }
        plot.SavePng(path, width, height);
    }
}
