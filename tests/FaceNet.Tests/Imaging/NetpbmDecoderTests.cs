using System.Text;
using FaceNet.Runtime.Imaging;

namespace FaceNet.Tests.Imaging;

public sealed class NetpbmDecoderTests
{
    private static readonly ImageDecoder Decoder = new();

    private static readonly int[] Samples8 = [0, 17, 255, 128, 3, 99];

    private static byte[] Binary(string header, IEnumerable<byte> body) => [.. Encoding.ASCII.GetBytes(header), .. body];

    private static void AssertGrey(RgbImage image, IReadOnlyList<float> expected)
    {
        Assert.Equal(3, image.Width);
        Assert.Equal(2, image.Height);
        for (int i = 0; i < expected.Count; i++)
        {
            for (int c = 0; c < 3; c++)
            {
                Assert.Equal(expected[i], image.Pixels[i * 3 + c], 0.001f);
            }
        }
    }

    [Fact]
    public void Decode_P5EightBit_ReturnsSamples()
    {
        byte[] pgm = Binary("P5\n# a comment\n3 2\n255\n", Samples8.Select(v => (byte)v));

        AssertGrey(Decoder.Decode(pgm, "p5.pgm"), Samples8.Select(v => (float)v).ToArray());
    }

    [Fact]
    public void Decode_P5SixteenBit_ScalesSamples()
    {
        int[] samples = [0, 1000, 65535, 32768, 4095, 12345];
        byte[] pgm = Binary("P5 3 2 65535\n", samples.SelectMany(v => new[] { (byte)(v >> 8), (byte)v }));

        AssertGrey(Decoder.Decode(pgm, "p5-16.pgm"), samples.Select(v => v * 255f / 65535f).ToArray());
    }

    [Fact]
    public void Decode_P5MaxValueBelow255_Scales()
    {
        byte[] pgm = Binary("P5 3 2 15\n", new byte[] { 0, 15, 5, 10, 1, 14 });

        AssertGrey(Decoder.Decode(pgm, "p5-15.pgm"), new[] { 0f, 255f, 85f, 170f, 17f, 238f });
    }

    [Fact]
    public void Decode_P2EightBit_ReturnsSamples()
    {
        byte[] pgm = Encoding.ASCII.GetBytes("P2\n3 2\n# comment line\n255\n0 17 255\n128 3 99\n");

        AssertGrey(Decoder.Decode(pgm, "p2.pgm"), Samples8.Select(v => (float)v).ToArray());
    }

    [Fact]
    public void Decode_P2SixteenBit_Scales()
    {
        byte[] pgm = Encoding.ASCII.GetBytes("P2 3 2 65535 0 1000 65535 32768 4095 12345");

        AssertGrey(Decoder.Decode(pgm, "p2-16.pgm"),
            new[] { 0, 1000, 65535, 32768, 4095, 12345 }.Select(v => v * 255f / 65535f).ToArray());
    }

    [Fact]
    public void Decode_P6_ReturnsRgb()
    {
        byte[] ppm = Binary("P6 1 1 255\n", new byte[] { 10, 20, 30 });

        RgbImage image = Decoder.Decode(ppm, "p6.ppm");

        Assert.Equal(new[] { 10f, 20f, 30f }, image.Pixels);
    }

    [Fact]
    public void Decode_TruncatedP5_ReportsByteCount()
    {
        byte[] pgm = Binary("P5 3 2 255\n", new byte[] { 1, 2, 3 });

        var error = Assert.Throws<ImageDecodeException>(() => Decoder.Decode(pgm, "short.pgm"));

        Assert.Contains("'short.pgm' is truncated after 14 bytes", error.Message);
    }

    [Fact]
    public void Decode_TruncatedP2_ReportsFile()
    {
        byte[] pgm = Encoding.ASCII.GetBytes("P2 3 2 255 1 2 3");

        var error = Assert.Throws<ImageDecodeException>(() => Decoder.Decode(pgm, "short-ascii.pgm"));

        Assert.Contains("'short-ascii.pgm' is truncated", error.Message);
    }

    [Fact]
    public void Decode_SampleAboveMaxValue_Rejects()
    {
        byte[] pgm = Encoding.ASCII.GetBytes("P2 1 1 100 101");

        var error = Assert.Throws<ImageDecodeException>(() => Decoder.Decode(pgm, "over.pgm"));

        Assert.Contains("sample value 101 above its maximum value 100", error.Message);
    }

    [Fact]
    public void Decode_BadHeader_Rejects()
    {
        byte[] pgm = Encoding.ASCII.GetBytes("P5 3 x 255\n");

        var error = Assert.Throws<ImageDecodeException>(() => Decoder.Decode(pgm, "bad-header.pgm"));

        Assert.Contains("'bad-header.pgm' has a missing or invalid height", error.Message);
    }
}
