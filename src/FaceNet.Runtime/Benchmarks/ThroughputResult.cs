namespace FaceNet.Runtime.Benchmarks;

/// <summary>Throughput of one benchmark row: the median of the timed runs after warm-up.</summary>
/// <param name="Arch">Architecture name, or a kernel label.</param>
/// <param name="Mode"><c>inference</c> or <c>training</c>.</param>
/// <param name="Batch">Images per run.</param>
/// <param name="Runs">Timed runs (warm-up excluded).</param>
/// <param name="MedianSeconds">Median wall time of one run.</param>
/// <param name="ImagesPerSecond">Batch / median seconds.</param>
/// <param name="Gflops">Counted FLOPs / median seconds, in GFLOP/s.</param>
/// <param name="PeakFraction">Gflops / the CPU's theoretical peak.</param>
/// <param name="LoadAverage">1-minute load average when the row finished, NaN where unknown.</param>
/// <param name="Backend">Backend name and GEMM provider, such as <c>cpu/openblas</c>.</param>
/// <param name="CpuUtilization">Process CPU time over (wall time * cores) during the timed runs: 1 when the
/// process had every core to itself and kept it busy, less when other processes took cores or threads
/// waited.</param>
public sealed record ThroughputResult(
    string Arch, string Mode, int Batch, int Runs, double MedianSeconds, double ImagesPerSecond, double Gflops,
    double PeakFraction, double LoadAverage, string Backend, double CpuUtilization);
