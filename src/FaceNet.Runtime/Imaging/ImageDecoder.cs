using System.Globalization;
using System.Runtime.InteropServices;
using SkiaSharp;

namespace FaceNet.Runtime.Imaging;

/// <summary>
/// Decodes image files into <see cref="RgbImage"/> (HWC, RGB, sRGB, 0..255 floats).
/// JPEG (including CMYK and YCCK), PNG (8 and 16 bit, grey, grey+alpha, palette, RGB, RGBA), GIF (first
/// frame), BMP, WebP and ICO go through SkiaSharp; PGM/PPM (P2, P3, P5, P6) through a built-in reader.
/// An instance keeps no state between calls and may be shared between threads.
/// </summary>
/// <remarks>
/// Rules applied to every image:
/// <list type="bullet">
/// <item>Embedded ICC profiles are converted to sRGB by Skia; images without one are taken as sRGB.</item>
/// <item>Alpha is composited over <see cref="ImageDecodeOptions.BackgroundLevel"/> from premultiplied
/// colour, <c>out = premultiplied + (1 - alpha) * background</c>, so colour hidden under alpha 0 never
/// reaches the output.</item>
/// <item>The EXIF orientation (1 to 8) is applied, so the result is upright; width and height swap for
/// orientations 5 to 8.</item>
/// <item>8-bit sources decode exactly to integers 0..255. 16-bit PNGs decode through half-precision
/// floats (about 11 significant bits), except that Skia reduces 16-bit greyscale to 8 bits first.</item>
/// </list>
/// Every failure is an <see cref="ImageDecodeException"/> naming the file, the problem and what to do.
/// </remarks>
public sealed class ImageDecoder
{
    /// <summary>Creates a decoder with the given options, or the defaults.</summary>
    public ImageDecoder(ImageDecodeOptions? options = null)
    {
        Options = options ?? new ImageDecodeOptions();
        if (Options.MaxPixels <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options),
                $"MaxPixels is {Options.MaxPixels}; it must be positive.");
        }
        if (!float.IsFinite(Options.BackgroundLevel) || Options.BackgroundLevel is < 0 or > 255)
        {
            throw new ArgumentOutOfRangeException(nameof(options),
                $"BackgroundLevel is {Options.BackgroundLevel}; it must be a grey level from 0 to 255.");
        }
    }

    /// <summary>The limits and rules in use.</summary>
    public ImageDecodeOptions Options { get; }

    /// <summary>Reads and decodes the file at <paramref name="path"/>.</summary>
    /// <exception cref="ImageDecodeException">Thrown when the file is missing, unreadable, empty, truncated,
    /// not an image, corrupt or larger than <see cref="ImageDecodeOptions.MaxPixels"/>.</exception>
    public RgbImage Decode(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (Directory.Exists(path))
        {
            // Reading a folder fails with "access denied" on Linux, which sends the user to the permissions.
            throw new ImageDecodeException(path, $"Image '{path}' is a folder, not an image file; pass an image file.");
        }
        byte[] data;
        try
        {
            data = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ImageDecodeException(path,
                $"Image '{path}' could not be read: {e.Message} Check the path and the file permissions.", e);
        }
        return Decode(data, path);
    }

    /// <summary>Decodes encoded image bytes; <paramref name="name"/> is used in error messages.</summary>
    /// <exception cref="ImageDecodeException">Thrown when the bytes are empty, truncated, not an image,
    /// corrupt or describe more than <see cref="ImageDecodeOptions.MaxPixels"/> pixels.</exception>
    public RgbImage Decode(ReadOnlySpan<byte> data, string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (data.IsEmpty)
        {
            throw new ImageDecodeException(name,
                $"Image '{name}' is empty (0 bytes); re-download it or remove it from the folder.");
        }
        if (NetpbmDecoder.HasSignature(data))
        {
            return NetpbmDecoder.Decode(data, name, Options.MaxPixels);
        }
        return DecodeWithSkia(data, name);
    }

    internal static void CheckPixelCount(string name, long width, long height, long maxPixels)
    {
        long pixels = width * height;
        if (pixels > maxPixels)
        {
            throw new ImageDecodeException(name,
                $"Image '{name}' is {width}x{height} ({Format(pixels)} pixels), above the limit of " +
                $"{Format(maxPixels)} pixels. Shrink it, or from C# raise " +
                $"{nameof(ImageDecodeOptions)}.{nameof(ImageDecodeOptions.MaxPixels)} (the facenet command keeps the limit).");
        }
    }

    internal static string Format(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private RgbImage DecodeWithSkia(ReadOnlySpan<byte> data, string name)
    {
        using var stream = new SKMemoryStream(data.ToArray());
        using SKCodec? codec = SKCodec.Create(stream, out SKCodecResult createResult);
        if (codec is null)
        {
            string? format = SniffFormat(data);
            if (format is null)
            {
                throw new ImageDecodeException(name,
                    $"Image '{name}' is not a supported image ({Format(data.Length)} bytes, starting with " +
                    $"{DescribeStart(data)}). Supported: JPEG, PNG, GIF, BMP, WebP, ICO, PGM and PPM. " +
                    "Convert it or remove it from the folder.");
            }
            throw createResult == SKCodecResult.IncompleteInput
                ? Truncated(name, data.Length)
                : new ImageDecodeException(name,
                    $"Image '{name}' starts like a {format} file but its header is invalid (decoder result " +
                    $"{createResult}); re-download it or remove it from the folder.");
        }

        SKImageInfo source = codec.Info;
        CheckPixelCount(name, source.Width, source.Height, Options.MaxPixels);

        // Skia reports 8-bit colour types for 16-bit PNGs, so the bit depth comes from the IHDR chunk.
        // NOTE: Skia 4.156.1 keeps only the high byte of 16-bit greyscale PNG samples, so those images are
        // off by up to one level; 16-bit RGB and RGBA keep about 11 bits.
        bool highBitDepth = IsSixteenBitPng(data);
        SKColorType target = highBitDepth ? SKColorType.RgbaF16 : SKColorType.Rgba8888;
        var info = new SKImageInfo(source.Width, source.Height, target, SKAlphaType.Premul,
            SKColorSpace.CreateSrgb());

        using var bitmap = new SKBitmap();
        if (!bitmap.TryAllocPixels(info))
        {
            throw new ImageDecodeException(name,
                $"Image '{name}' ({source.Width}x{source.Height}) failed to allocate {Format(info.BytesSize64)} " +
                $"bytes of pixel memory; free memory, or lower {nameof(ImageDecodeOptions.MaxPixels)} to " +
                "reject images this large.");
        }

        SKCodecResult result = codec.GetPixels(info, bitmap.GetPixels());
        switch (result)
        {
            case SKCodecResult.Success:
                break;
            case SKCodecResult.IncompleteInput:
                throw Truncated(name, data.Length);
            case SKCodecResult.ErrorInInput:
                throw new ImageDecodeException(name,
                    $"Image '{name}' is corrupt ({Format(data.Length)} bytes; the decoder found invalid data); " +
                    "re-download it or remove it from the folder.");
            default:
                throw new ImageDecodeException(name,
                    $"Image '{name}' could not be decoded (decoder result {result}, {source.ColorType} " +
                    $"{source.Width}x{source.Height}); convert it to 8-bit RGB JPEG or PNG.");
        }

        RgbImage composited = highBitDepth
            ? CompositeHalf(bitmap, Options.BackgroundLevel)
            : Composite8(bitmap, Options.BackgroundLevel);
        return Options.ApplyOrientation ? Orientation.Apply(composited, (int)codec.EncodedOrigin) : composited;
    }

    private static RgbImage Composite8(SKBitmap bitmap, float background)
    {
        var image = new RgbImage(bitmap.Width, bitmap.Height);
        ReadOnlySpan<byte> rgba = bitmap.GetPixelSpan();
        int rowBytes = bitmap.RowBytes;
        float[] pixels = image.Pixels;
        for (int y = 0; y < bitmap.Height; y++)
        {
            ReadOnlySpan<byte> row = rgba.Slice(y * rowBytes, bitmap.Width * 4);
            int output = y * bitmap.Width * 3;
            for (int x = 0; x < bitmap.Width; x++)
            {
                float uncovered = (255 - row[x * 4 + 3]) / 255f * background;
                pixels[output++] = row[x * 4] + uncovered;
                pixels[output++] = row[x * 4 + 1] + uncovered;
                pixels[output++] = row[x * 4 + 2] + uncovered;
            }
        }
        return image;
    }

    private static RgbImage CompositeHalf(SKBitmap bitmap, float background)
    {
        var image = new RgbImage(bitmap.Width, bitmap.Height);
        ReadOnlySpan<byte> bytes = bitmap.GetPixelSpan();
        int rowBytes = bitmap.RowBytes;
        float[] pixels = image.Pixels;
        for (int y = 0; y < bitmap.Height; y++)
        {
            ReadOnlySpan<Half> row = MemoryMarshal.Cast<byte, Half>(bytes.Slice(y * rowBytes, bitmap.Width * 8));
            int output = y * bitmap.Width * 3;
            for (int x = 0; x < bitmap.Width; x++)
            {
                float alpha = Math.Clamp((float)row[x * 4 + 3], 0f, 1f);
                float uncovered = (1f - alpha) * background;
                for (int c = 0; c < 3; c++)
                {
                    // Skia may return values slightly outside [0, 1] after colour conversion.
                    pixels[output++] = Math.Clamp((float)row[x * 4 + c], 0f, 1f) * 255f + uncovered;
                }
            }
        }
        return image;
    }

    private static ImageDecodeException Truncated(string name, int length) =>
        new(name, $"Image '{name}' is truncated after {Format(length)} bytes; " +
                  "re-download it or remove it from the folder.");

    /// <summary>Names the format whose signature starts <paramref name="data"/>, or null for none.</summary>
    private static string? SniffFormat(ReadOnlySpan<byte> data)
    {
        if (data.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8]))
        {
            return "JPEG";
        }
        if (data.StartsWith((ReadOnlySpan<byte>)[0x89, 0x50, 0x4E, 0x47]))
        {
            return "PNG";
        }
        if (data.StartsWith("GIF8"u8))
        {
            return "GIF";
        }
        if (data.StartsWith("BM"u8))
        {
            return "BMP";
        }
        if (data.StartsWith("RIFF"u8))
        {
            return "WebP";
        }
        return data.StartsWith((ReadOnlySpan<byte>)[0x00, 0x00, 0x01, 0x00]) ? "ICO" : null;
    }

    // PNG layout: 8-byte signature, then IHDR (length, "IHDR", width, height, bit depth at byte 24).
    private static bool IsSixteenBitPng(ReadOnlySpan<byte> data) =>
        data.Length > 24 && SniffFormat(data) == "PNG" && data.Slice(12, 4).SequenceEqual("IHDR"u8) && data[24] == 16;

    private static string DescribeStart(ReadOnlySpan<byte> data)
    {
        ReadOnlySpan<byte> head = data[..Math.Min(8, data.Length)];
        return "bytes " + Convert.ToHexString(head);
    }
}
