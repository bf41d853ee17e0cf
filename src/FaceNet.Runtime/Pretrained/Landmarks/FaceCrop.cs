namespace FaceNet.Runtime.Pretrained;

/// <summary>A whole-pixel face region inside an image, as face-api cuts it from a detection box.</summary>
/// <param name="Left">First column.</param>
/// <param name="Top">First row.</param>
/// <param name="Width">Columns.</param>
/// <param name="Height">Rows.</param>
public readonly record struct FaceCrop(int Left, int Top, int Width, int Height)
{
    /// <summary>
    /// Clips <paramref name="box"/> to an image of the given size and floors x, y, width and height, the
    /// face-api rule: <c>x = max(left, 0)</c>, <c>width = min(right - x, imageWidth - x)</c>, likewise for y.
    /// </summary>
    /// <returns>The crop, or null when nothing of the box is inside the image.</returns>
    public static FaceCrop? FromBox(FaceBox box, int imageWidth, int imageHeight)
    {
        double x = Math.Max(box.Left, 0), y = Math.Max(box.Top, 0);
        double width = Math.Min(box.Right - x, imageWidth - x);
        double height = Math.Min(box.Bottom - y, imageHeight - y);
        int left = (int)Math.Floor(x), top = (int)Math.Floor(y);
        int w = (int)Math.Floor(width), h = (int)Math.Floor(height);
        if (w <= 0 || h <= 0 || double.IsNaN(width) || double.IsNaN(height))
        {
            return null;
        }
        return new FaceCrop(left, top, Math.Min(w, imageWidth - left), Math.Min(h, imageHeight - top));
    }
}
