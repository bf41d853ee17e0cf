using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using FaceNet.Kernels;
using FaceNet.Kernels.Driver;
using FaceNet.Kernels.Selftest;
using FaceNet.Runtime.Autograd;
using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Cpu;
using FaceNet.Runtime.Models;
using FaceNet.Runtime.Operations;
using FaceNet.Runtime.Tensors;
using FaceNet.Runtime.Training;

namespace FaceNet.Cli.Commands;

/// <summary>
/// <c>facenet selftest</c>: runs the operation parity table (<see cref="OperationParity"/>) on a device against
/// the CPU backend and prints one row per compared output. For <c>cpu</c> the candidate is a CPU backend forced
/// to the managed GEMM, so the table checks the OpenBLAS and managed GEMM paths against each other (both are
/// managed when OpenBLAS is not installed). <c>--bench</c> adds nn4-small2 inference and training-step timings.
/// </summary>
internal static class SelftestCommand
{
    private const string BenchArchitecture = "nn4-small2";

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var device = new Option<string>("--device")
        {
            Description = "Backend to check against the CPU reference: 'cuda' (GPU), 'emulated' (CUDA kernels on the " +
                "CPU emulator) or 'cpu' (managed GEMM against OpenBLAS).",
            DefaultValueFactory = _ => "cuda",
        };
        device.AcceptOnlyFromAmong([.. BackendFactory.Devices]);
        var format = new Option<string>("--format")
        {
            Description = "Output format: 'table' for people, 'json' for programs.",
            DefaultValueFactory = _ => "table",
        };
        format.AcceptOnlyFromAmong("table", "json");
        var bench = new Option<bool>("--bench")
        {
            Description = $"Also time {BenchArchitecture} inference and one training step (AdaGrad) on the device.",
        };
        var benchBatch = new Option<int>("--bench-batch")
        {
            Description = "Images per batch for --bench.",
            DefaultValueFactory = _ => 64,
        };
        var benchRuns = new Option<int>("--bench-runs")
        {
            Description = "Timed runs for --bench, after one warm-up run.",
            DefaultValueFactory = _ => 5,
        };

        var command = new Command("selftest",
            "Compare every kernel family of a device with the CPU reference and print the errors; exit code 1 on a failure.")
        {
            device,
            format,
            bench,
            benchBatch,
            benchRuns,
        };
        command.SetAction(result => CommandRunner.Run(result, () => Run(
            result.GetValue(device) ?? "cuda",
            result.GetValue(format) ?? "table",
            result.GetValue(bench) ? new BenchSettings(result.GetValue(benchBatch), result.GetValue(benchRuns)) : null,
            result.InvocationConfiguration.Output,
            result.InvocationConfiguration.Error)));
        return command;
    }

    /// <summary>
    /// Runs the table (and the benchmark when <paramref name="bench"/> is set) and returns the exit code: 0 when
    /// every row passes, 1 when one fails or the device cannot be opened.
    /// </summary>
    /// <exception cref="UsageException">The benchmark batch is below 4 or the run count below 1; the command
    /// runner turns it into exit code 2.</exception>
    internal static int Run(string device, string format, BenchSettings? bench, TextWriter output, TextWriter error)
    {
        if (bench is { Batch: < 4 } or { Runs: < 1 })
        {
            throw new UsageException($"Invalid --bench-batch {bench.Batch} or --bench-runs {bench.Runs}; the batch " +
                "needs at least 4 images (two identities of two) and at least one run.");
        }

        IBackend candidate;
        try
        {
            candidate = device == "cpu" ? new CpuBackend(GemmProviderKind.Managed) : BackendFactory.Create(device);
        }
        catch (CudaException e)
        {
            error.WriteLine($"error: cannot open the '{device}' device: {ModelOptions.DeviceFailureMessage(device, e)}");
            return 1;
        }

        try
        {
            IReadOnlyList<ParityResult> rows = OperationParity.RunAll(CpuBackend.Instance, candidate);
            BenchResult? timing = bench is null ? null : RunBench(candidate, bench);
            string deviceName = candidate is CudaBackend cuda ? cuda.Driver.DeviceName : candidate.Name;
            if (format == "json")
            {
                WriteJson(device, deviceName, rows, timing, output);
            }
            else
            {
                WriteTable(device, deviceName, rows, timing, output);
            }
            return rows.All(r => r.Passed) ? 0 : 1;
        }
        finally
        {
            (candidate as IDisposable)?.Dispose();
        }
    }

    /// <summary>Settings of <c>--bench</c>.</summary>
    internal sealed record BenchSettings(int Batch, int Runs);

    /// <summary>Mean milliseconds per batch and images per second of inference and of a training step.</summary>
    internal sealed record BenchResult(string Architecture, int Batch, int Runs, double InferenceMilliseconds,
        double InferenceImagesPerSecond, double TrainingMilliseconds, double TrainingImagesPerSecond);

    /// <summary>
    /// Times <see cref="BenchArchitecture"/> on <paramref name="backend"/>: one warm-up run (module loading, JIT,
    /// allocator warm-up) and then <see cref="BenchSettings.Runs"/> timed runs of inference and of a full training
    /// step (forward, semi-hard triplet loss, backward, AdaGrad update), each ended by a device synchronisation.
    /// </summary>
    private static BenchResult RunBench(IBackend backend, BenchSettings settings)
    {
        using FaceNetModel model = Architectures.Create(BenchArchitecture);
        model.Allocate(backend, seed: 1);
        var random = new Random(3);
        float[] images = new float[settings.Batch * 3 * model.InputHeight * model.InputWidth];
        for (int i = 0; i < images.Length; i++)
        {
            images[i] = (float)(random.NextDouble() * 2 - 1);
        }
        int[] labels = Enumerable.Range(0, settings.Batch).Select(i => i / 2).ToArray();
        using var optimizer = new AdaGrad(model.Parameters());

        void Infer()
        {
            using Graph graph = Graph.ForInference(backend);
            Tensor input = graph.FromHost(images, settings.Batch, 3, model.InputHeight, model.InputWidth);
            model.Forward(graph, input);
            backend.Synchronize();
        }

        void Train()
        {
            optimizer.ZeroGradients();
            using (Graph graph = Graph.ForTraining(backend))
            {
                Tensor input = graph.FromHost(images, settings.Batch, 3, model.InputHeight, model.InputWidth);
                Tensor embeddings = model.Forward(graph, input);
                TripletLoss.SemiHard(graph, embeddings, labels).Backward();
            }
            optimizer.Step(AdaGrad.PaperLearningRate);
            backend.Synchronize();
        }

        double inference = Time(Infer, settings.Runs);
        double training = Time(Train, settings.Runs);
        return new BenchResult(BenchArchitecture, settings.Batch, settings.Runs, inference,
            settings.Batch / (inference / 1000), training, settings.Batch / (training / 1000));
    }

    /// <summary>Mean milliseconds of <paramref name="runs"/> calls after one untimed warm-up call.</summary>
    private static double Time(Action action, int runs)
    {
        action();
        var watch = Stopwatch.StartNew();
        for (int i = 0; i < runs; i++)
        {
            action();
        }
        return watch.Elapsed.TotalMilliseconds / runs;
    }

    private static void WriteTable(string device, string deviceName, IReadOnlyList<ParityResult> rows,
        BenchResult? bench, TextWriter output)
    {
        output.WriteLine($"Operation parity: {device} ({deviceName}) against the CPU reference");
        output.WriteLine();
        string[] header = ["operation", "shape", "max abs error", "max rel error", "tolerance", "result", "time ms"];
        string[][] cells = rows.Select(r => new[]
        {
            r.Operation,
            r.Shape,
            r.MaxAbsoluteError.ToString("0.00e+00", CultureInfo.InvariantCulture),
            r.MaxRelativeError.ToString("0.00e+00", CultureInfo.InvariantCulture),
            $"{r.Tolerance.Absolute:G2} + {r.Tolerance.Relative:G2}*|ref| ({r.Tolerance.Name})",
            r.Passed ? "pass" : $"FAIL ({r.Failures} of {r.Elements})",
            r.Milliseconds.ToString("0.0", CultureInfo.InvariantCulture),
        }).ToArray();
        int[] widths = header.Select((h, c) => Math.Max(h.Length, cells.Select(row => row[c].Length).DefaultIfEmpty(0).Max()))
            .ToArray();
        output.WriteLine(string.Join("  ", header.Select((h, c) => h.PadRight(widths[c]))).TrimEnd());
        foreach (string[] row in cells)
        {
            output.WriteLine(string.Join("  ", row.Select((cell, c) => cell.PadRight(widths[c]))).TrimEnd());
        }
        output.WriteLine();
        int failed = rows.Count(r => !r.Passed);
        output.WriteLine(failed == 0
            ? $"All {rows.Count} outputs passed."
            : $"{failed} of {rows.Count} outputs FAILED.");

        if (bench is not null)
        {
            output.WriteLine();
            output.WriteLine($"Benchmark: {bench.Architecture}, batch {bench.Batch}, mean of {bench.Runs} runs after one warm-up");
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  inference      {bench.InferenceMilliseconds,10:0.0} ms/batch  {bench.InferenceImagesPerSecond,10:0.0} images/s"));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  training step  {bench.TrainingMilliseconds,10:0.0} ms/batch  {bench.TrainingImagesPerSecond,10:0.0} images/s"));
        }
    }

    private static void WriteJson(string device, string deviceName, IReadOnlyList<ParityResult> rows,
        BenchResult? bench, TextWriter output)
    {
        var document = new
        {
            device,
            deviceName,
            reference = "cpu",
            passed = rows.All(r => r.Passed),
            results = rows.Select(r => new
            {
                operation = r.Operation,
                shape = r.Shape,
                elements = r.Elements,
                maxAbsoluteError = r.MaxAbsoluteError,
                maxRelativeError = r.MaxRelativeError,
                tolerance = new { name = r.Tolerance.Name, absolute = r.Tolerance.Absolute, relative = r.Tolerance.Relative },
                passed = r.Passed,
                failures = r.Failures,
                milliseconds = r.Milliseconds,
            }),
            bench = bench is null
                ? null
                : new
                {
                    architecture = bench.Architecture,
                    batch = bench.Batch,
                    runs = bench.Runs,
                    inferenceMilliseconds = bench.InferenceMilliseconds,
                    inferenceImagesPerSecond = bench.InferenceImagesPerSecond,
                    trainingMilliseconds = bench.TrainingMilliseconds,
                    trainingImagesPerSecond = bench.TrainingImagesPerSecond,
                },
        };
        output.WriteLine(JsonSerializer.Serialize(document, JsonOptions));
    }
}
