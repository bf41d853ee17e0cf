namespace FaceNet.Runtime.Pretrained;

/// <summary>
/// A 2-D similarity transform (rotation, uniform scale, translation, no reflection):
/// <c>x' = a * x - b * y + tx</c>, <c>y' = b * x + a * y + ty</c>, where <c>a = s cos θ</c> and <c>b = s sin θ</c>.
/// </summary>
/// <param name="A">s cos θ.</param>
/// <param name="B">s sin θ.</param>
/// <param name="TranslateX">tx.</param>
/// <param name="TranslateY">ty.</param>
public readonly record struct SimilarityTransform(double A, double B, double TranslateX, double TranslateY)
{
    /// <summary>The scale factor s.</summary>
    public double Scale => Math.Sqrt(A * A + B * B);

    /// <summary>The rotation θ in radians, counter-clockwise in a y-up frame (clockwise on an image).</summary>
    public double Rotation => Math.Atan2(B, A);

    /// <summary>Maps a point.</summary>
    public (double X, double Y) Apply(double x, double y) =>
        (A * x - B * y + TranslateX, B * x + A * y + TranslateY);

    /// <summary>The inverse transform.</summary>
    /// <exception cref="InvalidOperationException">The scale is zero.</exception>
    public SimilarityTransform Inverse()
    {
        double norm = A * A + B * B;
        if (norm == 0)
        {
            throw new InvalidOperationException("A similarity transform with scale 0 has no inverse.");
        }
        double a = A / norm, b = -B / norm;
        return new SimilarityTransform(a, b, -(a * TranslateX - b * TranslateY), -(b * TranslateX + a * TranslateY));
    }

    /// <summary>
    /// The least-squares similarity transform mapping <paramref name="source"/> onto <paramref name="target"/>:
    /// it minimises <c>sum |T(source_i) - target_i|^2</c> over rotations, uniform scales and translations.
    /// This is Umeyama's estimate with reflections excluded; in two dimensions it has the closed form
    /// <c>a = sum(u·v) / sum|u|^2</c>, <c>b = sum(u × v) / sum|u|^2</c> over the centred points u (source)
    /// and v (target), and the translation maps the source centroid onto the target centroid.
    /// </summary>
    /// <exception cref="ArgumentException">The lists differ in length, hold fewer than two points, or the
    /// source points all coincide.</exception>
    public static SimilarityTransform Estimate(IReadOnlyList<(double X, double Y)> source,
        IReadOnlyList<(double X, double Y)> target)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        if (source.Count != target.Count || source.Count < 2)
        {
            throw new ArgumentException(
                $"A similarity transform needs at least two point pairs, got {source.Count} source and " +
                $"{target.Count} target points.", nameof(target));
        }
        int n = source.Count;
        double sx = 0, sy = 0, tx = 0, ty = 0;
        for (int i = 0; i < n; i++)
        {
            sx += source[i].X;
            sy += source[i].Y;
            tx += target[i].X;
            ty += target[i].Y;
        }
        sx /= n;
        sy /= n;
        tx /= n;
        ty /= n;

        double dot = 0, cross = 0, variance = 0;
        for (int i = 0; i < n; i++)
        {
            double ux = source[i].X - sx, uy = source[i].Y - sy;
            double vx = target[i].X - tx, vy = target[i].Y - ty;
            dot += ux * vx + uy * vy;
            cross += ux * vy - uy * vx;
            variance += ux * ux + uy * uy;
        }
        if (variance <= 0)
        {
            throw new ArgumentException("The source points all coincide, so no similarity transform fits them.",
                nameof(source));
        }
        double a = dot / variance, b = cross / variance;
        return new SimilarityTransform(a, b, tx - (a * sx - b * sy), ty - (b * sx + a * sy));
    }
}
