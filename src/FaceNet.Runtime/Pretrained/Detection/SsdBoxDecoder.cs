namespace FaceNet.Runtime.Pretrained;

/// <summary>
/// Decodes SSD box encodings against anchors with the TensorFlow Object Detection box coder that the
/// face-api SSD MobileNet v1 uses: encodings (ty, tx, th, tw) with scale factors 10, 10, 5, 5.
/// </summary>
public static class SsdBoxDecoder
{
    /// <summary>Divisor of the centre offsets ty and tx.</summary>
    public const double CentreScale = 10;

    /// <summary>Divisor of the log sizes th and tw.</summary>
    public const double SizeScale = 5;

    /// <summary>
    /// Decodes one box: for an anchor with centre (ya, xa) and size (ha, wa),
    /// <c>y = ty / 10 * ha + ya</c>, <c>x = tx / 10 * wa + xa</c>, <c>h = exp(th / 5) * ha</c>,
    /// <c>w = exp(tw / 5) * wa</c>, returned as edges in the anchors' unit (fractions of the square input).
    /// </summary>
    /// <param name="encoding">(ty, tx, th, tw).</param>
    /// <param name="anchor">(ymin, xmin, ymax, xmax).</param>
    public static FaceBox Decode(ReadOnlySpan<float> encoding, ReadOnlySpan<float> anchor)
    {
        if (encoding.Length != 4 || anchor.Length != 4)
        {
            throw new ArgumentException(
                $"SSD box decoding needs 4 encoding and 4 anchor values, got {encoding.Length} and {anchor.Length}.");
        }
        double anchorHeight = anchor[2] - anchor[0];
        double anchorWidth = anchor[3] - anchor[1];
        double anchorY = anchor[0] + anchorHeight / 2;
        double anchorX = anchor[1] + anchorWidth / 2;

        double centreY = encoding[0] / CentreScale * anchorHeight + anchorY;
        double centreX = encoding[1] / CentreScale * anchorWidth + anchorX;
        double halfHeight = Math.Exp(encoding[2] / SizeScale) * anchorHeight / 2;
        double halfWidth = Math.Exp(encoding[3] / SizeScale) * anchorWidth / 2;
        return new FaceBox(centreX - halfWidth, centreY - halfHeight, centreX + halfWidth, centreY + halfHeight);
    }

    /// <summary>
    /// Decodes every anchor and scores it with <c>sigmoid(logit of class 1)</c>, the face class of the
    /// three-way class prediction (background, face, unused).
    /// </summary>
    /// <param name="encodings">A x 4 box encodings.</param>
    /// <param name="anchors">A x 4 anchors.</param>
    /// <param name="classLogits">A x 3 class logits.</param>
    public static ScoredBox[] DecodeAll(ReadOnlySpan<float> encodings, ReadOnlySpan<float> anchors,
        ReadOnlySpan<float> classLogits)
    {
        int count = anchors.Length / 4;
        if (anchors.Length != count * 4 || encodings.Length != count * 4 || classLogits.Length != count * 3)
        {
            throw new ArgumentException(
                $"SSD decoding got {encodings.Length / 4.0} encodings, {anchors.Length / 4.0} anchors and " +
                $"{classLogits.Length / 3.0} class rows; pass 4, 4 and 3 values per anchor for the same anchors.");
        }
        var boxes = new ScoredBox[count];
        for (int i = 0; i < count; i++)
        {
            FaceBox box = Decode(encodings.Slice(i * 4, 4), anchors.Slice(i * 4, 4));
            boxes[i] = new ScoredBox(box, TinyFaceDecoder.Sigmoid(classLogits[i * 3 + 1]));
        }
        return boxes;
    }
}
