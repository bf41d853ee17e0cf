namespace FaceNet.Runtime.Pretrained;

/// <summary>
/// Converts TensorFlow weight layouts to this engine's: convolution filters from <c>[KH, KW, Cin, Cout]</c>
/// (HWIO) to <c>[Cout, Cin, KH, KW]</c> (OIHW), depthwise filters from <c>[KH, KW, C, 1]</c> to
/// <c>[C, 1, KH, KW]</c>, and dense weights from <c>[In, Out]</c> to <c>[Out, In]</c>.
/// </summary>
public static class TfLayout
{
    /// <summary>Converts an HWIO convolution filter to OIHW.</summary>
    /// <exception cref="InvalidDataException">The tensor is not rank 4.</exception>
    public static float[] ConvolutionFilter(TfjsTensor filter)
    {
        RequireRank(filter, 4, "[KH, KW, Cin, Cout]");
        int kh = filter.Shape[0], kw = filter.Shape[1], cin = filter.Shape[2], cout = filter.Shape[3];
        float[] source = filter.Values;
        var result = new float[source.Length];
        for (int y = 0; y < kh; y++)
        {
            for (int x = 0; x < kw; x++)
            {
                for (int i = 0; i < cin; i++)
                {
                    int from = ((y * kw + x) * cin + i) * cout;
                    for (int o = 0; o < cout; o++)
                    {
                        result[((o * cin + i) * kh + y) * kw + x] = source[from + o];
                    }
                }
            }
        }
        return result;
    }

    /// <summary>Converts a depthwise filter <c>[KH, KW, C, 1]</c> to <c>[C, 1, KH, KW]</c>.</summary>
    /// <exception cref="InvalidDataException">The tensor is not rank 4 or its channel multiplier is not 1.</exception>
    public static float[] DepthwiseFilter(TfjsTensor filter)
    {
        RequireRank(filter, 4, "[KH, KW, C, 1]");
        if (filter.Shape[3] != 1)
        {
            throw new InvalidDataException(
                $"Depthwise filter '{filter.Name}' {filter.ShapeText} has channel multiplier {filter.Shape[3]}; " +
                "only 1 is supported.");
        }
        int kh = filter.Shape[0], kw = filter.Shape[1], channels = filter.Shape[2];
        var result = new float[filter.Values.Length];
        for (int y = 0; y < kh; y++)
        {
            for (int x = 0; x < kw; x++)
            {
                for (int c = 0; c < channels; c++)
                {
                    result[(c * kh + y) * kw + x] = filter.Values[(y * kw + x) * channels + c];
                }
            }
        }
        return result;
    }

    /// <summary>Converts a dense weight <c>[In, Out]</c> to <c>[Out, In]</c>.</summary>
    /// <exception cref="InvalidDataException">The tensor is not rank 2.</exception>
    public static float[] DenseWeight(TfjsTensor weight)
    {
        RequireRank(weight, 2, "[In, Out]");
        int inputs = weight.Shape[0], outputs = weight.Shape[1];
        var result = new float[weight.Values.Length];
        for (int i = 0; i < inputs; i++)
        {
            for (int o = 0; o < outputs; o++)
            {
                result[o * inputs + i] = weight.Values[i * outputs + o];
            }
        }
        return result;
    }

    private static void RequireRank(TfjsTensor tensor, int rank, string layout)
    {
        if (tensor.Shape.Length != rank)
        {
            throw new InvalidDataException(
                $"Weight '{tensor.Name}' has shape {tensor.ShapeText}; expected {layout}.");
        }
    }
}
