using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using FaceNet.Runtime.Models;
using Spectre.Console;

namespace FaceNet.Cli.Commands;

/// <summary>
/// <c>facenet models</c>: lists the registered architectures with input size, parameter count and
/// multiply-adds per image, or the layer table of one of them. Nothing is allocated: the counts come
/// from the models' static description.
/// </summary>
internal static class ModelsCommand
{
    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var format = new Option<string>("--format")
        {
            Description = "Output format: 'table' for people, 'json' for programs.",
            DefaultValueFactory = _ => "table",
        };
        format.AcceptOnlyFromAmong("table", "json");
        var layers = new Option<string?>("--layers")
        {
            Description = "Print the layer table of this architecture instead of the list.",
        };
        var embeddingSize = new Option<int>("--embedding-size")
        {
            Description = "Embedding dimension the counts are computed for.",
            DefaultValueFactory = _ => 128,
        };

        var command = new Command("models", "List the embedding architectures with input size, parameters and multiply-adds.")
        {
            format,
            layers,
            embeddingSize,
        };
        command.SetAction(result => Run(
            result.GetValue(format) ?? "table",
            result.GetValue(layers),
            result.GetValue(embeddingSize),
            result.InvocationConfiguration.Output,
            result.InvocationConfiguration.Error));
        return command;
    }

    /// <summary>
    /// Writes the architecture list (or the layer table of <paramref name="layers"/>) to
    /// <paramref name="output"/> and returns the exit code: 0 on success, 2 (usage error) for an unknown architecture or
    /// an invalid embedding size, with the reason on <paramref name="error"/>.
    /// </summary>
    internal static int Run(string format, string? layers, int embeddingSize, TextWriter output, TextWriter error)
    {
        if (embeddingSize < 1)
        {
            error.WriteLine($"error: Invalid --embedding-size {embeddingSize}; use a positive number such as 128.");
            return 2;
        }
        bool json = string.Equals(format, "json", StringComparison.OrdinalIgnoreCase);
        if (layers is not null)
        {
            if (!Architectures.IsKnown(layers))
            {
                error.WriteLine(
                    $"error: Unknown architecture '{layers}'. Valid names: {string.Join(", ", Architectures.Names)}.");
                return 2;
            }
            FaceNetModel model = Architectures.Create(layers, embeddingSize);
            if (json)
            {
                WriteLayersJson(model, output);
            }
            else
            {
                WriteLayersTable(model, output);
            }
            return 0;
        }

        List<FaceNetModel> models = Architectures.Names.Select(n => Architectures.Create(n, embeddingSize)).ToList();
        if (json)
        {
            WriteListJson(models, output);
        }
        else
        {
            WriteListTable(models, output);
        }
        return 0;
    }

    private static string InputText(FaceNetModel model) => model.InputShape.ToString();

    private static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static void WriteListJson(List<FaceNetModel> models, TextWriter output)
    {
        var rows = models.Select(m => new ModelSummary(m.Architecture, InputText(m), m.ParameterCount, m.MultiplyAdds));
        output.WriteLine(JsonSerializer.Serialize(rows, JsonOptions));
    }

    private static void WriteLayersJson(FaceNetModel model, TextWriter output)
    {
        var rows = model.Describe().Select(r =>
            new LayerSummary(r.Name, r.Kind, r.Depth, r.Output.ToString(), r.Parameters, r.MultiplyAdds));
        output.WriteLine(JsonSerializer.Serialize(rows, JsonOptions));
    }

    private static void WriteListTable(List<FaceNetModel> models, TextWriter output)
    {
        var table = new Table().AddColumn("Name").AddColumn("Input (CxHxW)")
            .AddColumn(new TableColumn("Parameters").RightAligned())
            .AddColumn(new TableColumn("Multiply-adds").RightAligned());
        foreach (FaceNetModel m in models)
        {
            table.AddRow(m.Architecture, InputText(m), Count(m.ParameterCount), Count(m.MultiplyAdds));
        }
        ConsoleFor(output).Write(table);
    }

    private static void WriteLayersTable(FaceNetModel model, TextWriter output)
    {
        var table = new Table().AddColumn("Layer").AddColumn("Kind").AddColumn("Output (CxHxW)")
            .AddColumn(new TableColumn("Parameters").RightAligned())
            .AddColumn(new TableColumn("Multiply-adds").RightAligned());
        foreach (LayerRow row in model.Describe())
        {
            table.AddRow(Markup.Escape(row.Name), Markup.Escape(row.Kind), row.Output.ToString(),
                Count(row.Parameters), Count(row.MultiplyAdds));
        }
        table.AddRow("total", "", model.OutputShape.ToString(), Count(model.ParameterCount), Count(model.MultiplyAdds));
        IAnsiConsole console = ConsoleFor(output);
        console.WriteLine($"{model.Architecture}: input {InputText(model)}, embedding {model.EmbeddingSize}");
        console.Write(table);
    }

    // Redirected output has no terminal width to detect; a fixed width keeps each layer on one line.
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

    private sealed record ModelSummary(
        [property: System.Text.Json.Serialization.JsonPropertyName("name")] string Name,
        [property: System.Text.Json.Serialization.JsonPropertyName("input")] string Input,
        [property: System.Text.Json.Serialization.JsonPropertyName("parameters")] long Parameters,
        [property: System.Text.Json.Serialization.JsonPropertyName("multiplyAdds")] long MultiplyAdds);

    private sealed record LayerSummary(
        [property: System.Text.Json.Serialization.JsonPropertyName("name")] string Name,
        [property: System.Text.Json.Serialization.JsonPropertyName("kind")] string Kind,
        [property: System.Text.Json.Serialization.JsonPropertyName("depth")] int Depth,
        [property: System.Text.Json.Serialization.JsonPropertyName("output")] string Output,
        [property: System.Text.Json.Serialization.JsonPropertyName("parameters")] long Parameters,
        [property: System.Text.Json.Serialization.JsonPropertyName("multiplyAdds")] long MultiplyAdds);
}
