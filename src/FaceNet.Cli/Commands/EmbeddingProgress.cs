using System.Diagnostics;

namespace FaceNet.Cli.Commands;

/// <summary>
/// Progress of a long embedding run, written to standard error so that standard output stays parseable:
/// a line every few seconds with the count, the rate and the time left.
/// </summary>
internal sealed class EmbeddingProgress(string label, int total, TextWriter error) : IProgress<int>
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly TimeSpan _interval = TimeSpan.FromSeconds(3);
    private TimeSpan _lastReport = TimeSpan.Zero;

    public void Report(int done)
    {
        TimeSpan now = _clock.Elapsed;
        if (done < total && now - _lastReport < _interval)
        {
            return;
        }
        _lastReport = now;
        double rate = done / Math.Max(now.TotalSeconds, 1e-9);
        string left = rate > 0 && done < total ? $", about {TimeSpan.FromSeconds((total - done) / rate):hh\\:mm\\:ss} left" : "";
        error.WriteLine($"{label}: {done}/{total} images ({rate:F1} images/s{left})");
    }
}
