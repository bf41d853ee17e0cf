using FaceNet.Runtime.Experiments;

namespace FaceNet.Tests.Experiments;

public sealed class ExperimentPlotTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "facenet-plot-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    [Fact]
    public void Save_LogAxisWithLabels_WritesPng()
    {
        string path = Path.Combine(_folder, "nested", "cost.png");

        ExperimentPlot.Save(path, "cost", "multiply-adds", "accuracy",
            [new PlotSeries("accuracy", [2e7, 2e8, 1.6e9], [0.6, 0.7, 0.65], ["nns2", "nn4-small2", "nn1"])],
            logX: true, markersOnly: true);

        byte[] header = File.ReadAllBytes(path)[..8];
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, header);
    }

    [Fact]
    public void Save_LogAxisWithZero_Throws()
    {
        string path = Path.Combine(_folder, "bad.png");

        Assert.Throws<ArgumentException>(() => ExperimentPlot.Save(path, "t", "x", "y",
            [new PlotSeries("s", [0, 1], [1, 2])], logX: true));
    }

    [Fact]
    public void Save_MismatchedSeries_Throws()
    {
        string path = Path.Combine(_folder, "bad.png");

        Assert.Throws<ArgumentException>(() => ExperimentPlot.Save(path, "t", "x", "y",
            [new PlotSeries("s", [1, 2, 3], [1, 2])]));
    }
}
