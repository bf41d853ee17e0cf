using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using FaceNet.Runtime.Evaluation;
using Spectre.Console;

namespace FaceNet.Cli.Commands;

/// <summary>Formatting shared by the commands' table and JSON outputs.</summary>
internal static class TextOutput
{
    // Redirected output has no terminal width to detect; a fixed width keeps rows on one line.
    private const int RedirectedWidth = 160;

    /// <summary>
    /// JSON settings of command output: indented, with camelCase names and enums as camelCase strings, so
    /// metrics read "squaredL2" and "cosineSimilarity", also as dictionary keys. Null members are written,
    /// so every documented key is present. File names keep their non-ASCII letters instead of \uXXXX
    /// escapes; the output goes to a terminal or a file, never into an HTML page.
    /// </summary>
    public static JsonSerializerOptions Json { get; } = new(EvaluationJson.Options)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        DictionaryKeyPolicy = JsonNamingPolicy.CamelCase,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>A Spectre console that renders into <paramref name="output"/>.</summary>
    public static IAnsiConsole ConsoleFor(TextWriter output)
    {
        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output) });
        if (!ReferenceEquals(output, Console.Out) || Console.IsOutputRedirected)
        {
            console.Profile.Width = RedirectedWidth;
        }
        return console;
    }

    /// <summary>Formats a distance or threshold with six significant digits.</summary>
    public static string Number(double value) => value.ToString("G6", CultureInfo.InvariantCulture);

    /// <summary>Formats a rate as a percentage, or "n/a" with the reason when it is NaN (no samples).</summary>
    public static string Percent(double rate, string noSamples) => double.IsNaN(rate)
        ? $"n/a ({noSamples})"
        : (100 * rate).ToString("F2", CultureInfo.InvariantCulture) + "%";

    /// <summary>Maps NaN (a rate over zero samples) to null, because JSON has no NaN.</summary>
    public static double? OrNull(double value) => double.IsNaN(value) ? null : value;

    /// <summary>Returns the accepting side of a threshold: "at or below" for distances, "at or above" for similarity.</summary>
    public static string AcceptingSide(DistanceMetric metric) =>
        Distances.IsSimilarity(metric) ? "at or above" : "at or below";
}
