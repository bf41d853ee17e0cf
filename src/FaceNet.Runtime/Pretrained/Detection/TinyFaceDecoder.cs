namespace FaceNet.Runtime.Pretrained;

/// <summary>
/// Decodes the output grid of the tiny face detector, a YOLOv2-style head: every cell of a G x G grid has
/// one prediction per anchor, five numbers each (tx, ty, tw, th, objectness), and the face score is the
/// sigmoid of the objectness (there is a single class, so no softmax over classes).
/// </summary>
public static class TinyFaceDecoder
{
    /// <summary>Numbers per anchor: tx, ty, tw, th, objectness.</summary>
    public const int ValuesPerAnchor = 5;

    /// <summary>
    /// Anchor sizes (width, height) in grid cells of the face-api tiny face detector (package constants).
    /// </summary>
    public static IReadOnlyList<(double Width, double Height)> FaceAnchors { get; } =
    [
        (1.603231, 2.094468),
        (6.041143, 7.080126),
        (2.882459, 3.518061),
        (4.266906, 5.178857),
        (9.041765, 10.66308),
    ];

    /// <summary>
    /// Decodes every prediction whose score is above <paramref name="scoreThreshold"/>. For the cell at
    /// (row, col) and anchor a:
    /// <c>cx = (col + sigmoid(tx)) / G * fx</c>, <c>cy = (row + sigmoid(ty)) / G * fy</c>,
    /// <c>w = exp(tw) * anchorW / G * fx</c>, <c>h = exp(th) * anchorH / G * fy</c>, where fx and fy
    /// are <paramref name="correctionX"/> and <paramref name="correctionY"/>.
    /// </summary>
    /// <param name="output">The head's output of one image, planar (anchors * 5, G, G): channel a * 5 + k.</param>
    /// <param name="gridSize">G.</param>
    /// <param name="anchors">Anchor sizes in grid cells.</param>
    /// <param name="correctionX">Input side over the width the image occupies in the input (1 unless padded).</param>
    /// <param name="correctionY">Input side over the height the image occupies in the input.</param>
    /// <param name="scoreThreshold">Predictions with a score at or below this are dropped.</param>
    /// <returns>Boxes as fractions of the image's width and height, in cell-major order (row, col, anchor).</returns>
    /// <exception cref="ArgumentException">The output length is not anchors * 5 * G * G.</exception>
    public static List<ScoredBox> Decode(ReadOnlySpan<float> output, int gridSize,
        IReadOnlyList<(double Width, double Height)> anchors, double correctionX, double correctionY,
        double scoreThreshold)
    {
        ArgumentNullException.ThrowIfNull(anchors);
        int plane = gridSize * gridSize;
        if (output.Length != anchors.Count * ValuesPerAnchor * plane)
        {
            throw new ArgumentException(
                $"Tiny face detector output has {output.Length} values; a {gridSize}x{gridSize} grid with " +
                $"{anchors.Count} anchors needs {anchors.Count * ValuesPerAnchor * plane}.", nameof(output));
        }

        var boxes = new List<ScoredBox>();
        for (int row = 0; row < gridSize; row++)
        {
            for (int col = 0; col < gridSize; col++)
            {
                int cell = row * gridSize + col;
                for (int a = 0; a < anchors.Count; a++)
                {
                    int channel = a * ValuesPerAnchor;
                    double score = Sigmoid(output[(channel + 4) * plane + cell]);
                    if (!(score > scoreThreshold))
                    {
                        continue;
                    }
                    double centreX = (col + Sigmoid(output[channel * plane + cell])) / gridSize * correctionX;
                    double centreY = (row + Sigmoid(output[(channel + 1) * plane + cell])) / gridSize * correctionY;
                    double width = Math.Exp(output[(channel + 2) * plane + cell]) * anchors[a].Width / gridSize * correctionX;
                    double height = Math.Exp(output[(channel + 3) * plane + cell]) * anchors[a].Height / gridSize * correctionY;
                    double left = centreX - width / 2, top = centreY - height / 2;
                    boxes.Add(new ScoredBox(FaceBox.FromCorner(left, top, width, height), score));
                }
            }
        }
        return boxes;
    }

    /// <summary><c>1 / (1 + exp(-x))</c> in double precision.</summary>
    public static double Sigmoid(double x) => 1.0 / (1.0 + Math.Exp(-x));
}
