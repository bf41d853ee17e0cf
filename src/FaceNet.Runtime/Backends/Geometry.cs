namespace FaceNet.Runtime.Backends;

/// <summary>
/// Shape of a 2-D convolution over an NCHW batch. Output size is
/// <c>floor((H + 2 * PadH - KernelH) / StrideH) + 1</c>, likewise for the width.
/// </summary>
public readonly record struct Conv2dGeometry(
    int N, int InChannels, int H, int W,
    int OutChannels, int KernelH, int KernelW,
    int StrideH, int StrideW, int PadH, int PadW)
{
    /// <summary>Output height.</summary>
    public int OutH => (H + 2 * PadH - KernelH) / StrideH + 1;

    /// <summary>Output width.</summary>
    public int OutW => (W + 2 * PadW - KernelW) / StrideW + 1;

    /// <summary>Multiply-adds of the forward pass without the bias: one per weight per output position.</summary>
    public long MultiplyAdds => (long)N * OutChannels * OutH * OutW * InChannels * KernelH * KernelW;

    /// <summary>Throws when a size is not positive or the window does not fit the padded input.</summary>
    public void Validate(string operation)
    {
        if (N < 1 || InChannels < 1 || H < 1 || W < 1 || OutChannels < 1 || KernelH < 1 || KernelW < 1 ||
            StrideH < 1 || StrideW < 1 || PadH < 0 || PadW < 0)
        {
            throw new ArgumentException($"{operation}: invalid geometry {this}.");
        }
        if (H + 2 * PadH < KernelH || W + 2 * PadW < KernelW)
        {
            throw new ArgumentException(
                $"{operation}: kernel {KernelH}x{KernelW} is larger than the padded input " +
                $"{H + 2 * PadH}x{W + 2 * PadW}.");
        }
    }
}

/// <summary>Pooling window kinds.</summary>
public enum PoolKind
{
    /// <summary>Maximum over the window; padded cells never win.</summary>
    Max,

    /// <summary>
    /// Mean over the window, dividing by its extent inside the padded input, which is KernelH * KernelW
    /// except for a ceil-mode window that runs past the padding (Torch's default).
    /// </summary>
    Average,

    /// <summary>Square root of the sum of squares over the window; padded cells count as zero.</summary>
    L2,
}

/// <summary>
/// Shape of a pooling window over an NCHW batch. Output size is
/// <c>floor((H + 2 * PadH - KernelH) / StrideH) + 1</c>, or the ceiling when <see cref="CeilMode"/> is
/// set, in which case the last window must still start inside the input or its left padding (Torch's rule).
/// </summary>
public readonly record struct Pool2dGeometry(
    int N, int Channels, int H, int W,
    int KernelH, int KernelW, int StrideH, int StrideW, int PadH, int PadW, bool CeilMode = false)
{
    /// <summary>Output height.</summary>
    public int OutH => OutSize(H, KernelH, StrideH, PadH);

    /// <summary>Output width.</summary>
    public int OutW => OutSize(W, KernelW, StrideW, PadW);

    private int OutSize(int size, int kernel, int stride, int pad)
    {
        int span = size + 2 * pad - kernel;
        if (!CeilMode)
        {
            return span / stride + 1;
        }
        int outSize = (span + stride - 1) / stride + 1;
        if ((outSize - 1) * stride >= size + pad)
        {
            outSize--;
        }
        return outSize;
    }

    /// <summary>Throws when a size is not positive or the window does not fit the padded input.</summary>
    public void Validate(string operation)
    {
        if (N < 1 || Channels < 1 || H < 1 || W < 1 || KernelH < 1 || KernelW < 1 || StrideH < 1 || StrideW < 1 ||
            PadH < 0 || PadW < 0 || PadH >= KernelH || PadW >= KernelW)
        {
            throw new ArgumentException($"{operation}: invalid geometry {this}.");
        }
        if (H + 2 * PadH < KernelH || W + 2 * PadW < KernelW)
        {
            throw new ArgumentException(
                $"{operation}: window {KernelH}x{KernelW} is larger than the padded input " +
                $"{H + 2 * PadH}x{W + 2 * PadW}.");
        }
    }
}

/// <summary>
/// Local response normalisation across channels with Torch/Caffe semantics:
/// <c>y = x / (K + Alpha / Size * sum over the Size channels centred on c of x^2) ^ Beta</c>.
/// Alpha is divided by the window size.
/// </summary>
public readonly record struct LrnParameters(int Size, float Alpha, float Beta, float K)
{
    /// <summary>The setting of GoogLeNet and OpenFace nn4.small2: size 5, alpha 1e-4, beta 0.75, k 1.</summary>
    public static LrnParameters Default => new(5, 1e-4f, 0.75f, 1f);
}

/// <summary>How the fused semi-hard mining step picks a negative for one anchor-positive pair.</summary>
public enum NegativePolicy
{
    /// <summary>
    /// The closest negative with d_ap &lt; d_an &lt; d_ap + alpha; when none exists the pair contributes no triplet.
    /// </summary>
    SemiHardOrSkip,

    /// <summary>
    /// The closest semi-hard negative; when none exists, the farthest negative still inside the margin
    /// (d_an &lt;= d_ap, a hard negative); when none is inside the margin either, the pair is skipped.
    /// </summary>
    SemiHardOrHardest,
}

/// <summary>Totals of one triplet-loss evaluation; the loss is the mean over selected triplets (0 when none).</summary>
public readonly record struct TripletStats(
    float Loss, int Pairs, int Triplets, int ActiveTriplets, float MeanPositiveDistance,
    float MeanNegativeDistance, float MeanPairwiseDistance);
