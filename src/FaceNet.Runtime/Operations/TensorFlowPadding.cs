namespace FaceNet.Runtime.Operations;

/// <summary>The padding TensorFlow applies for its "SAME" and "VALID" convolution and pooling modes.</summary>
public static class TensorFlowPadding
{
    /// <summary>
    /// Zero cells before and after one axis for "SAME": the output size is <c>ceil(size / stride)</c>, the total
    /// padding is <c>max((out - 1) * stride + kernel - size, 0)</c>, and the odd cell goes after
    /// (bottom or right). For example size 150, kernel 3, stride 2 gives (0, 1).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive.</exception>
    public static (int Before, int After) Same(int size, int kernel, int stride)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(kernel, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(stride, 1);
        int output = (size + stride - 1) / stride;
        int total = Math.Max((output - 1) * stride + kernel - size, 0);
        return (total / 2, total - total / 2);
    }
}
