namespace FaceNet.Runtime.Pretrained;

/// <summary>
/// An axis-aligned box given by its edges, in whatever unit the producer states (pixels of the decoded
/// image for the public API, fractions of the network input inside the decoders).
/// </summary>
/// <param name="Left">Smallest x.</param>
/// <param name="Top">Smallest y.</param>
/// <param name="Right">Largest x.</param>
/// <param name="Bottom">Largest y.</param>
public readonly record struct FaceBox(double Left, double Top, double Right, double Bottom)
{
    /// <summary>Right minus left.</summary>
    public double Width => Right - Left;

    /// <summary>Bottom minus top.</summary>
    public double Height => Bottom - Top;

    /// <summary>Width times height; 0 when either is negative.</summary>
    public double Area => Width > 0 && Height > 0 ? Width * Height : 0;

    /// <summary>Creates a box from its top-left corner and size.</summary>
    public static FaceBox FromCorner(double x, double y, double width, double height) =>
        new(x, y, x + width, y + height);

    /// <summary>The box with x multiplied by <paramref name="scaleX"/> and y by <paramref name="scaleY"/>.</summary>
    public FaceBox Scale(double scaleX, double scaleY) =>
        new(Left * scaleX, Top * scaleY, Right * scaleX, Bottom * scaleY);

    /// <summary>
    /// Intersection over union: <c>area(a ∩ b) / (area(a) + area(b) - area(a ∩ b))</c>, and 0 when either box
    /// has no area. Symmetric, in [0, 1].
    /// </summary>
    public double IntersectionOverUnion(FaceBox other)
    {
        double areaA = Area, areaB = other.Area;
        if (areaA <= 0 || areaB <= 0)
        {
            return 0;
        }
        double width = Math.Min(Right, other.Right) - Math.Max(Left, other.Left);
        double height = Math.Min(Bottom, other.Bottom) - Math.Max(Top, other.Top);
        double intersection = Math.Max(width, 0) * Math.Max(height, 0);
        return intersection / (areaA + areaB - intersection);
    }

    /// <inheritdoc />
    public override string ToString() =>
        FormattableString.Invariant($"[{Left:0.##}, {Top:0.##}, {Right:0.##}, {Bottom:0.##}]");
}
