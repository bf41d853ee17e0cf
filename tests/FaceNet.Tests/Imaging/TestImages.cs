using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using FaceNet.Runtime.Imaging;
using SkiaSharp;

namespace FaceNet.Tests.Imaging;

/// <summary>Builds encoded test images at run time: PNG by hand, JPEG through Skia or by hand for CMYK/YCCK.</summary>
internal static class TestImages
{
    /// <summary>PNG colour types (PNG specification, IHDR).</summary>
    public const byte PngGrey = 0, PngRgb = 2, PngGreyAlpha = 4, PngRgba = 6;

    /// <summary>
    /// Encodes a PNG with the given colour type and bit depth (8 or 16). <paramref name="samples"/> contains
    /// width*height*channels values, row-major, each within the bit depth.
    /// </summary>
    public static byte[] Png(int width, int height, byte colorType, int bitDepth, int[] samples)
    {
        int channels = colorType switch { PngGrey => 1, PngRgb => 3, PngGreyAlpha => 2, _ => 4 };
        int bytesPerSample = bitDepth / 8;
        var raw = new MemoryStream();
        for (int y = 0; y < height; y++)
        {
            raw.WriteByte(0); // filter type None
            for (int i = 0; i < width * channels; i++)
            {
                int sample = samples[y * width * channels + i];
                if (bytesPerSample == 2)
                {
                    raw.WriteByte((byte)(sample >> 8));
                }
                raw.WriteByte((byte)sample);
            }
        }

        var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            raw.Position = 0;
            raw.CopyTo(zlib);
        }

        var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = (byte)bitDepth;
        header[9] = colorType;
        WriteChunk(png, "IHDR", header);
        WriteChunk(png, "IDAT", compressed.ToArray());
        WriteChunk(png, "IEND", []);
        return png.ToArray();
    }

    /// <summary>Encodes an 8-bit RGB image with Skia as JPEG (quality 100) or PNG.</summary>
    public static byte[] EncodeRgb(int width, int height, Func<int, int, (byte R, byte G, byte B)> colour,
        SKEncodedImageFormat format)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                (byte r, byte g, byte b) = colour(x, y);
                bitmap.SetPixel(x, y, new SKColor(r, g, b));
            }
        }
        using SKData data = bitmap.Encode(format, 100);
        return data.ToArray();
    }

    /// <summary>Inserts an EXIF APP1 segment with the given Orientation tag right after the JPEG SOI marker.</summary>
    public static byte[] WithExifOrientation(byte[] jpeg, int orientation)
    {
        var exif = new List<byte>();
        exif.AddRange("Exif\0\0"u8.ToArray());
        exif.AddRange(new byte[] { (byte)'M', (byte)'M', 0x00, 0x2A, 0x00, 0x00, 0x00, 0x08 }); // TIFF header, IFD at 8
        exif.AddRange(new byte[] { 0x00, 0x01 });                                            // one IFD entry
        exif.AddRange(new byte[] { 0x01, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01 });        // Orientation, SHORT, 1
        exif.AddRange(new byte[] { 0x00, (byte)orientation, 0x00, 0x00 });                   // value, padding
        exif.AddRange(new byte[] { 0x00, 0x00, 0x00, 0x00 });                                // no next IFD

        var result = new List<byte>(jpeg.Length + exif.Count + 4);
        result.AddRange(jpeg.AsSpan(0, 2).ToArray());
        result.AddRange(new byte[] { 0xFF, 0xE1, (byte)((exif.Count + 2) >> 8), (byte)(exif.Count + 2) });
        result.AddRange(exif);
        result.AddRange(jpeg.AsSpan(2).ToArray());
        return result.ToArray();
    }

    /// <summary>
    /// Encodes a baseline 4-component JPEG with an Adobe APP14 marker (transform 0 = CMYK, 2 = YCCK) or,
    /// when <paramref name="adobeTransform"/> is null, without one.
    /// Every 8x8 block is one flat colour, so only DC coefficients are non-zero and, with a quantisation
    /// table of ones, the stored samples come back exactly. <paramref name="stored"/> returns the four stored
    /// component values of a block (block column, block row).
    /// </summary>
    public static byte[] FourComponentJpeg(int blocksWide, int blocksHigh, byte? adobeTransform,
        Func<int, int, (byte C0, byte C1, byte C2, byte C3)> stored)
    {
        var jpeg = new MemoryStream();
        jpeg.Write([0xFF, 0xD8]);

        // APP14 Adobe: version 100, flags 0, 0, transform. Left out when adobeTransform is null.
        if (adobeTransform is byte transform)
        {
            jpeg.Write([0xFF, 0xEE, 0x00, 0x0E, (byte)'A', (byte)'d', (byte)'o', (byte)'b', (byte)'e',
                0x00, 0x64, 0x00, 0x00, 0x00, 0x00, transform]);
        }

        // DQT: table 0, 8-bit, all ones.
        jpeg.Write([0xFF, 0xDB, 0x00, 0x43, 0x00]);
        jpeg.Write(Enumerable.Repeat((byte)1, 64).ToArray());

        // SOF0: 8-bit, size, 4 components with 1x1 sampling and quantisation table 0.
        int width = blocksWide * 8, height = blocksHigh * 8;
        jpeg.Write([0xFF, 0xC0, 0x00, 0x14, 0x08, (byte)(height >> 8), (byte)height, (byte)(width >> 8), (byte)width, 0x04]);
        for (byte id = 1; id <= 4; id++)
        {
            jpeg.Write([id, 0x11, 0x00]);
        }

        // DHT: DC table 0 with the standard luminance DC code lengths; AC table 0 holding only EOB.
        byte[] dcBits = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0];
        jpeg.Write([0xFF, 0xC4, 0x00, 0x1F, 0x00]);
        jpeg.Write(dcBits);
        jpeg.Write(Enumerable.Range(0, 12).Select(i => (byte)i).ToArray());
        jpeg.Write([0xFF, 0xC4, 0x00, 0x14, 0x10, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x00]);

        // SOS: 4 components, all on tables 0/0, full spectrum.
        jpeg.Write([0xFF, 0xDA, 0x00, 0x0E, 0x04, 1, 0x00, 2, 0x00, 3, 0x00, 4, 0x00, 0x00, 0x3F, 0x00]);

        (int Code, int Length)[] dcCodes = CanonicalCodes(dcBits);
        var bits = new BitWriter(jpeg);
        var previous = new int[4];
        for (int by = 0; by < blocksHigh; by++)
        {
            for (int bx = 0; bx < blocksWide; bx++)
            {
                var (c0, c1, c2, c3) = stored(bx, by);
                int[] values = [c0, c1, c2, c3];
                for (int component = 0; component < 4; component++)
                {
                    // A flat block of sample s has DC coefficient 8 * (s - 128).
                    int dc = 8 * (values[component] - 128);
                    int diff = dc - previous[component];
                    previous[component] = dc;
                    int category = diff == 0 ? 0 : 32 - int.LeadingZeroCount(Math.Abs(diff));
                    bits.Write(dcCodes[category].Code, dcCodes[category].Length);
                    if (category > 0)
                    {
                        bits.Write(diff >= 0 ? diff : diff + (1 << category) - 1, category);
                    }
                    bits.Write(0, 1); // EOB
                }
            }
        }
        bits.Flush();
        jpeg.Write([0xFF, 0xD9]);
        return jpeg.ToArray();
    }

    /// <summary>Creates an RgbImage whose channel c at (x, y) is value(x, y, c).</summary>
    public static RgbImage Image(int width, int height, Func<int, int, int, float> value)
    {
        var image = new RgbImage(width, height);
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                for (int c = 0; c < 3; c++)
                {
                    image[x, y, c] = value(x, y, c);
                }
            }
        }
        return image;
    }

    private static (int Code, int Length)[] CanonicalCodes(byte[] bits)
    {
        var codes = new List<(int, int)>();
        int code = 0;
        for (int length = 1; length <= 16; length++)
        {
            for (int i = 0; i < bits[length - 1]; i++)
            {
                codes.Add((code++, length));
            }
            code <<= 1;
        }
        return codes.ToArray();
    }

    private static void WriteChunk(Stream png, string type, byte[] data)
    {
        var length = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        png.Write(length);
        byte[] typeAndData = [.. Encoding.ASCII.GetBytes(type), .. data];
        png.Write(typeAndData);
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32(typeAndData));
        png.Write(crc);
    }

    private static uint Crc32(byte[] data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? 0xEDB88320 ^ (crc >> 1) : crc >> 1;
            }
        }
        return ~crc;
    }

    /// <summary>JPEG entropy-coded bit writer: most significant bit first, 0xFF stuffed with 0x00, 1-padded.</summary>
    private sealed class BitWriter(Stream stream)
    {
        private int _buffer;
        private int _count;

        public void Write(int value, int length)
        {
            for (int i = length - 1; i >= 0; i--)
            {
                _buffer = (_buffer << 1) | ((value >> i) & 1);
                if (++_count == 8)
                {
                    Emit();
                }
            }
        }

        public void Flush()
        {
            while (_count != 0)
            {
                Write(1, 1);
            }
        }

        private void Emit()
        {
            stream.WriteByte((byte)_buffer);
            if (_buffer == 0xFF)
            {
                stream.WriteByte(0x00);
            }
            _buffer = 0;
            _count = 0;
        }
    }
}

/// <summary>A temporary folder deleted on dispose.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "facenet-imaging-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Write(string relativePath, byte[] bytes)
    {
        string full = System.IO.Path.Combine(Path, relativePath);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllBytes(full, bytes);
        return full;
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
