namespace FaceNet.Runtime.Pretrained;

/// <summary>
/// One weight of a TensorFlow.js model, dequantised to float32 and still in TensorFlow's layout
/// (convolution filters <c>[KH, KW, Cin, Cout]</c>, dense weights <c>[In, Out]</c>).
/// </summary>
/// <param name="Name">The weight's name in the manifest, such as <c>conv32_down/conv/filters</c>.</param>
/// <param name="Shape">Dimensions in TensorFlow order; empty for a scalar.</param>
/// <param name="Values">Row-major values; int32 weights are converted to float.</param>
public sealed record TfjsTensor(string Name, int[] Shape, float[] Values)
{
    /// <summary>The shape as text, such as <c>[7, 7, 3, 32]</c>.</summary>
    public string ShapeText => "[" + string.Join(", ", Shape) + "]";

    /// <summary>Whether the shape equals <paramref name="expected"/>.</summary>
    public bool HasShape(ReadOnlySpan<int> expected) => Shape.AsSpan().SequenceEqual(expected);
}
