using System.CommandLine;
using System.Text.Json;
using FaceNet.Runtime.Embedding;
using FaceNet.Runtime.Evaluation;
using Spectre.Console;

namespace FaceNet.Cli.Commands;

/// <summary>
/// <c>facenet identify --gallery DIR --probe DIR</c>: open-set identification against a gallery of identity
/// folders. A probe farther than the threshold from every gallery identity is "unknown". Labelled probes
/// (identity folders) give top-1 accuracy, the detection-and-identification rate and the false accept rate.
/// Loose probe images get one result each.
/// </summary>
internal static class IdentifyCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var models = new ModelOptions();
        var thresholds = new ThresholdOptions();
        var gallery = new Option<string>("--gallery")
        {
            Description = "Gallery folder with one subfolder of images per known identity.",
            Required = true,
        };
        var probe = new Option<string>("--probe")
        {
            Description = "Probe folder: identity subfolders (labels known, rates are reported; identities " +
                "missing from the gallery count as unknown people) or images directly inside (one answer each).",
            Required = true,
        };
        var neighbours = new Option<int>("--k")
        {
            Description = "Number of nearest gallery images that vote for the identity.",
            DefaultValueFactory = _ => 1,
        };
        var format = new Option<string>("--format")
        {
            Description = "Output format: 'table' or 'json'.",
            DefaultValueFactory = _ => "table",
        };
        format.AcceptOnlyFromAmong("table", "json");

        var command = new Command("identify", "Identify probe faces against a gallery of known people, answering 'unknown' beyond the threshold.");
        command.Options.Add(gallery);
        command.Options.Add(probe);
        command.Options.Add(neighbours);
        thresholds.AddTo(command);
        command.Options.Add(format);
        models.AddTo(command);
        command.SetAction(result => CommandRunner.Run(result, () =>
        {
            int k = result.GetValue(neighbours);
            if (k < 1)
            {
                throw new UsageException($"Invalid --k {k}; use a positive number of voting gallery images.");
            }
            using FaceEmbedder embedder = models.Open(result);
            Threshold threshold = thresholds.Resolve(result, embedder);
            return Run(embedder, result.GetValue(gallery)!, result.GetValue(probe)!, k, threshold,
                result.GetValue(format) == "json", result.InvocationConfiguration.Output, result.InvocationConfiguration.Error);
        }));
        return command;
    }

    /// <summary>Embeds gallery and probes, identifies every probe and writes the report. Returns 0.</summary>
    /// <exception cref="InvalidDataException">The gallery is not identity folders, or a folder has no usable images.</exception>
    internal static int Run(FaceEmbedder embedder, string galleryFolder, string probeFolder, int k, Threshold threshold,
        bool json, TextWriter output, TextWriter error)
    {
        ImageFolder gallery = ImageFolder.Open(galleryFolder, "gallery folder", error);
        if (gallery.Layout != FolderLayout.IdentityFolders)
        {
            throw new InvalidDataException(
                $"The gallery folder '{gallery.Root}' has images directly inside; a gallery needs one subfolder per " +
                "identity, named after the person, with that person's images in it.");
        }
        ImageFolder probes = ImageFolder.Open(probeFolder, "probe folder", error);
        error.WriteLine($"model: {embedder.Model.Name}; gallery {gallery.IdentityCount} identities, " +
            $"{gallery.Images.Count} images; {probes.Images.Count} probes");

        List<EmbeddedImage> galleryEmbeddings = FolderEmbedding.Embed(embedder, gallery.Images, "gallery", error, out int galleryFailed);
        if (galleryEmbeddings.Count == 0)
        {
            throw new InvalidDataException($"None of the gallery images under '{gallery.Root}' could be embedded (reasons above).");
        }
        WarnAboutLostIdentities(gallery, galleryEmbeddings, error);
        List<EmbeddedImage> probeEmbeddings = FolderEmbedding.Embed(embedder, probes.Images, "probes", error, out int probesFailed);
        if (probeEmbeddings.Count == 0)
        {
            throw new InvalidDataException($"None of the probe images under '{probes.Root}' could be embedded (reasons above).");
        }

        var identification = new Identification(
            galleryEmbeddings.Select(e => new LabeledEmbedding(e.Image.Identity!, e.Vector)).ToArray(), threshold, k);
        IReadOnlySet<string> known = identification.Labels;
        var answers = probeEmbeddings.Select(p => ProbeAnswer.Of(p, identification.Identify(p.Vector), known, identification.Metric))
            .ToArray();
        IdentificationMetrics? metrics = probes.Layout == FolderLayout.IdentityFolders
            ? identification.Evaluate(probeEmbeddings.Select(p => new LabeledEmbedding(p.Image.Identity!, p.Vector)).ToArray())
            : null;

        var report = new IdentifyReport(
            embedder.Model.Name,
            new FolderSummary(gallery.Root, known.Count, galleryEmbeddings.Count, galleryFailed),
            new FolderSummary(probes.Root, probes.IdentityCount, probeEmbeddings.Count, probesFailed),
            probes.Layout,
            k,
            threshold,
            metrics is null ? null : RatesOf(metrics),
            answers);
        if (json)
        {
            output.WriteLine(JsonSerializer.Serialize(report, TextOutput.Json));
        }
        else if (metrics is not null)
        {
            WriteRates(report, metrics, output);
        }
        else
        {
            WriteAnswers(report, output);
        }
        return 0;
    }

    /// <summary>
    /// Warns about each gallery identity none of whose images could be embedded. The run goes on without it,
    /// so its probes can only be identified as unknown or as someone else.
    /// </summary>
    private static void WarnAboutLostIdentities(ImageFolder gallery, List<EmbeddedImage> embedded, TextWriter error)
    {
        var kept = embedded.Select(e => e.Image.Identity!).ToHashSet(StringComparer.Ordinal);
        foreach (string identity in gallery.Images.Select(i => i.Identity!).Distinct(StringComparer.Ordinal)
            .Where(identity => !kept.Contains(identity)))
        {
            error.WriteLine($"warning: gallery identity '{identity}' has no usable image (reasons above) and is left " +
                "out; its probes will be answered as unknown or as another identity. Add a usable image of this person.");
        }
    }

    private static Rates RatesOf(IdentificationMetrics m) => new(m.KnownProbes, m.UnknownProbes,
        TextOutput.OrNull(m.Top1Accuracy), TextOutput.OrNull(m.DetectionAndIdentificationRate),
        TextOutput.OrNull(m.FalseAcceptRate));

    private static void WriteRates(IdentifyReport report, IdentificationMetrics metrics, TextWriter output)
    {
        var table = new Table().AddColumn("measure").AddColumn(new TableColumn("value").RightAligned());
        table.AddRow("model", Markup.Escape(report.Model));
        table.AddRow("gallery", $"{report.Gallery.Identities} identities, {report.Gallery.Images} images");
        table.AddRow("probes in gallery identities", metrics.KnownProbes.ToString());
        table.AddRow("probes of unknown people", metrics.UnknownProbes.ToString());
        table.AddRow("threshold", Markup.Escape(report.Threshold.ToString()));
        table.AddRow("k (voting neighbours)", report.K.ToString());
        table.AddRow("top-1 accuracy (closed set, ignores threshold)",
            TextOutput.Percent(metrics.Top1Accuracy, "no probe of a gallery identity"));
        table.AddRow("detection and identification rate",
            TextOutput.Percent(metrics.DetectionAndIdentificationRate, "no probe of a gallery identity"));
        table.AddRow("false accept rate (unknown people given a name)",
            TextOutput.Percent(metrics.FalseAcceptRate, "no probe of an unknown person"));
        TextOutput.ConsoleFor(output).Write(table);
    }

    private static void WriteAnswers(IdentifyReport report, TextWriter output)
    {
        IAnsiConsole console = TextOutput.ConsoleFor(output);
        console.WriteLine($"model: {report.Model}; threshold {report.Threshold}; k = {report.K}");
        var table = new Table()
            .AddColumn("probe")
            .AddColumn("answer")
            .AddColumn("nearest identity")
            .AddColumn(new TableColumn($"distance ({Threshold.MetricName(report.Threshold.Metric)})").RightAligned());
        foreach (ProbeAnswer answer in report.Probes)
        {
            table.AddRow(Markup.Escape(answer.File), Markup.Escape(answer.Answer ?? "unknown"),
                Markup.Escape(answer.NearestIdentity), TextOutput.Number(answer.Distance));
        }
        console.Write(table);
    }

    /// <summary>Counts of a scanned folder.</summary>
    private sealed record FolderSummary(string Folder, int Identities, int Images, int Failed);

    /// <summary>Identification rates; null where no probe of that kind exists.</summary>
    private sealed record Rates(int KnownProbes, int UnknownProbes, double? Top1Accuracy,
        double? DetectionAndIdentificationRate, double? FalseAcceptRate);

    /// <summary>The identification result for one probe.</summary>
    /// <param name="File">Probe path relative to the probe folder.</param>
    /// <param name="TrueIdentity">The probe's identity folder, or null for loose images.</param>
    /// <param name="InGallery">Whether the true identity is in the gallery; null for loose images.</param>
    /// <param name="Answer">The identity returned, or null when the probe is rejected as unknown.</param>
    /// <param name="Unknown">Whether the probe was rejected as an unknown person.</param>
    /// <param name="NearestIdentity">The k-NN vote, ignoring the threshold.</param>
    /// <param name="Distance">Distance to the nearest gallery image of <paramref name="NearestIdentity"/>.</param>
    /// <param name="Metric">Metric of <paramref name="Distance"/>.</param>
    private sealed record ProbeAnswer(string File, string? TrueIdentity, bool? InGallery, string? Answer, bool Unknown,
        string NearestIdentity, double Distance, DistanceMetric Metric)
    {
        public static ProbeAnswer Of(EmbeddedImage probe, IdentificationMatch match, IReadOnlySet<string> known,
            DistanceMetric metric) => new(
            probe.Image.Name,
            probe.Image.Identity,
            probe.Image.Identity is null ? null : known.Contains(probe.Image.Identity),
            match.Label,
            match.IsUnknown,
            match.PredictedLabel,
            match.Distance,
            metric);
    }

    private sealed record IdentifyReport(
        string Model,
        FolderSummary Gallery,
        FolderSummary Probe,
        FolderLayout ProbeLayout,
        int K,
        Threshold Threshold,
        Rates? Metrics,
        IReadOnlyList<ProbeAnswer> Probes);
}
