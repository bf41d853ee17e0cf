namespace FaceNet.Runtime.Pretrained;

/// <summary>
/// The 68 facial landmarks of the iBUG 300-W markup, in image pixels: jaw 0-16, eyebrows 17-26, nose 27-35,
/// image-left eye 36-41, image-right eye 42-47, mouth 48-67.
/// </summary>
public sealed class Landmarks68
{
    /// <summary>Number of points.</summary>
    public const int Count = 68;

    /// <summary>Number of points <see cref="AlignmentPoints"/> returns.</summary>
    public const int AlignmentPointCount = 5;

    private readonly (double X, double Y)[] _points;

    /// <summary>Wraps 68 points.</summary>
    /// <exception cref="ArgumentException">The list does not hold 68 points.</exception>
    public Landmarks68(IReadOnlyList<(double X, double Y)> points)
    {
        ArgumentNullException.ThrowIfNull(points);
        if (points.Count != Count)
        {
            throw new ArgumentException($"Expected {Count} landmarks, got {points.Count}.", nameof(points));
        }
        _points = points.ToArray();
    }

    /// <summary>The points, in markup order.</summary>
    public IReadOnlyList<(double X, double Y)> Points => _points;

    /// <summary>Point <paramref name="index"/>.</summary>
    public (double X, double Y) this[int index] => _points[index];

    /// <summary>
    /// The five points alignment uses: centre of points 36-41 (image-left eye), centre of 42-47 (image-right
    /// eye), 30 (nose tip), 48 and 54 (mouth corners, image-left then image-right).
    /// </summary>
    public (double X, double Y)[] AlignmentPoints() =>
    [
        Centre(36, 6),
        Centre(42, 6),
        _points[30],
        _points[48],
        _points[54],
    ];

    /// <summary>The landmarks moved by (dx, dy).</summary>
    public Landmarks68 Translate(double dx, double dy) =>
        new(_points.Select(p => (p.X + dx, p.Y + dy)).ToArray());

    private (double X, double Y) Centre(int first, int count)
    {
        double x = 0, y = 0;
        for (int i = first; i < first + count; i++)
        {
            x += _points[i].X;
            y += _points[i].Y;
        }
        return (x / count, y / count);
    }
}
