using FaceNet.Runtime.Imaging;
using SkiaSharp;

namespace FaceNet.Tests.Imaging;

public sealed class JpegColourAndOrientationTests
{
    // YCCK stores inverted CMY as YCbCr rounded to integers, so a channel may move by about one level.
    private const float YcckRounding = 1.5f;

    // Skia's quality-100 JPEG keeps flat 16x16 blocks within a few levels at their centres.
    private const float JpegBlockTolerance = 6f;

    private static readonly ImageDecoder Decoder = new();

    // Ink coverage (0 = none, 255 = full) for C, M, Y, K and the sRGB colour a correct conversion gives:
    // R = 255 * (1 - C/255) * (1 - K/255), and likewise G from M, B from Y.
    private static readonly (byte C, byte M, byte Y, byte K)[] Inks =
    [
        (255, 0, 0, 0), (0, 255, 0, 0), (0, 0, 255, 0), (0, 0, 0, 255),
        (0, 255, 255, 0), (0, 0, 0, 0), (0, 0, 0, 128), (51, 102, 153, 64),
    ];

    private static float ExpectedChannel(byte ink, byte black) => 255f * (1 - ink / 255f) * (1 - black / 255f);

    [Fact]
    public void Decode_AdobeCmykJpeg_ConvertsInkToRgb()
    {
        // Adobe (Photoshop) CMYK JPEGs store inverted ink: stored = 255 - ink.
        byte[] jpeg = TestImages.FourComponentJpeg(4, 2, adobeTransform: 0, (bx, by) =>
        {
            var ink = Inks[by * 4 + bx];
            return ((byte)(255 - ink.C), (byte)(255 - ink.M), (byte)(255 - ink.Y), (byte)(255 - ink.K));
        });

        RgbImage image = Decoder.Decode(jpeg, "cmyk.jpg");

        Assert.Equal(32, image.Width);
        Assert.Equal(16, image.Height);
        AssertBlocksMatchInks(image, tolerance: 1.01f);
    }

    [Fact]
    public void Decode_CmykWithoutAdobeMarker_AssumesInverted()
    {
        // Skia has no way to tell plain from inverted CMYK without the marker and assumes the Adobe
        // convention, which is what nearly all CMYK JPEGs in circulation use.
        byte[] jpeg = TestImages.FourComponentJpeg(4, 2, adobeTransform: null, (bx, by) =>
        {
            var ink = Inks[by * 4 + bx];
            return ((byte)(255 - ink.C), (byte)(255 - ink.M), (byte)(255 - ink.Y), (byte)(255 - ink.K));
        });

        RgbImage image = Decoder.Decode(jpeg, "cmyk-no-marker.jpg");

        AssertBlocksMatchInks(image, tolerance: 1.01f);
    }

    [Fact]
    public void Decode_AdobeYcckJpeg_ConvertsInkToRgb()
    {
        // YCCK: the inverted-CMY triple (255 - stored) is coded as YCbCr with the JFIF equations, K is stored
        // as in CMYK. With stored = 255 - ink that triple is the ink itself.
        byte[] jpeg = TestImages.FourComponentJpeg(4, 2, adobeTransform: 2, (bx, by) =>
        {
            var ink = Inks[by * 4 + bx];
            double r = ink.C, g = ink.M, b = ink.Y;
            double luma = 0.299 * r + 0.587 * g + 0.114 * b;
            double blueDifference = -0.168736 * r - 0.331264 * g + 0.5 * b + 128;
            double redDifference = 0.5 * r - 0.418688 * g - 0.081312 * b + 128;
            return (ToByte(luma), ToByte(blueDifference), ToByte(redDifference), (byte)(255 - ink.K));
        });

        RgbImage image = Decoder.Decode(jpeg, "ycck.jpg");

        Assert.Equal(32, image.Width);
        AssertBlocksMatchInks(image, YcckRounding);
    }

    private static byte ToByte(double value) => (byte)Math.Clamp(Math.Round(value), 0, 255);

    private static void AssertBlocksMatchInks(RgbImage image, float tolerance)
    {
        for (int block = 0; block < Inks.Length; block++)
        {
            var ink = Inks[block];
            int x = (block % 4) * 8 + 4, y = (block / 4) * 8 + 4;
            float[] expected = [ExpectedChannel(ink.C, ink.K), ExpectedChannel(ink.M, ink.K), ExpectedChannel(ink.Y, ink.K)];
            for (int c = 0; c < 3; c++)
            {
                Assert.InRange(image[x, y, c], expected[c] - tolerance, expected[c] + tolerance);
            }
        }
    }

    // A 3x2 grid of 16-pixel blocks (48x32), each a distinct colour, so every orientation is distinguishable.
    private static readonly (byte R, byte G, byte B)[] BlockColours =
    [
        (230, 20, 20), (20, 230, 20), (20, 20, 230), (230, 230, 20), (20, 230, 230), (230, 20, 230),
    ];

    private static (byte, byte, byte) UprightColour(int x, int y) => BlockColours[(y / 16) * 3 + x / 16];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(8)]
    public void Decode_ExifOrientation_MatchesUpright(int orientation)
    {
        const int uprightWidth = 48, uprightHeight = 32;
        bool swaps = orientation >= 5;
        int storedWidth = swaps ? uprightHeight : uprightWidth;
        int storedHeight = swaps ? uprightWidth : uprightHeight;

        // Build the stored pixels by the inverse of the EXIF rule: stored (sx, sy) contains the upright pixel
        // that a viewer shows at (ox, oy). Written out per tag from the TIFF/EXIF definitions of rows and columns.
        byte[] jpeg = TestImages.EncodeRgb(storedWidth, storedHeight, (sx, sy) =>
        {
            (int ox, int oy) = orientation switch
            {
                1 => (sx, sy),
                2 => (uprightWidth - 1 - sx, sy),               // column 0 is the visual right
                3 => (uprightWidth - 1 - sx, uprightHeight - 1 - sy),
                4 => (sx, uprightHeight - 1 - sy),              // row 0 is the visual bottom
                5 => (sy, sx),                                  // row 0 visual left, column 0 visual top
                6 => (uprightWidth - 1 - sy, sx),               // row 0 visual right, column 0 visual top
                7 => (uprightWidth - 1 - sy, uprightHeight - 1 - sx), // row 0 visual right, column 0 visual bottom
                _ => (sy, uprightHeight - 1 - sx),              // row 0 visual left, column 0 visual bottom
            };
            return UprightColour(ox, oy);
        }, SKEncodedImageFormat.Jpeg);

        RgbImage image = Decoder.Decode(TestImages.WithExifOrientation(jpeg, orientation), $"orientation-{orientation}.jpg");

        Assert.Equal(uprightWidth, image.Width);
        Assert.Equal(uprightHeight, image.Height);
        for (int block = 0; block < BlockColours.Length; block++)
        {
            int x = (block % 3) * 16 + 8, y = (block / 3) * 16 + 8;
            var (r, g, b) = BlockColours[block];
            Assert.InRange(image[x, y, 0], r - JpegBlockTolerance, r + JpegBlockTolerance);
            Assert.InRange(image[x, y, 1], g - JpegBlockTolerance, g + JpegBlockTolerance);
            Assert.InRange(image[x, y, 2], b - JpegBlockTolerance, b + JpegBlockTolerance);
        }
    }

    [Fact]
    public void Decode_OrientationDisabled_KeepsStoredLayout()
    {
        byte[] jpeg = TestImages.EncodeRgb(16, 32, (_, _) => (100, 100, 100), SKEncodedImageFormat.Jpeg);
        var decoder = new ImageDecoder(new ImageDecodeOptions { ApplyOrientation = false });

        RgbImage image = decoder.Decode(TestImages.WithExifOrientation(jpeg, 6), "rotated.jpg");

        Assert.Equal(16, image.Width);
        Assert.Equal(32, image.Height);
    }
}
