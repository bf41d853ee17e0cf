using System.Globalization;
using System.Text;

namespace FaceNet.Runtime.Evaluation;

/// <summary>
/// Reads and writes named embeddings as CSV or as a compact binary file.
/// <para>CSV: a header <c>name,e0,e1,...</c>, then one row per embedding with the name (quoted as in
/// RFC 4180 when it contains a comma or quote) and each value in shortest round-trip form, so values read
/// back bit-exact.</para>
/// <para>Binary, all integers and floats little-endian: the 4 ASCII bytes <c>FNEB</c>; int32 format
/// version (1); int32 dimension; int32 count; then per embedding an int32 byte length and that many UTF-8
/// bytes of its name; then count x dimension float32 values, row after row.</para>
/// </summary>
public static class EmbeddingStore
{
    /// <summary>Version written into binary files; readers reject other versions.</summary>
    public const int BinaryVersion = 1;

    private static readonly byte[] Magic = "FNEB"u8.ToArray();

    /// <summary>Writes CSV when <paramref name="path"/> ends in <c>.csv</c> and the binary format otherwise.</summary>
    public static void Save(string path, IReadOnlyList<NamedEmbedding> embeddings)
    {
        if (IsCsv(path))
        {
            WriteCsv(path, embeddings);
        }
        else
        {
            WriteBinary(path, embeddings);
        }
    }

    /// <summary>Reads CSV when <paramref name="path"/> ends in <c>.csv</c> and the binary format otherwise.</summary>
    public static IReadOnlyList<NamedEmbedding> Load(string path) => IsCsv(path) ? ReadCsv(path) : ReadBinary(path);

    /// <summary>Writes embeddings as CSV.</summary>
    /// <exception cref="ArgumentException">The embeddings differ in dimension or a name contains a line break.</exception>
    public static void WriteCsv(string path, IReadOnlyList<NamedEmbedding> embeddings)
    {
        int dimension = RequireUniformDimension(embeddings);
        using var writer = new StreamWriter(path, append: false, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        writer.NewLine = "\n";

        var header = new StringBuilder("name");
        for (int i = 0; i < dimension; i++)
        {
            header.Append(",e").Append(i.ToString(CultureInfo.InvariantCulture));
        }
        writer.WriteLine(header.ToString());

        var row = new StringBuilder();
        foreach (NamedEmbedding embedding in embeddings)
        {
            if (embedding.Name.AsSpan().IndexOfAny('\r', '\n') >= 0)
            {
                throw new ArgumentException(
                    $"Embedding name '{embedding.Name.ReplaceLineEndings(" ")}' contains a line break, which CSV rows cannot hold.",
                    nameof(embeddings));
            }
            row.Clear();
            row.Append(QuoteCsv(embedding.Name));
            foreach (float value in embedding.Vector)
            {
                row.Append(',').Append(value.ToString("R", CultureInfo.InvariantCulture));
            }
            writer.WriteLine(row.ToString());
        }
    }

    /// <summary>Reads embeddings written by <see cref="WriteCsv"/>.</summary>
    /// <exception cref="InvalidDataException">A row has the wrong number of values or an unparsable value.</exception>
    public static IReadOnlyList<NamedEmbedding> ReadCsv(string path)
    {
        using var reader = new StreamReader(path);
        string? header = reader.ReadLine();
        if (header is null)
        {
            throw new InvalidDataException($"Embedding CSV '{path}' is empty; expected a header 'name,e0,e1,...'.");
        }
        int dimension = SplitCsv(header, path, 1).Count - 1;

        var embeddings = new List<NamedEmbedding>();
        int lineNumber = 1;
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            lineNumber++;
            if (line.Length == 0)
            {
                continue;
            }
            List<string> fields = SplitCsv(line, path, lineNumber);
            if (fields.Count != dimension + 1)
            {
                throw new InvalidDataException(
                    $"Embedding CSV '{path}' line {lineNumber} has {fields.Count - 1} values, but the header declares {dimension}.");
            }
            var vector = new float[dimension];
            for (int i = 0; i < dimension; i++)
            {
                if (!float.TryParse(fields[i + 1], NumberStyles.Float, CultureInfo.InvariantCulture, out vector[i]))
                {
                    throw new InvalidDataException(
                        $"Embedding CSV '{path}' line {lineNumber}: value {i} '{fields[i + 1]}' is not a number.");
                }
            }
            embeddings.Add(new NamedEmbedding(fields[0], vector));
        }
        return embeddings;
    }

    /// <summary>Writes embeddings in the binary format described on the type.</summary>
    /// <exception cref="ArgumentException">The embeddings differ in dimension.</exception>
    public static void WriteBinary(string path, IReadOnlyList<NamedEmbedding> embeddings)
    {
        using FileStream stream = File.Create(path);
        WriteBinary(stream, embeddings);
    }

    /// <summary>Writes embeddings in the binary format to a stream.</summary>
    public static void WriteBinary(Stream stream, IReadOnlyList<NamedEmbedding> embeddings)
    {
        int dimension = RequireUniformDimension(embeddings);
        using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        writer.Write(Magic);
        writer.Write(BinaryVersion);
        writer.Write(dimension);
        writer.Write(embeddings.Count);
        foreach (NamedEmbedding embedding in embeddings)
        {
            byte[] name = Encoding.UTF8.GetBytes(embedding.Name);
            writer.Write(name.Length);
            writer.Write(name);
        }
        foreach (NamedEmbedding embedding in embeddings)
        {
            foreach (float value in embedding.Vector)
            {
                writer.Write(value);
            }
        }
    }

    /// <summary>Reads embeddings written by <see cref="WriteBinary(string, IReadOnlyList{NamedEmbedding})"/>.</summary>
    /// <exception cref="InvalidDataException">The file is not in the format, has another version, or is truncated.</exception>
    public static IReadOnlyList<NamedEmbedding> ReadBinary(string path)
    {
        using FileStream stream = File.OpenRead(path);
        return ReadBinary(stream, path);
    }

    /// <summary>Reads the binary format from a stream; <paramref name="source"/> names it in error messages.</summary>
    /// <exception cref="InvalidDataException">The data is not in the format, has another version, or is truncated.</exception>
    public static IReadOnlyList<NamedEmbedding> ReadBinary(Stream stream, string source)
    {
        using var reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        try
        {
            byte[] magic = reader.ReadBytes(Magic.Length);
            if (!magic.AsSpan().SequenceEqual(Magic))
            {
                throw new InvalidDataException($"'{source}' is not an embedding file; it does not start with 'FNEB'.");
            }
            int version = reader.ReadInt32();
            if (version != BinaryVersion)
            {
                throw new InvalidDataException(
                    $"Embedding file '{source}' has format version {version}; this build reads version {BinaryVersion}.");
            }
            int dimension = reader.ReadInt32();
            int count = reader.ReadInt32();
            if (dimension < 0 || count < 0)
            {
                throw new InvalidDataException(
                    $"Embedding file '{source}' declares dimension {dimension} and count {count}; both must be non-negative.");
            }
            long minimumBytes = 4L * count + 4L * count * dimension;
            if (stream.CanSeek && minimumBytes > stream.Length - stream.Position)
            {
                throw new InvalidDataException(
                    $"Embedding file '{source}' declares {count} embeddings of dimension {dimension}, which need at " +
                    $"least {minimumBytes} more bytes, but only {stream.Length - stream.Position} remain; the file is truncated.");
            }

            var names = new string[count];
            for (int i = 0; i < count; i++)
            {
                int length = reader.ReadInt32();
                if (length < 0)
                {
                    throw new InvalidDataException($"Embedding file '{source}': name {i} has negative length {length}.");
                }
                byte[] bytes = reader.ReadBytes(length);
                if (bytes.Length != length)
                {
                    throw new EndOfStreamException();
                }
                names[i] = Encoding.UTF8.GetString(bytes);
            }

            var embeddings = new NamedEmbedding[count];
            for (int i = 0; i < count; i++)
            {
                var vector = new float[dimension];
                for (int d = 0; d < dimension; d++)
                {
                    vector[d] = reader.ReadSingle();
                }
                embeddings[i] = new NamedEmbedding(names[i], vector);
            }
            return embeddings;
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException(
                $"Embedding file '{source}' is truncated at byte {stream.Position}; write it again.");
        }
    }

    private static bool IsCsv(string path) => path.EndsWith(".csv", StringComparison.OrdinalIgnoreCase);

    private static int RequireUniformDimension(IReadOnlyList<NamedEmbedding> embeddings)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        if (embeddings.Count == 0)
        {
            return 0;
        }
        int dimension = embeddings[0].Vector.Length;
        foreach (NamedEmbedding embedding in embeddings)
        {
            if (embedding.Vector.Length != dimension)
            {
                throw new ArgumentException(
                    $"Embedding '{embedding.Name}' has {embedding.Vector.Length} dimensions, but '{embeddings[0].Name}' " +
                    $"has {dimension}; one file holds embeddings of one dimension.", nameof(embeddings));
            }
        }
        return dimension;
    }

    private static string QuoteCsv(string field) =>
        field.AsSpan().IndexOfAny(',', '"') >= 0 ? "\"" + field.Replace("\"", "\"\"") + "\"" : field;

    private static List<string> SplitCsv(string line, string path, int lineNumber)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        int i = 0;
        while (true)
        {
            field.Clear();
            if (i < line.Length && line[i] == '"')
            {
                i++;
                while (true)
                {
                    if (i >= line.Length)
                    {
                        throw new InvalidDataException($"Embedding CSV '{path}' line {lineNumber} has an unterminated quoted name.");
                    }
                    if (line[i] == '"')
                    {
                        if (i + 1 < line.Length && line[i + 1] == '"')
                        {
                            field.Append('"');
                            i += 2;
                            continue;
                        }
                        i++;
                        break;
                    }
                    field.Append(line[i]);
                    i++;
                }
            }
            else
            {
                while (i < line.Length && line[i] != ',')
                {
                    field.Append(line[i]);
                    i++;
                }
            }
            fields.Add(field.ToString());
            if (i >= line.Length)
            {
                return fields;
            }
            if (line[i] != ',')
            {
                throw new InvalidDataException(
                    $"Embedding CSV '{path}' line {lineNumber}: expected a comma after a quoted field at column {i + 1}.");
            }
            i++;
        }
    }
}
