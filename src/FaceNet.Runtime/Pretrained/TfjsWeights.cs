using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace FaceNet.Runtime.Pretrained;

/// <summary>
/// The weights of a TensorFlow.js model read from a <c>*-weights_manifest.json</c> and its .bin files.
/// </summary>
/// <remarks>
/// The manifest is a JSON array of groups. Each group lists <c>paths</c> (binary files, concatenated in
/// order) and <c>weights</c>, each with a <c>name</c>, a <c>shape</c>, a <c>dtype</c> (float32 or int32)
/// and an optional <c>quantization</c>. The weights are stored back to back in the group's bytes, little
/// endian. A quantised weight stores each value as <c>quantization.dtype</c>: uint8 or uint16 codes q with
/// <c>value = q * scale + min</c> (rounded with JavaScript's Math.round for int32 weights, as TensorFlow.js does),
/// or float16 values.
/// </remarks>
public sealed class TfjsWeights
{
    private readonly Dictionary<string, TfjsTensor> _tensors;

    private TfjsWeights(string manifestPath, Dictionary<string, TfjsTensor> tensors)
    {
        ManifestPath = manifestPath;
        _tensors = tensors;
    }

    /// <summary>The manifest these weights came from.</summary>
    public string ManifestPath { get; }

    /// <summary>Number of weights.</summary>
    public int Count => _tensors.Count;

    /// <summary>Weight names in manifest order.</summary>
    public IEnumerable<string> Names => _tensors.Keys;

    /// <summary>Whether a weight of this name exists.</summary>
    public bool Contains(string name) => _tensors.ContainsKey(name);

    /// <summary>A weight by name.</summary>
    /// <exception cref="KeyNotFoundException">No weight has this name; the message lists similar names.</exception>
    public TfjsTensor this[string name]
    {
        get
        {
            if (_tensors.TryGetValue(name, out TfjsTensor? tensor))
            {
                return tensor;
            }
            string prefix = name.Contains('/') ? name[..name.IndexOf('/')] : name;
            string[] similar = _tensors.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).Take(8).ToArray();
            throw new KeyNotFoundException(
                $"Weight '{name}' is missing from '{ManifestPath}' ({Count} weights). " +
                (similar.Length > 0 ? $"Similar names: {string.Join(", ", similar)}." : "No name shares its prefix.") +
                " The manifest may belong to another model or package version.");
        }
    }

    /// <summary>A weight by name, checked against the shape the caller expects.</summary>
    /// <exception cref="KeyNotFoundException">No weight has this name.</exception>
    /// <exception cref="InvalidDataException">The weight has another shape.</exception>
    public TfjsTensor Get(string name, params int[] expectedShape)
    {
        TfjsTensor tensor = this[name];
        if (!tensor.HasShape(expectedShape))
        {
            throw new InvalidDataException(
                $"Weight '{name}' in '{ManifestPath}' has shape {tensor.ShapeText}, but the network expects " +
                $"[{string.Join(", ", expectedShape)}].");
        }
        return tensor;
    }

    /// <summary>Reads a manifest and its binary files, which must sit in the manifest's folder.</summary>
    /// <exception cref="FileNotFoundException">The manifest or one of its binary files is missing.</exception>
    /// <exception cref="InvalidDataException">The manifest is malformed, names an unknown dtype, or a binary
    /// group is shorter than its weights need.</exception>
    public static TfjsWeights Load(string manifestPath)
    {
        if (!File.Exists(manifestPath))
        {
            throw new FileNotFoundException($"Weights manifest '{manifestPath}' does not exist.", manifestPath);
        }
        string folder = Path.GetDirectoryName(Path.GetFullPath(manifestPath))!;
        ManifestGroup[] groups;
        try
        {
            groups = JsonSerializer.Deserialize(File.ReadAllText(manifestPath), TfjsManifestJson.Default.ManifestGroupArray)
                ?? throw new InvalidDataException($"Weights manifest '{manifestPath}' is empty (JSON null).");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"Weights manifest '{manifestPath}' is not valid JSON: {e.Message}", e);
        }

        var tensors = new Dictionary<string, TfjsTensor>(StringComparer.Ordinal);
        for (int g = 0; g < groups.Length; g++)
        {
            ManifestGroup group = groups[g];
            if (group.Paths is null || group.Weights is null)
            {
                throw new InvalidDataException(
                    $"Weights manifest '{manifestPath}': group {g} lacks 'paths' or 'weights'.");
            }
            byte[] bytes = ReadGroupBytes(folder, group.Paths, manifestPath);
            int offset = 0;
            foreach (ManifestWeight weight in group.Weights)
            {
                TfjsTensor tensor = Decode(weight, bytes, ref offset, manifestPath, group.Paths);
                if (!tensors.TryAdd(tensor.Name, tensor))
                {
                    throw new InvalidDataException(
                        $"Weights manifest '{manifestPath}' lists weight '{tensor.Name}' twice.");
                }
            }
        }
        return new TfjsWeights(Path.GetFullPath(manifestPath), tensors);
    }

    private static byte[] ReadGroupBytes(string folder, string[] paths, string manifestPath)
    {
        using var buffer = new MemoryStream();
        foreach (string relative in paths)
        {
            string path = Path.Combine(folder, relative);
            if (!File.Exists(path))
            {
                throw new FileNotFoundException(
                    $"Weight file '{path}' named by manifest '{manifestPath}' does not exist.", path);
            }
            using FileStream file = File.OpenRead(path);
            file.CopyTo(buffer);
        }
        return buffer.ToArray();
    }

    private static TfjsTensor Decode(ManifestWeight weight, byte[] bytes, ref int offset, string manifestPath,
        string[] paths)
    {
        if (string.IsNullOrEmpty(weight.Name) || weight.Shape is null || weight.Dtype is null)
        {
            throw new InvalidDataException(
                $"Weights manifest '{manifestPath}': a weight lacks 'name', 'shape' or 'dtype' (name '{weight.Name}').");
        }
        long count = 1;
        foreach (int d in weight.Shape)
        {
            if (d < 0)
            {
                throw new InvalidDataException(
                    $"Weights manifest '{manifestPath}': weight '{weight.Name}' has a negative dimension {d}.");
            }
            count *= d;
        }
        if (weight.Dtype != "float32" && weight.Dtype != "int32")
        {
            throw new InvalidDataException(
                $"Weights manifest '{manifestPath}': weight '{weight.Name}' has dtype '{weight.Dtype}'; " +
                "only float32 and int32 are supported.");
        }
        string storage = weight.Quantization?.Dtype ?? weight.Dtype;
        int elementBytes = storage switch
        {
            "float32" or "int32" => 4,
            "uint16" or "float16" => 2,
            "uint8" => 1,
            _ => throw new InvalidDataException(
                $"Weights manifest '{manifestPath}': weight '{weight.Name}' is quantised as '{storage}'; " +
                "supported: uint8, uint16, float16."),
        };
        long byteCount = count * elementBytes;
        if (offset + byteCount > bytes.Length)
        {
            throw new InvalidDataException(
                $"Weight file(s) {string.Join(", ", paths)} of '{manifestPath}' hold {bytes.Length} bytes, but " +
                $"weight '{weight.Name}' {FormatShape(weight.Shape)} needs bytes {offset} to {offset + byteCount}; " +
                "the file is truncated or belongs to another manifest.");
        }

        ReadOnlySpan<byte> data = bytes.AsSpan(offset, (int)byteCount);
        offset += (int)byteCount;
        var values = new float[count];
        bool isInteger = weight.Dtype == "int32";
        if (weight.Quantization is { } q && storage is "uint8" or "uint16")
        {
            if (q.Scale is not double scale || q.Min is not double min)
            {
                throw new InvalidDataException(
                    $"Weights manifest '{manifestPath}': weight '{weight.Name}' is quantised as {storage} " +
                    "but lacks 'scale' or 'min'.");
            }
            for (int i = 0; i < values.Length; i++)
            {
                int code = storage == "uint8" ? data[i] : BinaryPrimitives.ReadUInt16LittleEndian(data[(2 * i)..]);

                // Computed in double and rounded once to float, as TensorFlow.js does with JavaScript numbers.
                double value = code * scale + min;
                values[i] = isInteger ? (float)Math.Floor(value + 0.5) : (float)value;
            }
        }
        else if (storage == "float16")
        {
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(data[(2 * i)..]);
            }
        }
        else if (storage == "int32")
        {
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = BinaryPrimitives.ReadInt32LittleEndian(data[(4 * i)..]);
            }
        }
        else
        {
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = BinaryPrimitives.ReadSingleLittleEndian(data[(4 * i)..]);
            }
        }
        return new TfjsTensor(weight.Name, weight.Shape, values);
    }

    private static string FormatShape(int[] shape) => "[" + string.Join(", ", shape) + "]";

    internal sealed record ManifestGroup(string[]? Paths, ManifestWeight[]? Weights);

    internal sealed record ManifestWeight(string? Name, int[]? Shape, string? Dtype, ManifestQuantization? Quantization);

    internal sealed record ManifestQuantization(string? Dtype, double? Scale, double? Min);
}

/// <summary>
/// Source-generated JSON reading of weight manifests, so that loading needs no reflection and works in trimmed
/// and native-AOT applications (file-based C# apps are AOT by default).
/// </summary>
[JsonSourceGenerationOptions(PropertyNameCaseInsensitive = true)]
[JsonSerializable(typeof(TfjsWeights.ManifestGroup[]))]
internal sealed partial class TfjsManifestJson : JsonSerializerContext;
