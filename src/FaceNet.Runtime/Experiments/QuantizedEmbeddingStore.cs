using System.Text;
using FaceNet.Runtime.Evaluation;

namespace FaceNet.Runtime.Experiments;

/// <summary>
/// Named embeddings stored as one byte per dimension, the sibling of <see cref="EmbeddingStore"/>'s float
/// format. All integers and floats are little-endian: the 4 ASCII bytes <c>FNEQ</c>; int32 format version
/// (1); int32 dimension; int32 count; dimension float32 offsets then dimension float32 steps (the
/// <see cref="ByteQuantizer"/>); per embedding an int32 byte length and that many UTF-8 bytes of its name;
/// then count x dimension bytes, row after row. Reading returns the byte codes and the quantiser, so the
/// values read back are exactly <see cref="ByteQuantizer.Dequantize"/> of the stored codes.
/// </summary>
public static class QuantizedEmbeddingStore
{
    /// <summary>Version written into files; readers reject other versions.</summary>
    public const int Version = 1;

    private static readonly byte[] Magic = "FNEQ"u8.ToArray();

    /// <summary>Quantises the embeddings with <paramref name="quantizer"/> and writes them to a file.</summary>
    /// <exception cref="ArgumentException">An embedding's length differs from the quantiser's dimension.</exception>
    public static void Save(string path, ByteQuantizer quantizer, IReadOnlyList<NamedEmbedding> embeddings)
    {
        using FileStream stream = File.Create(path);
        Write(stream, quantizer, embeddings);
    }

    /// <summary>Quantises the embeddings and writes them to a stream.</summary>
    /// <exception cref="ArgumentException">An embedding's length differs from the quantiser's dimension.</exception>
    public static void Write(Stream stream, ByteQuantizer quantizer, IReadOnlyList<NamedEmbedding> embeddings)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(quantizer);
        ArgumentNullException.ThrowIfNull(embeddings);
        byte[][] codes = embeddings.Select(e => quantizer.Quantize(e.Vector)).ToArray();

        using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        writer.Write(Magic);
        writer.Write(Version);
        writer.Write(quantizer.Dimension);
        writer.Write(embeddings.Count);
        foreach (float offset in quantizer.Offsets)
        {
            writer.Write(offset);
        }
        foreach (float step in quantizer.Steps)
        {
            writer.Write(step);
        }
        foreach (NamedEmbedding embedding in embeddings)
        {
            byte[] name = Encoding.UTF8.GetBytes(embedding.Name);
            writer.Write(name.Length);
            writer.Write(name);
        }
        foreach (byte[] row in codes)
        {
            writer.Write(row);
        }
    }

    /// <summary>Reads a file written by <see cref="Save"/>.</summary>
    /// <exception cref="InvalidDataException">The file is not in the format, has another version, or is truncated.</exception>
    public static QuantizedEmbeddings Load(string path)
    {
        using FileStream stream = File.OpenRead(path);
        return Read(stream, path);
    }

    /// <summary>Reads the format from a stream; <paramref name="source"/> names it in error messages.</summary>
    /// <exception cref="InvalidDataException">The data is not in the format, has another version, or is truncated.</exception>
    public static QuantizedEmbeddings Read(Stream stream, string source)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        try
        {
            byte[] magic = reader.ReadBytes(Magic.Length);
            if (!magic.AsSpan().SequenceEqual(Magic))
            {
                throw new InvalidDataException(
                    $"'{source}' is not a quantised embedding file; it does not start with 'FNEQ'.");
            }
            int version = reader.ReadInt32();
            if (version != Version)
            {
                throw new InvalidDataException(
                    $"Quantised embedding file '{source}' has format version {version}; this build reads version {Version}.");
            }
            int dimension = reader.ReadInt32();
            int count = reader.ReadInt32();
            if (dimension < 1 || count < 0)
            {
                throw new InvalidDataException(
                    $"Quantised embedding file '{source}' declares dimension {dimension} and count {count}; the " +
                    "dimension must be positive and the count non-negative.");
            }
            long minimumBytes = 8L * dimension + 4L * count + (long)count * dimension;
            if (stream.CanSeek && minimumBytes > stream.Length - stream.Position)
            {
                throw new EndOfStreamException();
            }

            var offsets = new float[dimension];
            var steps = new float[dimension];
            for (int d = 0; d < dimension; d++)
            {
                offsets[d] = reader.ReadSingle();
            }
            for (int d = 0; d < dimension; d++)
            {
                steps[d] = reader.ReadSingle();
            }
            ByteQuantizer quantizer;
            try
            {
                quantizer = new ByteQuantizer(offsets, steps);
            }
            catch (ArgumentException e)
            {
                throw new InvalidDataException($"Quantised embedding file '{source}' has an invalid range: {e.Message}", e);
            }

            var names = new string[count];
            for (int i = 0; i < count; i++)
            {
                int length = reader.ReadInt32();
                if (length < 0)
                {
                    throw new InvalidDataException(
                        $"Quantised embedding file '{source}': name {i} has negative length {length}.");
                }
                byte[] bytes = reader.ReadBytes(length);
                if (bytes.Length != length)
                {
                    throw new EndOfStreamException();
                }
                names[i] = Encoding.UTF8.GetString(bytes);
            }

            var codes = new byte[count][];
            for (int i = 0; i < count; i++)
            {
                codes[i] = reader.ReadBytes(dimension);
                if (codes[i].Length != dimension)
                {
                    throw new EndOfStreamException();
                }
            }
            return new QuantizedEmbeddings(quantizer, names, codes);
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException(
                $"Quantised embedding file '{source}' is truncated at byte {stream.Position}; write it again.");
        }
    }
}

/// <summary>The contents of a quantised embedding file.</summary>
/// <param name="Quantizer">The byte-to-value map of every dimension.</param>
/// <param name="Names">Name of each embedding.</param>
/// <param name="Codes">One byte per dimension for each embedding.</param>
public sealed record QuantizedEmbeddings(ByteQuantizer Quantizer, IReadOnlyList<string> Names,
    IReadOnlyList<byte[]> Codes)
{
    /// <summary>Returns the embeddings as floats: each code dequantised.</summary>
    public IReadOnlyList<NamedEmbedding> ToEmbeddings() =>
        Names.Select((name, i) => new NamedEmbedding(name, Quantizer.Dequantize(Codes[i]))).ToArray();
}
