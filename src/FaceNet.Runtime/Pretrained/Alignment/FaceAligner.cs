using FaceNet.Runtime.Imaging;

namespace FaceNet.Runtime.Pretrained;

/// <summary>
/// Aligns a face to a canonical square crop: fits a similarity transform from five landmarks (the two eye
/// centres, the nose tip and the two mouth corners) to fixed template positions, then resamples the image
/// through the inverse transform with bilinear interpolation.
/// </summary>
/// <remarks>
/// Coordinates follow the pixel-index convention of the detectors and the landmark network: pixel (x, y)
/// has its centre at (x, y). Samples outside the image read as black (0), the value the face-api networks
/// pad with.
/// </remarks>
public sealed class FaceAligner
{
    /// <summary>Side of the recognition network's input.</summary>
    public const int DefaultSize = 150;

    /// <summary>
    /// Template positions in a 150 x 150 crop, in the order of <see cref="Landmarks68.AlignmentPoints"/>:
    /// image-left eye centre, image-right eye centre, nose tip, image-left mouth corner, image-right mouth
    /// corner. The eyes are 51.5 px apart and 57 px above the mouth corners.
    /// </summary>
    /// <remarks>
    /// NOTE: the values start from the mean positions of these points over 171 LFW faces, cropped the way
    /// face-api feeds its recognition network: the landmarks' bounding box grown by 10 % on each side, padded
    /// to a square and resized to 150. The means were made left-right symmetric and moved 8 px down. On LFW fold 1 (600 pairs,
    /// tiny detector, best threshold on the fold) that scored 98.67 % against 98.33 % unmoved, a difference of
    /// two pairs, so the shift is a measured preference rather than a proven gain.
    /// </remarks>
    public static IReadOnlyList<(double X, double Y)> DefaultTemplate { get; } =
    [
        (49.3, 44.0),
        (100.8, 44.0),
        (75.1, 75.9),
        (53.9, 101.3),
        (98.9, 101.3),
    ];

    /// <summary>Creates an aligner with the given output side and template (in output pixels).</summary>
    /// <exception cref="ArgumentException">The template does not hold five points or the size is not positive.</exception>
    public FaceAligner(int size = DefaultSize, IReadOnlyList<(double X, double Y)>? template = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        template ??= DefaultTemplate.Select(p => (p.X * size / DefaultSize, p.Y * size / DefaultSize)).ToArray();
        if (template.Count != Landmarks68.AlignmentPointCount)
        {
            throw new ArgumentException(
                $"The alignment template has {template.Count} points; it needs {Landmarks68.AlignmentPointCount} " +
                "(eye centres, nose tip, mouth corners).", nameof(template));
        }
        Size = size;
        Template = template;
    }

    /// <summary>Side of the aligned crop in pixels.</summary>
    public int Size { get; }

    /// <summary>Target positions of the five alignment points, in crop pixels.</summary>
    public IReadOnlyList<(double X, double Y)> Template { get; }

    /// <summary>The transform from image pixels to crop pixels that best maps the landmarks onto the template.</summary>
    public SimilarityTransform FitTransform(Landmarks68 landmarks)
    {
        ArgumentNullException.ThrowIfNull(landmarks);
        return SimilarityTransform.Estimate(landmarks.AlignmentPoints(), Template);
    }

    /// <summary>Aligns one face: fits the transform and warps the image into a <see cref="Size"/>-square crop.</summary>
    public RgbImage Align(RgbImage image, Landmarks68 landmarks) => Warp(image, FitTransform(landmarks), Size);

    /// <summary>
    /// Resamples <paramref name="image"/> into a size x size crop: crop pixel (u, v) takes the bilinear sample at
    /// <c>imageToCrop⁻¹(u, v)</c>, and black where that falls outside the image.
    /// </summary>
    public static RgbImage Warp(RgbImage image, SimilarityTransform imageToCrop, int size)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        SimilarityTransform cropToImage = imageToCrop.Inverse();
        var output = new RgbImage(size, size);
        float[] source = image.Pixels;
        float[] target = output.Pixels;
        for (int v = 0; v < size; v++)
        {
            for (int u = 0; u < size; u++)
            {
                (double x, double y) = cropToImage.Apply(u, v);
                int x0 = (int)Math.Floor(x), y0 = (int)Math.Floor(y);
                double fx = x - x0, fy = y - y0;
                int offset = (v * size + u) * RgbImage.Channels;
                for (int c = 0; c < RgbImage.Channels; c++)
                {
                    double top = Sample(image, source, x0, y0, c) * (1 - fx) + Sample(image, source, x0 + 1, y0, c) * fx;
                    double bottom = Sample(image, source, x0, y0 + 1, c) * (1 - fx) +
                        Sample(image, source, x0 + 1, y0 + 1, c) * fx;
                    target[offset + c] = (float)(top * (1 - fy) + bottom * fy);
                }
            }
        }
        return output;
    }

    private static double Sample(RgbImage image, float[] pixels, int x, int y, int channel) =>
        x < 0 || y < 0 || x >= image.Width || y >= image.Height
            ? 0
            : pixels[(y * image.Width + x) * RgbImage.Channels + channel];
}
