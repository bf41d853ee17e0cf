using System.Text;

namespace FaceNet.Runtime.Export;

/// <summary>
/// Minimal protocol buffers encoder: varints, 32-bit floats, length-delimited bytes and nested messages.
/// Repeated scalars are written unpacked, one tag per value, which every proto2 and proto3 parser reads.
/// </summary>
internal sealed class ProtobufWriter
{
    private const int WireVarint = 0;
    private const int WireLengthDelimited = 2;
    private const int WireFixed32 = 5;

    private readonly MemoryStream _stream = new();

    /// <summary>The encoded message.</summary>
    public byte[] ToArray() => _stream.ToArray();

    /// <summary>Writes an int32, int64 or enum field.</summary>
    public ProtobufWriter Int64(int field, long value)
    {
        Tag(field, WireVarint);
        Varint((ulong)value);
        return this;
    }

    /// <summary>Writes a float field.</summary>
    public ProtobufWriter Float(int field, float value)
    {
        Tag(field, WireFixed32);
        Span<byte> bytes = stackalloc byte[4];
        BitConverter.TryWriteBytes(bytes, value);
        if (!BitConverter.IsLittleEndian)
        {
            bytes.Reverse();
        }
        _stream.Write(bytes);
        return this;
    }

    /// <summary>Writes a UTF-8 string field.</summary>
    public ProtobufWriter String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    /// <summary>Writes a bytes field.</summary>
    public ProtobufWriter Bytes(int field, ReadOnlySpan<byte> value)
    {
        Tag(field, WireLengthDelimited);
        Varint((ulong)value.Length);
        _stream.Write(value);
        return this;
    }

    /// <summary>Writes a nested message field.</summary>
    public ProtobufWriter Message(int field, ProtobufWriter message) => Bytes(field, message.ToArray());

    private void Tag(int field, int wireType) => Varint((ulong)((field << 3) | wireType));

    private void Varint(ulong value)
    {
        while (value >= 0x80)
        {
            _stream.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }
        _stream.WriteByte((byte)value);
    }
}
