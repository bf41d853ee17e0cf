using System.Diagnostics;

namespace FaceNet.Runtime.Benchmarks;

/// <summary>
/// Times a <see cref="IBenchmarkStep"/>: untimed warm-up runs first (JIT, buffer pool, OpenBLAS threads),
/// then the median of the timed runs, which a run disturbed by another process moves less than a mean.
/// Shared by <c>facenet bench</c> and the BenchmarkDotNet project.
/// </summary>
public static class ThroughputMeter
{
    /// <summary>Runs the step and returns its throughput against <paramref name="peak"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Warm-up is negative or runs is below 1.</exception>
    public static ThroughputResult Measure(string arch, IBenchmarkStep step, CpuPeak peak, string backend,
        int warmup = 2, int runs = 5)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(warmup);
        ArgumentOutOfRangeException.ThrowIfLessThan(runs, 1);
        for (int i = 0; i < warmup; i++)
        {
            step.Run();
        }
        var seconds = new double[runs];
        using Process process = Process.GetCurrentProcess();
        process.Refresh();
        TimeSpan cpuBefore = process.TotalProcessorTime;
        for (int i = 0; i < runs; i++)
        {
            long start = Stopwatch.GetTimestamp();
            step.Run();
            seconds[i] = Stopwatch.GetElapsedTime(start).TotalSeconds;
        }
        process.Refresh();
        double cpuSeconds = (process.TotalProcessorTime - cpuBefore).TotalSeconds;
        double utilization = cpuSeconds / (seconds.Sum() * Environment.ProcessorCount);

        double median = Median(seconds);
        double gflops = step.Flops / median / 1e9;
        return new ThroughputResult(arch, step.Mode, step.Batch, runs, median, step.Batch / median, gflops,
            gflops / peak.PeakGflops, CpuPeak.ReadLoadAverage(), backend, utilization);
    }

    /// <summary>Median of the values; the mean of the middle two for an even count.</summary>
    /// <exception cref="ArgumentException">The span is empty.</exception>
    public static double Median(ReadOnlySpan<double> values)
    {
        if (values.IsEmpty)
        {
            throw new ArgumentException("Median of an empty list of timings; time at least one run.", nameof(values));
        }
        double[] sorted = values.ToArray();
        Array.Sort(sorted);
        int middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }
}
