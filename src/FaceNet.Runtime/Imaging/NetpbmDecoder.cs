using System.Globalization;

namespace FaceNet.Runtime.Imaging;

/// <summary>
/// Decodes Netpbm greyscale and colour maps: PGM (P5 binary, P2 ASCII) and PPM (P6 binary, P3 ASCII),
/// with a maximum value of 1 to 65535. Binary samples above 255 are two bytes, most significant first.
/// Samples are scaled to 0..255 by <c>v * 255 / maxval</c>.
/// </summary>
internal static class NetpbmDecoder
{
    /// <summary>True when the bytes start with a Netpbm magic number this decoder reads.</summary>
    public static bool HasSignature(ReadOnlySpan<byte> data) =>
        data.Length >= 2 && data[0] == (byte)'P' && data[1] is (byte)'2' or (byte)'3' or (byte)'5' or (byte)'6';

    public static RgbImage Decode(ReadOnlySpan<byte> data, string name, long maxPixels)
    {
        char kind = (char)data[1];
        bool ascii = kind is '2' or '3';
        int channels = kind is '3' or '6' ? 3 : 1;
        string format = channels == 1 ? "PGM" : "PPM";

        int position = 2;
        int width = ReadHeaderNumber(data, ref position, name, format, "width");
        int height = ReadHeaderNumber(data, ref position, name, format, "height");
        int maxValue = ReadHeaderNumber(data, ref position, name, format, "maximum value");
        if (width <= 0 || height <= 0 || maxValue is <= 0 or > 65535)
        {
            throw new ImageDecodeException(name,
                $"{format} image '{name}' has an invalid header (width {width}, height {height}, maximum value " +
                $"{maxValue}); the maximum value must be 1 to 65535 and the size positive. Re-export the image.");
        }
        ImageDecoder.CheckPixelCount(name, width, height, maxPixels);

        // Exactly one whitespace byte separates the header from binary samples.
        if (!ascii)
        {
            if (position >= data.Length || !IsWhitespace(data[position]))
            {
                throw Truncated(name, format, data.Length);
            }
            position++;
        }

        var image = new RgbImage(width, height);
        float scale = 255f / maxValue;
        long sampleCount = (long)width * height * channels;
        int bytesPerSample = maxValue > 255 ? 2 : 1;
        if (!ascii && data.Length - position < sampleCount * bytesPerSample)
        {
            throw Truncated(name, format, data.Length);
        }

        float[] pixels = image.Pixels;
        for (long i = 0; i < sampleCount; i++)
        {
            int sample;
            if (ascii)
            {
                if (!TryReadNumber(data, ref position, out sample))
                {
                    throw Truncated(name, format, data.Length);
                }
            }
            else if (bytesPerSample == 2)
            {
                sample = (data[position] << 8) | data[position + 1];
                position += 2;
            }
            else
            {
                sample = data[position++];
            }

            if (sample > maxValue)
            {
                throw new ImageDecodeException(name,
                    $"{format} image '{name}' has sample value {sample} above its maximum value {maxValue} " +
                    $"at sample {i}; the file is corrupt, re-export it or remove it from the folder.");
            }
            float value = sample * scale;
            if (channels == 1)
            {
                pixels[i * 3] = value;
                pixels[i * 3 + 1] = value;
                pixels[i * 3 + 2] = value;
            }
            else
            {
                pixels[i] = value;
            }
        }
        return image;
    }

    private static ImageDecodeException Truncated(string name, string format, int length) =>
        new(name, $"{format} image '{name}' is truncated after {length.ToString("N0", CultureInfo.InvariantCulture)} " +
                  "bytes; re-download it or remove it from the folder.");

    private static int ReadHeaderNumber(ReadOnlySpan<byte> data, ref int position, string name, string format,
        string field)
    {
        if (!TryReadNumber(data, ref position, out int value))
        {
            throw new ImageDecodeException(name,
                $"{format} image '{name}' has a missing or invalid {field} in its header; the file is truncated " +
                "or not a Netpbm image. Re-export it or remove it from the folder.");
        }
        return value;
    }

    /// <summary>Skips whitespace and '#' comments, then reads a decimal number (clamped below int.MaxValue).</summary>
    private static bool TryReadNumber(ReadOnlySpan<byte> data, ref int position, out int value)
    {
        value = 0;
        while (position < data.Length)
        {
            byte b = data[position];
            if (b == (byte)'#')
            {
                while (position < data.Length && data[position] != (byte)'\n' && data[position] != (byte)'\r')
                {
                    position++;
                }
            }
            else if (IsWhitespace(b))
            {
                position++;
            }
            else
            {
                break;
            }
        }

        int start = position;
        long number = 0;
        while (position < data.Length && data[position] is >= (byte)'0' and <= (byte)'9')
        {
            number = Math.Min(number * 10 + (data[position] - '0'), int.MaxValue);
            position++;
        }
        if (position == start)
        {
            return false;
        }
        value = (int)number;
        return true;
    }

    private static bool IsWhitespace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r' or 0x0B or 0x0C;
}
