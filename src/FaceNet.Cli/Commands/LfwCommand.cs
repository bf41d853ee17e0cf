using System.CommandLine;
using System.Globalization;
using FaceNet.Runtime.Data;
using FaceNet.Runtime.Embedding;
using FaceNet.Runtime.Evaluation;
using Spectre.Console;

namespace FaceNet.Cli.Commands;

/// <summary>
/// <c>facenet lfw</c>: the standard LFW verification protocol. Each distinct image is embedded once and
/// cached by model checksum. Each test fold is classified at the squared-L2 threshold chosen on the other
/// selected folds. The command reports accuracy, VAL at FAR 1e-3, AUC and EER, and draws the ROC curve.
/// </summary>
internal static class LfwCommand
{
    public static Command Create()
    {
        var models = new ModelOptions { DefaultFaceChoice = FaceNet.Runtime.Pretrained.FaceChoice.Central };
        var dataRoot = new Option<string?>("--data-root")
        {
            Description = $"Folder holding lfw/ (default: ../shared/data beside the checkout, or ${DataRoot.EnvironmentVariable}).",
        };
        var folds = new Option<string>("--folds")
        {
            Description = "Folds to evaluate, at least two, such as '6-10' or '1,3,5'; each fold's threshold is chosen on the " +
                "other selected folds.",
            DefaultValueFactory = _ => "all",
        };
        var format = new Option<string>("--format")
        {
            Description = "Output format: 'table' or 'json'.",
            DefaultValueFactory = _ => "table",
        };
        format.AcceptOnlyFromAmong("table", "json");
        var roc = new Option<string>("--roc")
        {
            Description = "Where to write the ROC curve PNG.",
            DefaultValueFactory = _ => "lfw-roc.png",
        };
        var cache = new Option<string?>("--cache")
        {
            Description = "Embedding cache folder (default: ~/.cache/facenet). Keyed by model checksum and image file.",
        };
        var noCache = new Option<bool>("--no-cache") { Description = "Embed every image again and write no cache." };

        var command = new Command("lfw", "Run the LFW verification protocol (10 folds, thresholds chosen on the other folds).");
        models.AddTo(command);
        command.Options.Add(dataRoot);
        command.Options.Add(folds);
        command.Options.Add(format);
        command.Options.Add(roc);
        command.Options.Add(cache);
        command.Options.Add(noCache);
        command.SetAction(result => CommandRunner.Run(result, () => Run(
            models.Open(result), result.GetValue(dataRoot), result.GetValue(folds) ?? "all",
            result.GetValue(format) == "json", result.GetValue(roc)!, result.GetValue(noCache) ? null : CacheFolder(result.GetValue(cache)),
            result.InvocationConfiguration.Output, result.InvocationConfiguration.Error)));
        return command;
    }

    internal static string CacheFolder(string? explicitFolder) => explicitFolder ?? Path.Combine(
        Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"),
        "facenet");

    internal static int Run(FaceEmbedder embedder, string? dataRoot, string foldText, bool json, string rocPath,
        string? cacheFolder, TextWriter output, TextWriter error)
    {
        using (embedder)
        {
            string lfw = Path.Combine(DataRoot.RequireExisting(dataRoot), "lfw");
            string pairsPath = Path.Combine(lfw, "pairs.txt");
            if (!File.Exists(pairsPath))
            {
                throw new UsageException($"LFW pairs file '{pairsPath}' not found; check --data-root.");
            }
            if (Directory.Exists(rocPath))
            {
                throw new UsageException(
                    $"Invalid --roc '{rocPath}': it is a folder; pass a PNG file path, such as '{Path.Combine(rocPath, "lfw-roc.png")}'.");
            }
            if (cacheFolder is not null && File.Exists(cacheFolder))
            {
                throw new UsageException(
                    $"Invalid --cache '{cacheFolder}': it is a file; pass a folder for the embedding cache or use --no-cache.");
            }
            LfwPairs pairs = LfwPairs.Load(pairsPath);
            FoldSelection folds = ParseFolds(foldText, pairs.FoldCount);
            ExperimentLfw.RequireTwoFolds(folds, foldText);
            LfwResolution resolution = pairs.Resolve(LfwPairs.FindImageRoot(lfw), folds);
            foreach (MissingLfwPair missing in resolution.Missing)
            {
                error.WriteLine($"missing: {missing}");
            }
            if (resolution.Missing.Count > 0)
            {
                error.WriteLine($"{resolution.Missing.Count} pairs cannot be scored because images are missing; " +
                    "they are counted in missingPairs and left out of every metric.");
            }

            if (embedder.Faces is not null)
            {
                // Every LFW image shows a centred face, and the protocol needs every image embedded.
                embedder.Faces.Fallback = FaceNet.Runtime.Pretrained.NoFaceFallback.CentreBox;
            }
            IReadOnlyList<string> images = resolution.DistinctImagePaths();
            error.WriteLine($"model: {embedder.Model.Name}; {resolution.Available.Count} pairs, {images.Count} distinct images");
            var embeddings = new Dictionary<string, float[]>(StringComparer.Ordinal);
            IReadOnlyList<float[]> vectors = cacheFolder is null
                ? EmbedAll(embedder, images, error)
                : new EmbeddingCache(cacheFolder, embedder.Model.Checksum).GetOrCompute(images, missing => EmbedAll(embedder, missing, error));
            for (int i = 0; i < images.Count; i++)
            {
                embeddings[images[i]] = vectors[i];
            }
            if (embedder.Faces is { FallbackCount: > 0 } faces)
            {
                error.WriteLine($"no face found by the {faces.DetectorName} detector in {faces.FallbackCount} of the " +
                    "images embedded in this run; those were aligned from landmarks found in the central half of the image.");
            }

            VerificationResult result = LfwVerification.Evaluate(resolution, path => embeddings[path], folds);
            RocPlot.Save(rocPath, result, embedder.Model.Name, logFar: true);
            if (json)
            {
                output.WriteLine(result.ToJson());
            }
            else
            {
                WriteTable(result, embedder, rocPath, output);
            }
            return 0;
        }
    }

    /// <summary>Parses --folds; a fold the pairs file does not have is a usage error, like any other bad value.</summary>
    private static FoldSelection ParseFolds(string foldText, int foldCount)
    {
        try
        {
            return FoldSelection.Parse(foldText, foldCount);
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            throw new UsageException($"Invalid --folds '{foldText}': {CommandRunner.MessageOf(e)}");
        }
    }

    /// <summary>Embeds every image; an image that fails aborts the run because a pair without it has no score.</summary>
    private static IReadOnlyList<float[]> EmbedAll(FaceEmbedder embedder, IReadOnlyList<string> images, TextWriter error)
    {
        IReadOnlyList<FileEmbedding> results = embedder.EmbedFiles(images, new EmbeddingProgress("embedding", images.Count, error));
        FileEmbedding[] failed = results.Where(r => !r.Succeeded).ToArray();
        if (failed.Length > 0)
        {
            foreach (FileEmbedding f in failed)
            {
                error.WriteLine($"failed: {f.Error}");
            }
            throw new InvalidDataException(
                $"{failed.Length} LFW images could not be read (listed above); the protocol needs every pair's images.");
        }
        return results.Select(r => r.Vector!).ToArray();
    }

    private static void WriteTable(VerificationResult r, FaceEmbedder embedder, string rocPath, TextWriter output)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output) });
        var table = new Table().AddColumn("metric").AddColumn(new TableColumn("value").RightAligned());
        string P(double v) => (100 * v).ToString("F2", CultureInfo.InvariantCulture) + "%";
        table.AddRow("model", Markup.Escape(embedder.Model.Name));
        table.AddRow("folds", string.Join(",", r.Folds));
        table.AddRow("pairs (missing)", $"{r.Pairs} ({r.MissingPairs})");
        table.AddRow("accuracy (mean +- sample std)", $"{P(r.Accuracy)} +- {P(r.AccuracyStd)}");
        table.AddRow("standard error of the mean", P(r.AccuracyStandardError));
        table.AddRow("VAL at FAR=1e-3", $"{P(r.ValAtFar1e3)} +- {P(r.ValStd)} (FAR {r.FarAtVal.ToString("G3", CultureInfo.InvariantCulture)})");
        table.AddRow("AUC", r.Auc.ToString("F4", CultureInfo.InvariantCulture));
        table.AddRow("EER", P(r.Eer));
        table.AddRow("thresholds (squared L2)", string.Join(" ", r.Thresholds.Select(t => t.Value.ToString("F3", CultureInfo.InvariantCulture))));
        table.AddRow("ROC curve", Markup.Escape(rocPath));
        console.Write(table);
    }
}
