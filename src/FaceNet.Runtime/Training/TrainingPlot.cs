namespace FaceNet.Runtime.Training;

/// <summary>Draws the learning curve: the loss (left axis) and the active-triplet fraction (right axis) per step.</summary>
public static class TrainingPlot
{
    /// <summary>Writes a PNG of the curves; the loss is smoothed by a trailing mean over <paramref name="window"/> steps.</summary>
    public static void Write(IReadOnlyList<StepRecord> records, string path, int window = 20)
    {
        if (records.Count == 0)
        {
            throw new ArgumentException("No training steps to plot.", nameof(records));
        }
        double[] steps = records.Select(r => (double)r.Step).ToArray();
        double[] loss = Smooth(records.Select(r => r.Loss).ToArray(), window);
        double[] active = Smooth(records.Select(r => r.ActiveFraction).ToArray(), window);

        var plot = new ScottPlot.Plot();
        var lossLine = plot.Add.ScatterLine(steps, loss);
        lossLine.LegendText = $"triplet loss (mean of {window} steps)";
        var activeLine = plot.Add.ScatterLine(steps, active);
        activeLine.LegendText = "active triplets / pairs";
        activeLine.Axes.YAxis = plot.Axes.Right;
        plot.Axes.Bottom.Label.Text = "step";
        plot.Axes.Left.Label.Text = "loss";
        plot.Axes.Right.Label.Text = "active fraction";
        plot.ShowLegend();
        plot.SavePng(path, 900, 500);
    }

    private static double[] Smooth(double[] values, int window)
    {
        var result = new double[values.Length];
        double sum = 0;
        for (int i = 0; i < values.Length; i++)
        {
            sum += values[i];
            if (i >= window)
            {
                sum -= values[i - window];
            }
            result[i] = sum / Math.Min(i + 1, window);
        }
        return result;
    }
}
