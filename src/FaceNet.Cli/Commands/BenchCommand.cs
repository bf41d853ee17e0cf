using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Benchmarks;
using FaceNet.Runtime.Cpu;
using FaceNet.Runtime.Models;
using Spectre.Console;

namespace FaceNet.Cli.Commands;

/// <summary>
/// <c>facenet bench</c>: images/s, GFLOP/s and fraction of the CPU's peak for inference and one training
/// step of an architecture, from the median of timed runs after untimed warm-up runs.
/// </summary>
internal static class BenchCommand
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var arch = new Option<string>("--arch")
        {
            Description = "Architecture to measure: " + string.Join(", ", Architectures.Names) + ".",
            DefaultValueFactory = _ => "nn4-small2",
        };
        var batch = new Option<int>("--batch")
        {
            Description = "Images per inference run.",
            DefaultValueFactory = _ => 64,
        };
        var trainBatch = new Option<int?>("--train-batch")
        {
            Description = "Images per training step; defaults to --batch.",
        };
        var mode = new Option<string>("--mode")
        {
            Description = "What to time: 'inference', 'training' or 'both'.",
            DefaultValueFactory = _ => "both",
        };
        mode.AcceptOnlyFromAmong("inference", "training", "both");
        var warmup = new Option<int>("--warmup")
        {
            Description = "Untimed runs before timing starts.",
            DefaultValueFactory = _ => 2,
        };
        var runs = new Option<int>("--runs")
        {
            Description = "Timed runs; the median is reported.",
            DefaultValueFactory = _ => 5,
        };
        var gemm = new Option<string>("--gemm")
        {
            Description = "GEMM provider of the CPU backend: 'auto', 'openblas' or 'managed'.",
            DefaultValueFactory = _ => "auto",
        };
        gemm.AcceptOnlyFromAmong("auto", "openblas", "managed");
        var profile = new Option<bool>("--profile")
        {
            Description = "Also time each top-level layer of the forward pass and each phase of the training step.",
        };
        var format = new Option<string>("--format")
        {
            Description = "Output format: 'table' for people, 'json' for programs.",
            DefaultValueFactory = _ => "table",
        };
        format.AcceptOnlyFromAmong("table", "json");

        var command = new Command("bench", "Measure images/s and GFLOP/s of inference and a training step.")
        {
            arch, batch, trainBatch, mode, warmup, runs, gemm, profile, format,
        };
        command.SetAction(result =>
        {
            var settings = new BenchSettings(
                result.GetValue(arch) ?? "nn4-small2",
                result.GetValue(batch),
                result.GetValue(trainBatch) ?? result.GetValue(batch),
                result.GetValue(mode) ?? "both",
                result.GetValue(warmup),
                result.GetValue(runs),
                result.GetValue(gemm) ?? "auto",
                result.GetValue(format) ?? "table",
                result.GetValue(profile));
            return Run(settings, result.InvocationConfiguration.Output, result.InvocationConfiguration.Error);
        });
        return command;
    }

    /// <summary>
    /// Runs the requested measurements and writes them to <paramref name="output"/>. Returns 0, or 2 (a usage
    /// error) with the reason on <paramref name="error"/> for an unknown architecture or an invalid count.
    /// </summary>
    internal static int Run(BenchSettings settings, TextWriter output, TextWriter error)
    {
        if (!Architectures.IsKnown(settings.Arch))
        {
            error.WriteLine(
                $"error: Unknown architecture '{settings.Arch}'. " +
                $"Valid names: {string.Join(", ", Architectures.Names)}.");
            return 2;
        }
        if (settings.Batch < 1 || settings.TrainBatch < 2 || settings.Warmup < 0 || settings.Runs < 1)
        {
            error.WriteLine(
                $"error: Invalid counts: --batch {settings.Batch} (at least 1), --train-batch {settings.TrainBatch} " +
                $"(at least 2), --warmup {settings.Warmup} (at least 0), --runs {settings.Runs} (at least 1).");
            return 2;
        }

        if (CpuPeak.IsDebugBuild)
        {
            error.WriteLine(
                "warning: this is a Debug build with the JIT optimiser off; build with -c Release to measure.");
        }
        var backend = new CpuBackend(settings.Gemm switch
        {
            "openblas" => GemmProviderKind.OpenBlas,
            "managed" => GemmProviderKind.Managed,
            _ => GemmProviderKind.Auto,
        });
        string backendName = $"{backend.Name}/{backend.GemmProvider}";
        CpuPeak peak = CpuPeak.Measure();

        ThroughputResult? inference = null;
        ThroughputResult? training = null;
        IReadOnlyList<LayerTiming>? layers = null;
        TrainingPhases? phases = null;
        if (settings.Mode is "inference" or "both")
        {
            using var step = new InferenceStep(settings.Arch, backend, settings.Batch);
            inference = ThroughputMeter.Measure(settings.Arch, step, peak, backendName, settings.Warmup, settings.Runs);
            if (settings.Profile)
            {
                layers = LayerProfiler.ProfileForward(step.Model, backend, step.ImageTensor, 1, settings.Runs);
            }
        }
        if (settings.Mode is "training" or "both")
        {
            using var step = new TrainingStep(settings.Arch, backend, settings.TrainBatch);
            training = ThroughputMeter.Measure(settings.Arch, step, peak, backendName, settings.Warmup, settings.Runs);
            if (settings.Profile)
            {
                phases = MedianPhases(step, settings.Runs);
            }
        }

        if (settings.Format == "json")
        {
            var report = new BenchReport(Row(inference), Row(training), ToPeakRow(peak), layers, phases);
            output.WriteLine(JsonSerializer.Serialize(report, JsonOptions));
        }
        else
        {
            WriteTable(peak, [inference, training], output);
            WriteProfile(layers, phases, output);
        }
        return 0;
    }

    private static TrainingPhases MedianPhases(TrainingStep step, int runs)
    {
        var all = new List<TrainingPhases>();
        for (int i = 0; i < runs; i++)
        {
            all.Add(step.RunPhases());
        }
        return new TrainingPhases(
            ThroughputMeter.Median(all.Select(p => p.Forward).ToArray()),
            ThroughputMeter.Median(all.Select(p => p.Loss).ToArray()),
            ThroughputMeter.Median(all.Select(p => p.Backward).ToArray()),
            ThroughputMeter.Median(all.Select(p => p.Update).ToArray()));
    }

    private static void WriteProfile(IReadOnlyList<LayerTiming>? layers, TrainingPhases? phases, TextWriter output)
    {
        IAnsiConsole console = ConsoleFor(output);
        if (layers is not null)
        {
            double total = layers.Sum(l => l.Seconds);
            var table = new Table().AddColumn("Layer").AddColumn("Kind")
                .AddColumn(new TableColumn("Median s").RightAligned())
                .AddColumn(new TableColumn("Share").RightAligned())
                .AddColumn(new TableColumn("GFLOP/s").RightAligned());
            foreach (LayerTiming l in layers)
            {
                table.AddRow(Markup.Escape(l.Name), Markup.Escape(l.Kind), Format(l.Seconds, "0.0000"),
                    Format(l.Seconds / total, "P1"), l.MultiplyAdds > 0 ? Format(l.Gflops, "0.0") : "-");
            }
            console.WriteLine("Forward pass by top-level layer (inference graph):");
            console.Write(table);
        }
        if (phases is not null)
        {
            console.WriteLine(
                $"Training step phases (median s): forward {Format(phases.Forward, "0.000")}, " +
                $"loss {Format(phases.Loss, "0.000")}, backward {Format(phases.Backward, "0.000")}, " +
                $"update {Format(phases.Update, "0.000")}");
        }
    }

    private static BenchRow? Row(ThroughputResult? r) => r is null
        ? null
        : new BenchRow(r.Arch, r.Batch, r.ImagesPerSecond, r.Gflops, r.PeakFraction, r.MedianSeconds, r.Runs,
            r.LoadAverage, r.Backend, r.CpuUtilization);

    private static PeakRow ToPeakRow(CpuPeak p) =>
        new(p.PeakGflops, p.Cores, p.ClockGHz, p.ClockSource, p.FmaUnits, p.FmaLanes, p.InstructionSet);

    private static void WriteTable(CpuPeak peak, ThroughputResult?[] results, TextWriter output)
    {
        var table = new Table().AddColumn("Arch").AddColumn("Mode")
            .AddColumn(new TableColumn("Batch").RightAligned())
            .AddColumn(new TableColumn("Median s").RightAligned())
            .AddColumn(new TableColumn("Images/s").RightAligned())
            .AddColumn(new TableColumn("GFLOP/s").RightAligned())
            .AddColumn(new TableColumn("Of peak").RightAligned())
            .AddColumn(new TableColumn("Load").RightAligned())
            .AddColumn(new TableColumn("CPU use").RightAligned())
            .AddColumn("Backend");
        foreach (ThroughputResult? r in results)
        {
            if (r is null)
            {
                continue;
            }
            table.AddRow(r.Arch, r.Mode, Format(r.Batch, "0"), Format(r.MedianSeconds, "0.000"),
                Format(r.ImagesPerSecond, "0.0"), Format(r.Gflops, "0.0"), Format(r.PeakFraction, "P1"),
                Format(r.LoadAverage, "0.0"), Format(r.CpuUtilization, "P0"), r.Backend);
        }
        IAnsiConsole console = ConsoleFor(output);
        console.WriteLine(
            $"Peak {Format(peak.PeakGflops, "0.0")} GFLOP/s = {peak.Cores} cores x " +
            $"{Format(peak.ClockGHz, "0.00")} GHz " +
            $"({peak.ClockSource}) x {peak.FmaUnits} FMA units x {peak.FmaLanes} lanes x 2 ({peak.InstructionSet})");
        console.WriteLine("Training FLOPs count 3 forward passes (forward, data gradient, weight gradient).");
        console.Write(table);
    }

    // Redirected output has no terminal width to detect; a fixed width keeps each row on one line.
    private const int RedirectedWidth = 160;

    private static IAnsiConsole ConsoleFor(TextWriter output)
    {
        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output) });
        if (!ReferenceEquals(output, Console.Out) || Console.IsOutputRedirected)
        {
            console.Profile.Width = RedirectedWidth;
        }
        return console;
    }

    private static string Format(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);

    /// <summary>Parsed options of <c>facenet bench</c>.</summary>
    internal sealed record BenchSettings(
        string Arch, int Batch, int TrainBatch, string Mode, int Warmup, int Runs, string Gemm, string Format,
        bool Profile = false);

    private sealed record BenchReport(
        [property: JsonPropertyName("inference"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        BenchRow? Inference,
        [property: JsonPropertyName("training"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        BenchRow? Training,
        [property: JsonPropertyName("peak")] PeakRow Peak,
        [property: JsonPropertyName("layers"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        IReadOnlyList<LayerTiming>? Layers,
        [property: JsonPropertyName("phases"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        TrainingPhases? Phases);

    private sealed record BenchRow(
        [property: JsonPropertyName("arch")] string Arch,
        [property: JsonPropertyName("batch")] int Batch,
        [property: JsonPropertyName("imagesPerSecond")] double ImagesPerSecond,
        [property: JsonPropertyName("gflops")] double Gflops,
        [property: JsonPropertyName("peakFraction")] double PeakFraction,
        [property: JsonPropertyName("medianSeconds")] double MedianSeconds,
        [property: JsonPropertyName("runs")] int Runs,
        [property: JsonPropertyName("loadAverage")] double LoadAverage,
        [property: JsonPropertyName("backend")] string Backend,
        [property: JsonPropertyName("cpuUtilization")] double CpuUtilization);

    private sealed record PeakRow(
        [property: JsonPropertyName("gflops")] double Gflops,
        [property: JsonPropertyName("cores")] int Cores,
        [property: JsonPropertyName("clockGHz")] double ClockGHz,
        [property: JsonPropertyName("clockSource")] string ClockSource,
        [property: JsonPropertyName("fmaUnits")] int FmaUnits,
        [property: JsonPropertyName("fmaLanes")] int FmaLanes,
        [property: JsonPropertyName("instructionSet")] string InstructionSet);
}
