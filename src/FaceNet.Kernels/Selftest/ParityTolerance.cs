namespace FaceNet.Kernels.Selftest;

/// <summary>
/// Element-wise tolerance of a parity check: a value passes when <c>|candidate - reference| &lt;= Absolute +
/// Relative * |reference|</c>.
/// </summary>
/// <param name="Name">Short name that says where the differences come from, e.g. <c>reduction</c>.</param>
/// <param name="Absolute">Absolute part.</param>
/// <param name="Relative">Part proportional to the reference value.</param>
public readonly record struct ParityTolerance(string Name, float Absolute, float Relative)
{
    /// <summary>Bit-identical: the kernel does the same single float operation (or none) per element.</summary>
    public static ParityTolerance Exact { get; } = new("exact", 0f, 0f);

    /// <summary>
    /// One or two float operations per element; either side may contract a multiply-add into an FMA, which
    /// rounds once instead of twice.
    /// </summary>
    public static ParityTolerance Elementwise { get; } = new("elementwise", 1e-6f, 2e-6f);

    /// <summary>
    /// Sums of up to a few hundred products of values in [-1, 1], added in tile order on one side and in
    /// another order on the other. Each order's rounding error grows with sqrt(terms).
    /// </summary>
    public static ParityTolerance Reduction { get; } = new("reduction", 1e-4f, 1e-4f);

    /// <summary>Sums of about a thousand products.</summary>
    public static ParityTolerance LongReduction { get; } = new("long reduction", 3e-4f, 1e-4f);

    /// <summary>
    /// Statistics over whole channels or rows followed by a division by the standard deviation or the norm,
    /// which amplifies the reduction error by about 2.
    /// </summary>
    public static ParityTolerance Statistics { get; } = new("statistics", 2e-4f, 2e-4f);

    /// <summary>powf, sqrtf and expf, whose device and libm results may differ by an ulp.</summary>
    public static ParityTolerance Transcendental { get; } = new("transcendental", 2e-6f, 1e-5f);

    /// <summary>Whether <paramref name="candidate"/> is within the tolerance of <paramref name="reference"/>.</summary>
    public bool Accepts(float reference, float candidate)
    {
        if (float.IsNaN(reference) || float.IsNaN(candidate))
        {
            return float.IsNaN(reference) && float.IsNaN(candidate);
        }
        return Math.Abs((double)reference - candidate) <= Absolute + Relative * Math.Abs((double)reference);
    }
}
