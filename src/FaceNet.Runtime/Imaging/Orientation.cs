namespace FaceNet.Runtime.Imaging;

/// <summary>Applies an EXIF orientation tag so that a stored image becomes upright.</summary>
internal static class Orientation
{
    /// <summary>
    /// Returns the upright image for EXIF orientation <paramref name="orientation"/> (1 to 8; anything else
    /// is treated as 1). Orientations 5 to 8 swap width and height.
    /// </summary>
    /// <remarks>
    /// Each upright pixel (ox, oy) reads stored pixel (sx, sy), with W and H the stored size:
    /// 1 (sx, sy) = (ox, oy); 2 mirror: (W-1-ox, oy); 3 rotate 180: (W-1-ox, H-1-oy); 4 flip: (ox, H-1-oy);
    /// 5 transpose: (oy, ox); 6 rotate 90 clockwise: (oy, H-1-ox); 7 transverse: (W-1-oy, H-1-ox);
    /// 8 rotate 90 counter-clockwise: (W-1-oy, ox).
    /// </remarks>
    public static RgbImage Apply(RgbImage stored, int orientation)
    {
        if (orientation is < 2 or > 8)
        {
            return stored;
        }

        int width = stored.Width;
        int height = stored.Height;
        bool swaps = orientation >= 5;
        var upright = swaps ? new RgbImage(height, width) : new RgbImage(width, height);
        float[] source = stored.Pixels;
        float[] target = upright.Pixels;
        for (int oy = 0; oy < upright.Height; oy++)
        {
            for (int ox = 0; ox < upright.Width; ox++)
            {
                (int sx, int sy) = orientation switch
                {
                    2 => (width - 1 - ox, oy),
                    3 => (width - 1 - ox, height - 1 - oy),
                    4 => (ox, height - 1 - oy),
                    5 => (oy, ox),
                    6 => (oy, height - 1 - ox),
                    7 => (width - 1 - oy, height - 1 - ox),
                    _ => (width - 1 - oy, ox),
                };
                int from = (sy * width + sx) * 3;
                int to = (oy * upright.Width + ox) * 3;
                target[to] = source[from];
                target[to + 1] = source[from + 1];
                target[to + 2] = source[from + 2];
            }
        }
        return upright;
    }
}
