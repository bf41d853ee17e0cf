using System.Globalization;
using System.Text.Json;
using BenchmarkDotNet.Running;
using FaceNet.Runtime.Benchmarks;

namespace FaceNet.Bench;

/// <summary>
/// BenchmarkDotNet entry point (<c>--filter '*Gemm*'</c> and so on), plus <c>ort --arch NAME --batch N</c>,
/// which prints the ONNX Runtime inference row as JSON in the format of <c>facenet bench --format json</c>, and
/// <c>chart OUT.png REPORT.json...</c>, which plots images/s against multiply-adds from such reports, and
/// <c>kernels [--batch N] [--runs N]</c>, which prints CPU milliseconds per call of the CPU kernels.
/// </summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "ort")
        {
            return RunOnnxRuntime(args[1..]);
        }
        if (args.Length > 0 && args[0] == "kernels")
        {
            return KernelCpuTime.Run(args[1..]);
        }
        if (args.Length > 2 && args[0] == "chart")
        {
            return ThroughputChart.Run(args[1], args[2..]);
        }
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }

    private static int RunOnnxRuntime(string[] args)
    {
        string arch = "nn4-small2";
        int batch = 64;
        int warmup = 2;
        int runs = 5;
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--arch":
                    arch = args[i + 1];
                    break;
                case "--batch":
                    batch = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
                    break;
                case "--warmup":
                    warmup = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
                    break;
                case "--runs":
                    runs = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
                    break;
                default:
                    Console.Error.WriteLine(
                        $"Unknown option '{args[i]}'. Usage: ort [--arch NAME] [--batch N] [--warmup N] [--runs N].");
                    return 1;
            }
        }

        CpuPeak peak = CpuPeak.Measure();
        using var step = new OnnxRuntimeStep(arch, batch);
        ThroughputResult r = ThroughputMeter.Measure(arch, step, peak, "onnxruntime-1.32.0", warmup, runs);
        var row = new Dictionary<string, object>
        {
            ["arch"] = r.Arch,
            ["batch"] = r.Batch,
            ["imagesPerSecond"] = r.ImagesPerSecond,
            ["gflops"] = r.Gflops,
            ["peakFraction"] = r.PeakFraction,
            ["medianSeconds"] = r.MedianSeconds,
            ["runs"] = r.Runs,
            ["loadAverage"] = r.LoadAverage,
            ["backend"] = r.Backend,
            ["cpuUtilization"] = r.CpuUtilization,
        };
        var options = new JsonSerializerOptions
        {
            WriteIndented = true,
            NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
        };
        Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object> { ["inference"] = row }, options));
        return 0;
    }
}
