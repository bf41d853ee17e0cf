using System.CommandLine;
using System.Globalization;
using FaceNet.Runtime.Data;
using FaceNet.Runtime.Evaluation;
using Spectre.Console;

namespace FaceNet.Cli.Commands;

/// <summary>
/// <c>facenet experiment</c>: the FaceNet paper's studies at this project's scale. Each subcommand
/// evaluates on LFW folds (6-10 by default, whose people the trainer can leave out), prints its table on
/// standard output and writes a PNG into its output folder.
/// </summary>
internal static class ExperimentCommand
{
    /// <summary>Builds the command and its subcommands.</summary>
    public static Command Create()
    {
        var command = new Command("experiment",
            "Run one of the FaceNet paper's experiments on LFW: quantize, robustness, dimensions, cost, harmonic.");
        command.Subcommands.Add(ExperimentQuantizeCommand.Create());
        command.Subcommands.Add(ExperimentRobustnessCommand.Create());
        command.Subcommands.Add(ExperimentModelsCommand.CreateDimensions());
        command.Subcommands.Add(ExperimentModelsCommand.CreateCost());
        command.Subcommands.Add(ExperimentHarmonicCommand.Create());
        return command;
    }
}

/// <summary>Options every experiment shares: data, folds, embedding cache and output folder.</summary>
internal sealed class ExperimentOptions(string defaultOutput)
{
    public Option<string?> DataRoot { get; } = new("--data-root")
    {
        Description = $"Folder holding lfw/ (default: ../shared/data beside the checkout, or ${Runtime.Data.DataRoot.EnvironmentVariable}).",
    };

    public Option<string> Folds { get; } = new("--folds")
    {
        Description = "LFW folds to evaluate, at least two, such as '6-10'; each fold's threshold is chosen on the other " +
            "selected folds.",
        DefaultValueFactory = _ => "6-10",
    };

    public Option<string?> Cache { get; } = new("--cache")
    {
        Description = "Embedding cache folder for undegraded images (default: ~/.cache/facenet, shared with 'facenet lfw').",
    };

    public Option<bool> NoCache { get; } = new("--no-cache") { Description = "Embed every image again and write no cache." };

    public Option<string> Output { get; } = new("--out")
    {
        Description = "Folder for the PNG (created when missing).",
        DefaultValueFactory = _ => defaultOutput,
    };

    public void AddTo(Command command)
    {
        command.Options.Add(DataRoot);
        command.Options.Add(Folds);
        command.Options.Add(Cache);
        command.Options.Add(NoCache);
        command.Options.Add(Output);
    }

    /// <summary>The cache folder, or null with --no-cache.</summary>
    public string? CacheFolder(ParseResult result) =>
        result.GetValue(NoCache) ? null : LfwCommand.CacheFolder(result.GetValue(Cache));

    /// <summary>Creates the output folder and returns the path of <paramref name="fileName"/> inside it.</summary>
    public string OutputFile(ParseResult result, string fileName)
    {
        string folder = result.GetValue(Output)!;
        if (File.Exists(folder))
        {
            throw new UsageException($"Invalid --out '{folder}': it is a file; pass a folder for the experiment's PNG.");
        }
        Directory.CreateDirectory(folder);
        return Path.Combine(folder, fileName);
    }
}

/// <summary>Table output shared by the experiments.</summary>
internal static class ExperimentTable
{
    /// <summary>Formats a rate as a percentage with two decimals.</summary>
    public static string Percent(double value) => (100 * value).ToString("F2", CultureInfo.InvariantCulture) + "%";

    /// <summary>Formats mean accuracy and its standard error over the folds.</summary>
    public static string Accuracy(VerificationResult r) =>
        $"{Percent(r.Accuracy)} +- {Percent(r.AccuracyStandardError)}";

    /// <summary>Formats VAL at FAR 1e-3 and its standard deviation over the folds.</summary>
    public static string Val(VerificationResult r) => $"{Percent(r.ValAtFar1e3)} +- {Percent(r.ValStd)}";

    /// <summary>Formats a number with invariant culture.</summary>
    public static string Number(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);

    /// <summary>Writes a Spectre table to a text writer.</summary>
    public static void Write(Table table, TextWriter output)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output) });
        if (Console.IsOutputRedirected || !ReferenceEquals(output, Console.Out))
        {
            console.Profile.Width = 200;
        }
        console.Write(table);
    }
}
