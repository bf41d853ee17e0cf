using System.CommandLine;
using FaceNet.Runtime.Checkpoints;
using FaceNet.Runtime.Cpu;
using FaceNet.Runtime.Export;
using FaceNet.Runtime.Models;

namespace FaceNet.Cli.Commands;

/// <summary>
/// <c>facenet export --onnx FILE --arch NAME [--checkpoint FILE]</c>: writes an architecture as an ONNX
/// model (operator set 13), with the weights of a checkpoint or seeded random weights.
/// </summary>
internal static class ExportCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var onnx = new Option<string>("--onnx")
        {
            Description = "Path of the ONNX file to write.",
            Required = true,
        };
        var arch = new Option<string>("--arch")
        {
            Description = "Architecture: " + string.Join(", ", Architectures.Names) + ".",
            DefaultValueFactory = _ => "nn4-small2",
        };
        var checkpoint = new Option<string?>("--checkpoint")
        {
            Description = "Checkpoint whose weights to export; without it the weights are random (see --seed).",
        };
        var seed = new Option<int>("--seed")
        {
            Description = "Seed of the random weights used when no checkpoint is given.",
            DefaultValueFactory = _ => 1,
        };
        var command = new Command("export", "Write a model as ONNX for other runtimes.")
        {
            onnx, arch, checkpoint, seed,
        };
        command.SetAction(result => Run(
            result.GetValue(onnx)!,
            result.GetValue(arch) ?? "nn4-small2",
            result.GetValue(checkpoint),
            result.GetValue(seed),
            result.InvocationConfiguration.Output,
            result.InvocationConfiguration.Error));
        return command;
    }

    /// <summary>
    /// Exports the model and returns 0. Returns 2 for an unknown architecture and 1 for a missing or
    /// mismatched checkpoint, with the reason on <paramref name="error"/>.
    /// </summary>
    internal static int Run(string path, string arch, string? checkpoint, int seed, TextWriter output,
        TextWriter error)
    {
        if (!Architectures.IsKnown(arch))
        {
            error.WriteLine(
                $"error: Unknown architecture '{arch}'. Valid names: {string.Join(", ", Architectures.Names)}.");
            return 2;
        }
        if (checkpoint is not null && !File.Exists(checkpoint))
        {
            error.WriteLine(
                $"error: Checkpoint '{checkpoint}' not found; pass the path of a file written by training.");
            return 1;
        }
        using FaceNetModel model = Architectures.Create(arch);
        model.Allocate(CpuBackend.Instance, seed);
        if (checkpoint is not null)
        {
            try
            {
                ModelCheckpoint.Load(checkpoint, model);
            }
            catch (InvalidDataException e)
            {
                error.WriteLine($"error: Cannot export '{checkpoint}': {e.Message}");
                return 1;
            }
        }
        OnnxExporter.Export(model, path);
        string weights = checkpoint is null ? $"random weights (seed {seed})" : $"weights of '{checkpoint}'";
        output.WriteLine($"Wrote {arch} with {weights} to '{path}' (ONNX operator set {OnnxExporter.Opset}).");
        return 0;
    }
}
