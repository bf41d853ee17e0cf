using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Runtime.Checkpoints;

/// <summary>
/// Reads and writes the checkpoint file format: an 8-byte magic <c>FNETCKPT</c>, a little-endian uint32
/// format version, a little-endian uint32 header length, the UTF-8 JSON header, then the data section of
/// raw little-endian float32 tensors. The header stores each tensor's name, role, shape, byte offset
/// (from the start of the data section) and byte length, and the SHA-256 of the whole data section.
/// The full layout is in <c>docs/checkpoint-format.md</c>.
/// </summary>
public static class CheckpointFile
{
    /// <summary>The first eight bytes of every checkpoint.</summary>
    public static ReadOnlySpan<byte> Magic => "FNETCKPT"u8;

    /// <summary>The format version this code writes and reads.</summary>
    public const int FormatVersion = 1;

    /// <summary>Name of the checksum algorithm recorded in the header.</summary>
    public const string ChecksumAlgorithm = "SHA-256";

    private const int PreambleLength = 16;

    // A header larger than this is treated as corrupt: a model with 10,000 tensors needs about 1 MiB.
    private const int MaxHeaderLength = 64 << 20;

    private static readonly JsonSerializerOptions HeaderOptions = new() { WriteIndented = false };

    /// <summary>
    /// Writes <paramref name="data"/> to <paramref name="path"/> atomically: the bytes go to a temporary
    /// file in the same folder, which is flushed to disk and then renamed over <paramref name="path"/>.
    /// A failure leaves any earlier file at <paramref name="path"/> unchanged and removes the temporary file.
    /// </summary>
    /// <exception cref="InvalidDataException">A tensor contains NaN or infinity; the message names it.</exception>
    public static void Write(string path, CheckpointData data) => Write(path, data, stream => stream);

    /// <summary>Writes with a stream wrapper, so tests can make the write fail part-way.</summary>
    internal static void Write(string path, CheckpointData data, Func<Stream, Stream> wrapStream,
        bool checkFinite = true)
    {
        EnsureLittleEndian();
        string fullPath = Path.GetFullPath(path);
        if (checkFinite)
        {
            foreach (CheckpointTensor tensor in data.Tensors)
            {
                int bad = IndexOfNonFinite(tensor.Values);
                if (bad >= 0)
                {
                    throw new InvalidDataException(
                        $"Cannot save checkpoint '{fullPath}': tensor '{tensor.Name}' contains {tensor.Values[bad]} " +
                        $"at element {bad}; the weights diverged, so restart from an earlier checkpoint.");
                }
            }
        }

        byte[] header = BuildHeader(data);
        string folder = Path.GetDirectoryName(fullPath) ?? ".";
        string temporary = Path.Combine(folder, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                // The wrapper is not disposed: it would close the file before the flush to disk.
                Stream stream = wrapStream(file);
                WritePreamble(stream, header.Length);
                stream.Write(header);
                foreach (CheckpointTensor tensor in data.Tensors)
                {
                    stream.Write(MemoryMarshal.AsBytes(tensor.Values.AsSpan()));
                }
                stream.Flush();
                file.Flush(flushToDisk: true);
            }
            File.Move(temporary, fullPath, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    /// <summary>
    /// Reads and checks a checkpoint: magic, version, header fields, tensor offsets and lengths, the
    /// data checksum, and that every value is finite. Nothing is returned unless every check passes.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">A check failed; the message names the file, the tensor and the problem.</exception>
    public static CheckpointData Read(string path)
    {
        EnsureLittleEndian();
        string fullPath = Path.GetFullPath(path);
        if (!File.Exists(fullPath))
        {
            throw new FileNotFoundException($"Checkpoint '{fullPath}' does not exist.", fullPath);
        }
        using var file = new FileStream(fullPath, FileMode.Open, FileAccess.Read, FileShare.Read);

        int headerLength = ReadPreamble(file, fullPath);
        var headerBytes = new byte[headerLength];
        ReadExactly(file, headerBytes, fullPath, "the header");
        Header header = ParseHeader(headerBytes, fullPath);

        long dataStart = PreambleLength + headerLength;
        long available = file.Length - dataStart;
        if (available < header.DataLength)
        {
            throw Invalid(fullPath,
                $"is truncated: the header declares {header.DataLength:N0} data bytes but only {available:N0} follow");
        }
        if (available > header.DataLength)
        {
            throw Invalid(fullPath,
                $"has {available - header.DataLength:N0} unexpected bytes after the {header.DataLength:N0} data bytes");
        }

        // Tensors are read in offset order while the data section is hashed in one pass.
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var values = new float[header.Tensors.Count][];
        long position = 0;
        foreach (int i in Enumerable.Range(0, header.Tensors.Count).OrderBy(i => header.Tensors[i].Offset))
        {
            HeaderTensor entry = header.Tensors[i];
            if (entry.Offset != position)
            {
                throw Invalid(fullPath, $"tensor '{entry.Name}' starts at data offset {entry.Offset:N0}, " +
                    $"expected {position:N0} (tensors must be packed without gaps or overlaps)");
            }
            var tensorValues = new float[entry.Length / sizeof(float)];
            Span<byte> bytes = MemoryMarshal.AsBytes(tensorValues.AsSpan());
            ReadExactly(file, bytes, fullPath, $"tensor '{entry.Name}'");
            hash.AppendData(bytes);
            values[i] = tensorValues;
            position += entry.Length;
        }
        if (position != header.DataLength)
        {
            throw Invalid(fullPath, $"tensors cover {position:N0} bytes but the header declares {header.DataLength:N0}");
        }

        string actual = Convert.ToHexStringLower(hash.GetHashAndReset());
        if (!string.Equals(actual, header.Checksum, StringComparison.OrdinalIgnoreCase))
        {
            throw Invalid(fullPath,
                $"failed its {ChecksumAlgorithm} check (header {header.Checksum}, data {actual}); the file is corrupt");
        }

        var data = new CheckpointData(header.Architecture, header.EmbeddingSize) { Preprocessing = header.Preprocessing };
        foreach (var (key, value) in header.Metadata)
        {
            data.Metadata[key] = value;
        }
        for (int i = 0; i < header.Tensors.Count; i++)
        {
            HeaderTensor entry = header.Tensors[i];
            int bad = IndexOfNonFinite(values[i]);
            if (bad >= 0)
            {
                throw Invalid(fullPath, $"tensor '{entry.Name}' contains the invalid value {values[i][bad]} at element {bad}; " +
                    "the weights diverged before the save, so use an earlier checkpoint");
            }
            data.Add(new CheckpointTensor(entry.Name, entry.Role, entry.Shape, values[i]));
        }
        return data;
    }

    private static byte[] BuildHeader(CheckpointData data)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var tensors = new JsonArray();
        long offset = 0;
        foreach (CheckpointTensor tensor in data.Tensors)
        {
            ReadOnlySpan<byte> bytes = MemoryMarshal.AsBytes(tensor.Values.AsSpan());
            hash.AppendData(bytes);
            tensors.Add(new JsonObject
            {
                ["name"] = tensor.Name,
                ["role"] = RoleName(tensor.Role),
                ["shape"] = new JsonArray(tensor.Shape.Select(d => (JsonNode)d).ToArray()),
                ["offset"] = offset,
                ["length"] = bytes.Length,
            });
            offset += bytes.Length;
        }

        var metadata = new JsonObject();
        foreach (var (key, value) in data.Metadata)
        {
            metadata[key] = value;
        }
        var header = new JsonObject
        {
            ["architecture"] = data.Architecture,
            ["embeddingSize"] = data.EmbeddingSize,
            ["preprocessing"] = data.Preprocessing?.DeepClone(),
            ["metadata"] = metadata,
            ["checksum"] = new JsonObject
            {
                ["algorithm"] = ChecksumAlgorithm,
                ["value"] = Convert.ToHexStringLower(hash.GetHashAndReset()),
            },
            ["dataLength"] = offset,
            ["tensors"] = tensors,
        };
        return Encoding.UTF8.GetBytes(header.ToJsonString(HeaderOptions));
    }

    private static void WritePreamble(Stream stream, int headerLength)
    {
        Span<byte> preamble = stackalloc byte[PreambleLength];
        Magic.CopyTo(preamble);
        BinaryPrimitives.WriteUInt32LittleEndian(preamble[8..], FormatVersion);
        BinaryPrimitives.WriteUInt32LittleEndian(preamble[12..], (uint)headerLength);
        stream.Write(preamble);
    }

    private static int ReadPreamble(Stream file, string path)
    {
        Span<byte> preamble = stackalloc byte[PreambleLength];
        if (file.Length < PreambleLength)
        {
            throw Invalid(path, $"is {file.Length} bytes long, too short for a checkpoint");
        }
        ReadExactly(file, preamble, path, "the preamble");
        if (!preamble[..8].SequenceEqual(Magic))
        {
            throw Invalid(path, "does not start with the checkpoint magic 'FNETCKPT'; it is not a FaceNet.NET checkpoint");
        }
        uint version = BinaryPrimitives.ReadUInt32LittleEndian(preamble[8..]);
        if (version != FormatVersion)
        {
            throw Invalid(path, $"has format version {version}; this build reads version {FormatVersion}");
        }
        uint headerLength = BinaryPrimitives.ReadUInt32LittleEndian(preamble[12..]);
        if (headerLength == 0 || headerLength > MaxHeaderLength || PreambleLength + headerLength > file.Length)
        {
            throw Invalid(path, $"declares a header of {headerLength:N0} bytes in a file of {file.Length:N0} bytes; " +
                "the file is truncated or corrupt");
        }
        return (int)headerLength;
    }

    private static Header ParseHeader(byte[] bytes, string path)
    {
        JsonObject root;
        try
        {
            root = JsonNode.Parse(bytes) as JsonObject ?? throw Invalid(path, "has a header that is not a JSON object");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"Checkpoint '{path}' has a header that is not valid JSON: {e.Message}", e);
        }

        string architecture = RequireString(root, "architecture", path);
        int embeddingSize = RequireInt(root, "embeddingSize", path);
        if (embeddingSize < 1)
        {
            throw Invalid(path, $"has invalid embeddingSize {embeddingSize}");
        }
        JsonObject? preprocessing = root["preprocessing"] switch
        {
            null => null,
            JsonObject o => (JsonObject)o.DeepClone(),
            _ => throw Invalid(path, "has a 'preprocessing' field that is not a JSON object"),
        };
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        if (root["metadata"] is JsonObject meta)
        {
            foreach (var (key, value) in meta)
            {
                metadata[key] = value is JsonValue v && v.TryGetValue(out string? s) ? s : value?.ToJsonString() ?? "";
            }
        }

        JsonObject checksum = root["checksum"] as JsonObject ?? throw Invalid(path, "has no 'checksum' object in its header");
        string algorithm = RequireString(checksum, "algorithm", path);
        if (algorithm != ChecksumAlgorithm)
        {
            throw Invalid(path, $"uses checksum algorithm '{algorithm}'; this build checks {ChecksumAlgorithm}");
        }
        string checksumValue = RequireString(checksum, "value", path);
        long dataLength = RequireLong(root, "dataLength", path);

        JsonArray tensorArray = root["tensors"] as JsonArray ?? throw Invalid(path, "has no 'tensors' array in its header");
        var tensors = new List<HeaderTensor>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (JsonNode? node in tensorArray)
        {
            JsonObject entry = node as JsonObject ?? throw Invalid(path, "has a tensor entry that is not a JSON object");
            string name = RequireString(entry, "name", path);
            if (!names.Add(name))
            {
                throw Invalid(path, $"lists tensor '{name}' twice");
            }
            TensorRole role = ParseRole(RequireString(entry, "role", path), name, path);
            JsonArray shapeArray = entry["shape"] as JsonArray ?? throw Invalid(path, $"tensor '{name}' has no 'shape' array");
            int[] shape = shapeArray.Select(d => d is JsonValue v && v.TryGetValue(out int x) && x >= 0
                ? x
                : throw Invalid(path, $"tensor '{name}' has a shape entry that is not a non-negative integer")).ToArray();
            long offset = RequireLong(entry, "offset", path);
            long length = RequireLong(entry, "length", path);
            long expected = shape.Aggregate(1L, (a, b) => a * b) * sizeof(float);
            if (length != expected || offset < 0)
            {
                throw Invalid(path, $"tensor '{name}' of shape {Tensor.Format(shape)} needs {expected:N0} bytes " +
                    $"but the header gives offset {offset:N0} and length {length:N0}");
            }
            if (expected / sizeof(float) > Array.MaxLength)
            {
                throw Invalid(path, $"tensor '{name}' of shape {Tensor.Format(shape)} is too large to load");
            }
            tensors.Add(new HeaderTensor(name, role, shape, offset, length));
        }
        return new Header(architecture, embeddingSize, preprocessing, metadata, checksumValue, dataLength, tensors);
    }

    private static string RoleName(TensorRole role) => role switch
    {
        TensorRole.Parameter => "parameter",
        TensorRole.State => "state",
        TensorRole.Optimizer => "optimizer",
        _ => "extra",
    };

    private static TensorRole ParseRole(string role, string name, string path) => role switch
    {
        "parameter" => TensorRole.Parameter,
        "state" => TensorRole.State,
        "optimizer" => TensorRole.Optimizer,
        "extra" => TensorRole.Extra,
        _ => throw Invalid(path, $"tensor '{name}' has unknown role '{role}' (expected parameter, state, optimizer or extra)"),
    };

    private static string RequireString(JsonObject o, string key, string path) =>
        o[key] is JsonValue v && v.TryGetValue(out string? s) && s.Length > 0
            ? s
            : throw Invalid(path, $"has a missing or empty '{key}' field in its header");

    private static int RequireInt(JsonObject o, string key, string path) =>
        o[key] is JsonValue v && v.TryGetValue(out int x) ? x : throw Invalid(path, $"has a missing or non-integer '{key}' field");

    private static long RequireLong(JsonObject o, string key, string path) =>
        o[key] is JsonValue v && v.TryGetValue(out long x) ? x : throw Invalid(path, $"has a missing or non-integer '{key}' field");

    private static void ReadExactly(Stream stream, Span<byte> buffer, string path, string what)
    {
        try
        {
            stream.ReadExactly(buffer);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"Checkpoint '{path}' is truncated inside {what}.", e);
        }
    }

    private static int IndexOfNonFinite(float[] values)
    {
        for (int i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
            {
                return i;
            }
        }
        return -1;
    }

    private static InvalidDataException Invalid(string path, string problem) => new($"Checkpoint '{path}' {problem}.");

    private static void EnsureLittleEndian()
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("Checkpoints store little-endian float32; this machine is big-endian.");
        }
    }

    private sealed record HeaderTensor(string Name, TensorRole Role, int[] Shape, long Offset, long Length);

    private sealed record Header(string Architecture, int EmbeddingSize, JsonObject? Preprocessing,
        Dictionary<string, string> Metadata, string Checksum, long DataLength, List<HeaderTensor> Tensors);
}
