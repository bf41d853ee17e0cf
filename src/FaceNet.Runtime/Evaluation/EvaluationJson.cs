using System.Text.Json;
using System.Text.Json.Serialization;

namespace FaceNet.Runtime.Evaluation;

/// <summary>JSON settings shared by the evaluation records: camelCase names and enums as camelCase strings.</summary>
public static class EvaluationJson
{
    /// <summary>Indented output, camelCase property names, enums written as strings such as "squaredL2".</summary>
    public static JsonSerializerOptions Options { get; } = CreateOptions();

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions
        {
            WriteIndented = true,
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        };
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase));
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
