using System.CommandLine;
using FaceNet.Runtime.Embedding;
using FaceNet.Runtime.Evaluation;
using FaceNet.Runtime.Experiments;
using Spectre.Console;

namespace FaceNet.Cli.Commands;

/// <summary>
/// <c>facenet experiment dimensions</c> and <c>facenet experiment cost</c>: evaluate several checkpoints on
/// the same LFW folds and compare them by embedding size, or by multiply-adds per image.
/// </summary>
internal static class ExperimentModelsCommand
{
    public const string DimensionsPlotFileName = "dimensions.png";

    public const string CostPlotFileName = "cost.png";

    /// <summary>One evaluated checkpoint.</summary>
    private sealed record Evaluated(string Path, string Architecture, int Dimension, long MultiplyAdds,
        long Parameters, VerificationResult Result);

    public static Command CreateDimensions()
    {
        var (command, checkpoints, common, device, batchSize) = CreateCommon("dimensions",
            "Compare checkpoints that differ in embedding size: VAL at FAR 1e-3 and accuracy on LFW.",
            "experiments/dimensions");
        command.SetAction(result => CommandRunner.Run(result, () =>
        {
            TextWriter output = result.InvocationConfiguration.Output;
            List<Evaluated> rows = EvaluateAll(result, checkpoints, common, device, batchSize)
                .OrderBy(r => r.Dimension).ToList();
            string plot = common.OutputFile(result, DimensionsPlotFileName);
            var table = new Table().AddColumn("dims").AddColumn("architecture").AddColumn("checkpoint")
                .AddColumn(new TableColumn("VAL at FAR=1e-3").RightAligned())
                .AddColumn(new TableColumn("accuracy").RightAligned()).AddColumn(new TableColumn("AUC").RightAligned());
            foreach (Evaluated r in rows)
            {
                table.AddRow(r.Dimension.ToString(), r.Architecture, Markup.Escape(r.Path), ExperimentTable.Val(r.Result),
                    ExperimentTable.Accuracy(r.Result), ExperimentTable.Number(r.Result.Auc, "F4"));
            }
            ExperimentPlot.Save(plot, $"LFW folds {result.GetValue(common.Folds)} by embedding size",
                "embedding dimensions (log scale)", "rate",
                [
                    new PlotSeries("VAL at FAR 1e-3", rows.Select(r => (double)r.Dimension).ToArray(),
                        rows.Select(r => r.Result.ValAtFar1e3).ToArray()),
                    new PlotSeries("accuracy", rows.Select(r => (double)r.Dimension).ToArray(),
                        rows.Select(r => r.Result.Accuracy).ToArray()),
                ], logX: true);
            output.WriteLine($"LFW folds {result.GetValue(common.Folds)}, {rows[0].Result.Pairs} pairs");
            ExperimentTable.Write(table, output);
            output.WriteLine($"plot: {plot}");
            return 0;
        }));
        return command;
    }

    public static Command CreateCost()
    {
        var (command, checkpoints, common, device, batchSize) = CreateCommon("cost",
            "Compare checkpoints of different architectures: LFW accuracy against multiply-adds per image.",
            "experiments/cost");
        command.SetAction(result => CommandRunner.Run(result, () =>
        {
            TextWriter output = result.InvocationConfiguration.Output;
            List<Evaluated> rows = EvaluateAll(result, checkpoints, common, device, batchSize)
                .OrderBy(r => r.MultiplyAdds).ToList();
            string plot = common.OutputFile(result, CostPlotFileName);
            var table = new Table().AddColumn("architecture")
                .AddColumn(new TableColumn("multiply-adds").RightAligned())
                .AddColumn(new TableColumn("parameters").RightAligned())
                .AddColumn(new TableColumn("accuracy").RightAligned())
                .AddColumn(new TableColumn("VAL at FAR=1e-3").RightAligned())
                .AddColumn(new TableColumn("AUC").RightAligned()).AddColumn("checkpoint");
            foreach (Evaluated r in rows)
            {
                table.AddRow(r.Architecture, r.MultiplyAdds.ToString("N0"), r.Parameters.ToString("N0"),
                    ExperimentTable.Accuracy(r.Result), ExperimentTable.Val(r.Result),
                    ExperimentTable.Number(r.Result.Auc, "F4"), Markup.Escape(r.Path));
            }
            ExperimentPlot.Save(plot, $"LFW folds {result.GetValue(common.Folds)}: accuracy against computation",
                "multiply-adds per image (log scale)", "accuracy",
                [
                    new PlotSeries("accuracy", rows.Select(r => (double)r.MultiplyAdds).ToArray(),
                        rows.Select(r => r.Result.Accuracy).ToArray(), rows.Select(r => r.Architecture).ToArray()),
                ], logX: true, markersOnly: true);
            output.WriteLine($"LFW folds {result.GetValue(common.Folds)}, {rows[0].Result.Pairs} pairs");
            ExperimentTable.Write(table, output);
            output.WriteLine($"plot: {plot}");
            return 0;
        }));
        return command;
    }

    private static (Command, Option<string[]>, ExperimentOptions, Option<string>, Option<int>) CreateCommon(
        string name, string description, string defaultOutput)
    {
        var checkpoints = new Option<string[]>("--model")
        {
            Description = "Checkpoint file (.fnet) to evaluate, or 'face-api-resnet'; repeat for each model.",
            Required = true,
            AllowMultipleArgumentsPerToken = true,
        };
        var common = new ExperimentOptions(defaultOutput);
        var models = new ModelOptions { DefaultFaceChoice = FaceNet.Runtime.Pretrained.FaceChoice.Central };
        var command = new Command(name, description);
        command.Options.Add(checkpoints);
        command.Options.Add(models.Device);
        command.Options.Add(models.BatchSize);
        common.AddTo(command);
        return (command, checkpoints, common, models.Device, models.BatchSize);
    }

    private static List<Evaluated> EvaluateAll(ParseResult result, Option<string[]> checkpoints,
        ExperimentOptions common, Option<string> device, Option<int> batchSize)
    {
        TextWriter error = result.InvocationConfiguration.Error;
        string[] paths = result.GetValue(checkpoints) ?? [];
        if (paths.Length == 0)
        {
            throw new UsageException("Pass at least one checkpoint with --model FILE.");
        }
        int batch = result.GetValue(batchSize);
        if (batch < 1)
        {
            throw new UsageException($"Invalid --batch-size {batch}; use a positive number.");
        }
        var lfw = ExperimentLfw.Open(result.GetValue(common.DataRoot), result.GetValue(common.Folds)!);
        var rows = new List<Evaluated>();
        foreach (string path in paths)
        {
            using FaceEmbedder embedder = ExperimentLfw.LoadCheckpoint(path, result.GetValue(device)!, batch);
            var network = (NetworkEmbeddingModel)embedder.Model;
            error.WriteLine($"model: {embedder.Model.Name} from '{path}'");
            VerificationResult r = lfw.Evaluate(ExperimentLfw.Embed(embedder, lfw.Images, common.CacheFolder(result), error));
            rows.Add(new Evaluated(path, network.Model.Architecture, embedder.Dimension, network.Model.MultiplyAdds,
                network.Model.ParameterCount, r));
        }
        return rows;
    }
}
