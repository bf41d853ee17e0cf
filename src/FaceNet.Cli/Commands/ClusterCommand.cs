using System.CommandLine;
using System.Text;
using System.Text.Json;
using FaceNet.Runtime.Embedding;
using FaceNet.Runtime.Evaluation;
using Spectre.Console;

namespace FaceNet.Cli.Commands;

/// <summary>
/// <c>facenet cluster DIR</c>: agglomerative clustering of a folder's faces, cut at a distance threshold.
/// Writes the file-to-cluster assignment as CSV or JSON, and when the folder is identity folders scores the
/// clusters against the folder names with pairwise precision, recall and F-measure.
/// </summary>
internal static class ClusterCommand
{
    // Files listed per cluster in the table output. The --out file lists every file.
    private const int FilesShownPerCluster = 3;

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var models = new ModelOptions();
        var thresholds = new ThresholdOptions();
        var folder = new Argument<string>("DIR")
        {
            Description = "Folder of images directly inside, or of identity subfolders (then the clusters are scored).",
        };
        var linkage = new Option<string>("--linkage")
        {
            Description = "Distance between clusters: 'average' (mean over cross pairs), 'complete' (maximum, every " +
                "cluster's diameter stays within the threshold) or 'single' (minimum, prone to chaining).",
            DefaultValueFactory = _ => "average",
        };
        linkage.AcceptOnlyFromAmong("average", "complete", "single");
        var outPath = new Option<string?>("--out")
        {
            Description = "Write every file's cluster here: JSON when the name ends in .json, CSV (file,cluster[,identity]) otherwise.",
        };
        var format = new Option<string>("--format")
        {
            Description = "Output format of the summary on standard output: 'table' or 'json'.",
            DefaultValueFactory = _ => "table",
        };
        format.AcceptOnlyFromAmong("table", "json");

        var command = new Command("cluster", "Group a folder's faces by person with agglomerative clustering at a distance threshold.");
        command.Arguments.Add(folder);
        thresholds.AddTo(command);
        command.Options.Add(linkage);
        command.Options.Add(outPath);
        command.Options.Add(format);
        models.AddTo(command);
        command.SetAction(result => CommandRunner.Run(result, () =>
        {
            string? file = result.GetValue(outPath);
            if (file is not null)
            {
                EmbedCommand.RequireOutputFolder(file);
            }
            using FaceEmbedder embedder = models.Open(result);
            Threshold threshold = thresholds.Resolve(result, embedder);
            return Run(embedder, result.GetValue(folder)!, threshold, ParseLinkage(result.GetValue(linkage)!), file,
                result.GetValue(format) == "json", result.InvocationConfiguration.Output, result.InvocationConfiguration.Error);
        }));
        return command;
    }

    /// <summary>Embeds and clusters the folder's images and writes the results. Returns 0.</summary>
    /// <exception cref="InvalidDataException">The folder has no usable images.</exception>
    internal static int Run(FaceEmbedder embedder, string folder, Threshold threshold, Linkage linkage, string? outPath,
        bool json, TextWriter output, TextWriter error)
    {
        ImageFolder images = ImageFolder.Open(folder, "image folder", error);
        error.WriteLine($"model: {embedder.Model.Name}; {images.Images.Count} images");
        List<EmbeddedImage> embedded = FolderEmbedding.Embed(embedder, images.Images, "embedding", error, out int failed);
        if (embedded.Count == 0)
        {
            throw new InvalidDataException($"None of the images under '{images.Root}' could be embedded (reasons above).");
        }

        ClusteringResult clusters = Clustering.Agglomerative(embedded.Select(e => e.Vector).ToArray(), threshold, linkage);
        var assignments = embedded
            .Select((e, i) => new Assignment(e.Image.Name, clusters.Assignments[i], e.Image.Identity))
            .ToArray();
        PairwiseScores? scores = images.Layout == FolderLayout.IdentityFolders
            ? PairwiseScores.Compute(clusters.Assignments, embedded.Select(e => e.Image.Identity!).ToArray())
            : null;
        var report = new ClusterReport(embedder.Model.Name, images.Root, embedded.Count, failed,
            images.Layout == FolderLayout.IdentityFolders ? images.IdentityCount : null,
            clusters.ClusterCount, linkage, threshold, scores, assignments);

        if (outPath is not null)
        {
            WriteAssignments(outPath, report);
            error.WriteLine($"wrote {assignments.Length} cluster assignments to '{outPath}'");
        }
        if (json)
        {
            output.WriteLine(JsonSerializer.Serialize(report, TextOutput.Json));
        }
        else
        {
            WriteTable(report, output);
        }
        return 0;
    }

    private static Linkage ParseLinkage(string name) => name switch
    {
        "average" => Linkage.Average,
        "complete" => Linkage.Complete,
        "single" => Linkage.Single,
        _ => throw new UsageException($"Unknown linkage '{name}'; use average, complete or single."),
    };

    private static string LinkageName(Linkage linkage) => linkage.ToString().ToLowerInvariant();

    private static void WriteAssignments(string path, ClusterReport report)
    {
        if (path.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
        {
            File.WriteAllText(path, JsonSerializer.Serialize(report, TextOutput.Json) + "\n");
            return;
        }
        bool labelled = report.Identities is not null;
        var csv = new StringBuilder(labelled ? "file,cluster,identity\n" : "file,cluster\n");
        foreach (Assignment a in report.Assignments)
        {
            csv.Append(QuoteCsv(a.File)).Append(',').Append(a.Cluster);
            if (labelled)
            {
                csv.Append(',').Append(QuoteCsv(a.Identity!));
            }
            csv.Append('\n');
        }
        File.WriteAllText(path, csv.ToString(), new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
    }

    // RFC 4180 quoting, for file names that contain a comma, a quote or a line break.
    private static string QuoteCsv(string field) =>
        field.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + field.Replace("\"", "\"\"") + "\"" : field;

    private static void WriteTable(ClusterReport report, TextWriter output)
    {
        IAnsiConsole console = TextOutput.ConsoleFor(output);
        var summary = new Table().AddColumn("measure").AddColumn(new TableColumn("value").RightAligned());
        summary.AddRow("model", Markup.Escape(report.Model));
        summary.AddRow("images clustered (failed)", $"{report.Images} ({report.Failed})");
        summary.AddRow("clusters", report.Clusters.ToString());
        summary.AddRow("linkage", LinkageName(report.Linkage));
        summary.AddRow("threshold", Markup.Escape(report.Threshold.ToString()));
        if (report.Pairwise is { } p)
        {
            summary.AddRow("identities", report.Identities!.Value.ToString());
            summary.AddRow("pairwise precision", TextOutput.Percent(p.Precision, ""));
            summary.AddRow("pairwise recall", TextOutput.Percent(p.Recall, ""));
            summary.AddRow("pairwise F-measure", TextOutput.Percent(p.FMeasure, ""));
            summary.AddRow("same-cluster pairs (same identity)", $"{p.PredictedPairs} ({p.TruePositivePairs})");
            summary.AddRow("same-identity pairs", p.LabelPairs.ToString());
        }
        console.Write(summary);

        var members = new Table().AddColumn(new TableColumn("cluster").RightAligned())
            .AddColumn(new TableColumn("size").RightAligned())
            .AddColumn(report.Identities is null ? "files" : "identities (images)");
        foreach (IGrouping<int, Assignment> cluster in report.Assignments.GroupBy(a => a.Cluster).OrderBy(g => g.Key))
        {
            members.AddRow(cluster.Key.ToString(), cluster.Count().ToString(), Markup.Escape(Describe(cluster, report)));
        }
        console.Write(members);
    }

    private static string Describe(IGrouping<int, Assignment> cluster, ClusterReport report)
    {
        if (report.Identities is not null)
        {
            return string.Join(", ", cluster.CountBy(a => a.Identity!)
                .OrderByDescending(c => c.Value).ThenBy(c => c.Key, StringComparer.Ordinal)
                .Select(c => $"{c.Key} ({c.Value})"));
        }
        string listed = string.Join(", ", cluster.Take(FilesShownPerCluster).Select(a => a.File));
        return cluster.Count() > FilesShownPerCluster ? listed + ", ..." : listed;
    }

    /// <summary>One file's cluster.</summary>
    /// <param name="File">Path relative to the clustered folder.</param>
    /// <param name="Cluster">Cluster number, 0, 1, ... in order of each cluster's first file.</param>
    /// <param name="Identity">The identity folder, or null for loose images.</param>
    private sealed record Assignment(string File, int Cluster, string? Identity);

    private sealed record ClusterReport(
        string Model,
        string Folder,
        int Images,
        int Failed,
        int? Identities,
        int Clusters,
        Linkage Linkage,
        Threshold Threshold,
        PairwiseScores? Pairwise,
        IReadOnlyList<Assignment> Assignments);
}
