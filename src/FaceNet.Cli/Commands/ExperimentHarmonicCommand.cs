using System.CommandLine;
using FaceNet.Runtime.Embedding;
using FaceNet.Runtime.Evaluation;
using Spectre.Console;

namespace FaceNet.Cli.Commands;

/// <summary>
/// <c>facenet experiment harmonic</c>: verification accuracy when the two images of an LFW pair are
/// embedded by two different models: an old model, a new model trained to be compatible with it
/// (<c>facenet train --compatible-with</c>), and optionally a control trained without the harmonic loss.
/// </summary>
internal static class ExperimentHarmonicCommand
{
    public const string PlotFileName = "harmonic-roc.png";

    public static Command Create()
    {
        var oldModel = new Option<string>("--old") { Description = "Checkpoint of the old model.", Required = true };
        var newModel = new Option<string>("--new")
        {
            Description = "Checkpoint of the new model, trained with --compatible-with the old one.",
            Required = true,
        };
        var control = new Option<string?>("--control")
        {
            Description = "Checkpoint of a model trained like the new one but without the harmonic loss.",
        };
        var models = new ModelOptions { DefaultFaceChoice = FaceNet.Runtime.Pretrained.FaceChoice.Central };
        var common = new ExperimentOptions("experiments/harmonic");
        var command = new Command("harmonic",
            "Measure LFW verification across an old and a new model: old-old, new-new and old-new pairs.");
        command.Options.Add(oldModel);
        command.Options.Add(newModel);
        command.Options.Add(control);
        command.Options.Add(models.Device);
        command.Options.Add(models.BatchSize);
        common.AddTo(command);
        command.SetAction(result => CommandRunner.Run(result, () =>
        {
            TextWriter output = result.InvocationConfiguration.Output;
            TextWriter error = result.InvocationConfiguration.Error;
            var lfw = ExperimentLfw.Open(result.GetValue(common.DataRoot), result.GetValue(common.Folds)!);
            string plot = common.OutputFile(result, PlotFileName);
            string device = result.GetValue(models.Device)!;
            int batch = result.GetValue(models.BatchSize);
            if (batch < 1)
            {
                throw new UsageException($"Invalid --batch-size {batch}; use a positive number.");
            }

            Dictionary<string, float[]> EmbedWith(string path)
            {
                using FaceEmbedder embedder = ExperimentLfw.LoadCheckpoint(path, device, batch);
                error.WriteLine($"model: {embedder.Model.Name} from '{path}'");
                return ExperimentLfw.Embed(embedder, lfw.Images, common.CacheFolder(result), error);
            }

            var old = EmbedWith(result.GetValue(oldModel)!);
            var renewed = EmbedWith(result.GetValue(newModel)!);
            var rows = new List<(string Label, string Description, VerificationResult Result)>
            {
                ("old-old", "both images by the old model", lfw.Evaluate(old)),
                ("new-new", "both images by the new (harmonic) model", lfw.Evaluate(renewed)),
                ("old-new", "first image by the old model, second by the new", lfw.Evaluate(old, renewed)),
                ("new-old", "first image by the new model, second by the old", lfw.Evaluate(renewed, old)),
            };
            if (result.GetValue(control) is { } controlPath)
            {
                var plain = EmbedWith(controlPath);
                rows.Add(("control-control", "both images by the control (no harmonic loss)", lfw.Evaluate(plain)));
                rows.Add(("old-control", "first image by the old model, second by the control", lfw.Evaluate(old, plain)));
            }

            var table = new Table().AddColumn("pairs").AddColumn("embedded by")
                .AddColumn(new TableColumn("accuracy").RightAligned())
                .AddColumn(new TableColumn("VAL at FAR=1e-3").RightAligned())
                .AddColumn(new TableColumn("AUC").RightAligned());
            foreach (var (label, description, r) in rows)
            {
                table.AddRow(label, description, ExperimentTable.Accuracy(r), ExperimentTable.Val(r),
                    ExperimentTable.Number(r.Auc, "F4"));
            }
            RocPlot.Save(plot, rows.Select(r => (r.Label, r.Result.Roc)).ToList(),
                $"LFW folds {result.GetValue(common.Folds)}: harmonic embeddings", logFar: false);
            output.WriteLine($"LFW folds {result.GetValue(common.Folds)}, {rows[0].Result.Pairs} pairs; old " +
                $"'{result.GetValue(oldModel)}', new '{result.GetValue(newModel)}'");
            ExperimentTable.Write(table, output);
            output.WriteLine($"ROC curves: {plot}");
            return 0;
        }));
        return command;
    }
}
