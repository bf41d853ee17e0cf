using System.CommandLine;
using FaceNet.Runtime.Embedding;
using FaceNet.Runtime.Evaluation;
using FaceNet.Runtime.Experiments;
using Spectre.Console;

namespace FaceNet.Cli.Commands;

/// <summary>
/// <c>facenet experiment quantize</c>: LFW verification with each embedding stored as one byte per
/// dimension, next to the float embeddings of the same model on the same folds.
/// </summary>
internal static class ExperimentQuantizeCommand
{
    public const string PlotFileName = "quantize-roc.png";

    public static Command Create()
    {
        var models = new ModelOptions { DefaultFaceChoice = FaceNet.Runtime.Pretrained.FaceChoice.Central };
        var common = new ExperimentOptions("experiments/quantize");
        var calibrationFolds = new Option<string>("--calibration-folds")
        {
            Description = "LFW folds whose images calibrate the byte ranges; keep them apart from --folds. Folds " +
                "1-5 hold people the trainer may train on, so they stand in for training data.",
            DefaultValueFactory = _ => "1-5",
        };
        var calibrationImages = new Option<int>("--calibration-images")
        {
            Description = "Images of --calibration-folds used to calibrate the byte ranges.",
            DefaultValueFactory = _ => 1000,
        };
        var store = new Option<string?>("--store")
        {
            Description = "Also write the evaluated images' byte embeddings (global calibrated range) to this file (FNEQ format).",
        };

        var command = new Command("quantize",
            "Compare LFW accuracy of float embeddings with one byte per dimension (three byte-range schemes).");
        models.AddTo(command);
        common.AddTo(command);
        command.Options.Add(calibrationFolds);
        command.Options.Add(calibrationImages);
        command.Options.Add(store);
        command.SetAction(result => CommandRunner.Run(result, () => Run(
            models.Open(result), common, result, result.GetValue(calibrationFolds)!, result.GetValue(calibrationImages),
            result.GetValue(store), result.InvocationConfiguration.Output, result.InvocationConfiguration.Error)));
        return command;
    }

    private static int Run(FaceEmbedder embedder, ExperimentOptions common, ParseResult result,
        string calibrationFolds, int calibrationCount, string? storePath, TextWriter output, TextWriter error)
    {
        using (embedder)
        {
            if (calibrationCount < 1)
            {
                throw new UsageException($"Invalid --calibration-images {calibrationCount}; use a positive number.");
            }
            var lfw = ExperimentLfw.Open(result.GetValue(common.DataRoot), result.GetValue(common.Folds)!);
            FoldOverlap(lfw, calibrationFolds);
            string? cache = common.CacheFolder(result);
            string plotPath = common.OutputFile(result, PlotFileName);

            IReadOnlyList<string> images = lfw.Images;
            IReadOnlyList<string> calibrationPaths = lfw.ImagesOfFolds(calibrationFolds, calibrationCount);
            error.WriteLine($"model: {embedder.Model.Name}; {lfw.Resolution.Available.Count} pairs, {images.Count} " +
                $"images; calibration: {calibrationPaths.Count} images of folds {calibrationFolds}");
            Dictionary<string, float[]> embeddings = ExperimentLfw.Embed(embedder, images, cache, error);
            float[][] calibration = ExperimentLfw.Embed(embedder, calibrationPaths, cache, error, "calibration")
                .Values.ToArray();

            VerificationResult reference = lfw.Evaluate(embeddings);
            var table = new Table()
                .AddColumn("embedding")
                .AddColumn(new TableColumn("bytes per face").RightAligned())
                .AddColumn(new TableColumn("range").RightAligned())
                .AddColumn(new TableColumn("saturated").RightAligned())
                .AddColumn(new TableColumn("max |error|").RightAligned())
                .AddColumn(new TableColumn("mean |d2 change|").RightAligned())
                .AddColumn(new TableColumn("accuracy").RightAligned())
                .AddColumn(new TableColumn("VAL at FAR=1e-3").RightAligned())
                .AddColumn(new TableColumn("AUC").RightAligned());
            table.AddRow("float32", (4 * embedder.Dimension).ToString(), "-", "-", "-", "-",
                ExperimentTable.Accuracy(reference), ExperimentTable.Val(reference),
                ExperimentTable.Number(reference.Auc, "F4"));
            var curves = new List<(string, IReadOnlyList<RocPoint>)> { ("float32", reference.Roc) };

            ByteQuantizer? stored = null;
            foreach (QuantizationScheme scheme in Enum.GetValues<QuantizationScheme>())
            {
                ByteQuantizer quantizer = ByteQuantizer.Fit(scheme, calibration);
                var quantized = embeddings.ToDictionary(p => p.Key, p => quantizer.RoundTrip(p.Value), StringComparer.Ordinal);
                VerificationResult r = lfw.Evaluate(quantized);
                (double maxError, double meanDistanceChange) = Errors(lfw, embeddings, quantized);
                table.AddRow(Markup.Escape(Name(scheme)), embedder.Dimension.ToString(), Range(quantizer),
                    ExperimentTable.Number(100 * quantizer.SaturatedFraction(embeddings.Values.ToArray()), "F3") + "%",
                    ExperimentTable.Number(maxError, "G3"), ExperimentTable.Number(meanDistanceChange, "G3"),
                    ExperimentTable.Accuracy(r), ExperimentTable.Val(r), ExperimentTable.Number(r.Auc, "F4"));
                curves.Add(($"{Name(scheme)} (1 byte/dim)", r.Roc));
                if (scheme == QuantizationScheme.GlobalCalibrated)
                {
                    stored = quantizer;
                }
            }

            RocPlot.Save(plotPath, curves, $"LFW folds {result.GetValue(common.Folds)}: float vs one byte per dimension",
                logFar: true);
            if (storePath is not null)
            {
                var named = images.Select(path => new NamedEmbedding(Path.GetRelativePath(lfw.LfwFolder, path), embeddings[path]))
                    .ToArray();
                QuantizedEmbeddingStore.Save(storePath, stored!, named);
                error.WriteLine($"wrote {named.Length} byte embeddings (global calibrated range) to '{storePath}'");
            }
            output.WriteLine($"model: {embedder.Model.Name}; LFW folds {result.GetValue(common.Folds)}, " +
                $"{reference.Pairs} pairs; ranges calibrated on {calibration.Length} images of folds {calibrationFolds}");
            ExperimentTable.Write(table, output);
            output.WriteLine($"ROC curves: {plotPath}");
            return 0;
        }
    }

    private static void FoldOverlap(ExperimentLfw lfw, string calibrationFolds)
    {
        FoldSelection calibration = ExperimentLfw.ParseFolds(calibrationFolds, lfw.Pairs.FoldCount, "--calibration-folds");
        int[] shared = calibration.Folds.Intersect(lfw.Folds.Folds).ToArray();
        if (shared.Length > 0)
        {
            throw new UsageException(
                $"Invalid --calibration-folds '{calibrationFolds}': fold {shared[0]} is also evaluated; calibrate on " +
                "other folds so the byte ranges are not fitted to the test images.");
        }
    }

    private static string Name(QuantizationScheme scheme) => scheme switch
    {
        QuantizationScheme.FixedUnit => "fixed [-1, 1]",
        QuantizationScheme.GlobalCalibrated => "global [-c, c]",
        _ => "per-dimension [min, max]",
    };

    private static string Range(ByteQuantizer q)
    {
        float low = q.Offsets.Min();
        float high = q.Offsets.Zip(q.Steps, (o, s) => o + s * ByteQuantizer.MaxLevel).Max();
        return $"{ExperimentTable.Number(low, "F3")} .. {ExperimentTable.Number(high, "F3")}";
    }

    /// <summary>The largest per-component error and the mean absolute change of the pairs' squared distances.</summary>
    private static (double MaxError, double MeanDistanceChange) Errors(ExperimentLfw lfw,
        Dictionary<string, float[]> original, Dictionary<string, float[]> quantized)
    {
        double maxError = 0;
        foreach ((string path, float[] vector) in original)
        {
            float[] q = quantized[path];
            for (int d = 0; d < vector.Length; d++)
            {
                maxError = Math.Max(maxError, Math.Abs(vector[d] - q[d]));
            }
        }
        double change = 0;
        foreach (ResolvedLfwPair pair in lfw.Resolution.Available)
        {
            change += Math.Abs(Distances.SquaredL2(original[pair.FirstPath], original[pair.SecondPath]) -
                Distances.SquaredL2(quantized[pair.FirstPath], quantized[pair.SecondPath]));
        }
        return (maxError, change / Math.Max(lfw.Resolution.Available.Count, 1));
    }
}
