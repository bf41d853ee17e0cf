namespace FaceNet.Runtime.Experiments;

/// <summary>
/// Quantises each embedding component to one byte with a per-dimension affine map:
/// <c>q = clamp(round((x - Offset[d]) / Step[d]), 0, 255)</c> and <c>x' = Offset[d] + Step[d] * q</c>.
/// A value inside [Offset, Offset + 255 * Step] comes back within Step / 2 of itself. A value outside
/// that range saturates to its nearest end. A 128-d embedding then takes 128 bytes.
/// </summary>
public sealed class ByteQuantizer
{
    /// <summary>Highest byte level; levels run from 0 to 255.</summary>
    public const int MaxLevel = 255;

    private readonly float[] _offsets;
    private readonly float[] _steps;

    /// <summary>Wraps per-dimension offsets (the value of level 0) and steps (the value between two levels).</summary>
    /// <exception cref="ArgumentException">The arrays differ in length, are empty, or a value is not finite, or a
    /// step is not positive.</exception>
    public ByteQuantizer(float[] offsets, float[] steps)
    {
        ArgumentNullException.ThrowIfNull(offsets);
        ArgumentNullException.ThrowIfNull(steps);
        if (offsets.Length != steps.Length || offsets.Length == 0)
        {
            throw new ArgumentException(
                $"ByteQuantizer needs one offset and one step per dimension; got {offsets.Length} offsets and " +
                $"{steps.Length} steps.", nameof(steps));
        }
        for (int d = 0; d < steps.Length; d++)
        {
            if (!float.IsFinite(offsets[d]) || !float.IsFinite(steps[d]) || steps[d] <= 0)
            {
                throw new ArgumentException(
                    $"ByteQuantizer dimension {d} has offset {offsets[d]} and step {steps[d]}; both must be finite " +
                    "and the step positive.", nameof(steps));
            }
        }
        _offsets = (float[])offsets.Clone();
        _steps = (float[])steps.Clone();
    }

    /// <summary>Embedding dimension.</summary>
    public int Dimension => _offsets.Length;

    /// <summary>Value of level 0, per dimension.</summary>
    public IReadOnlyList<float> Offsets => _offsets;

    /// <summary>Value between two adjacent levels, per dimension.</summary>
    public IReadOnlyList<float> Steps => _steps;

    /// <summary>The <see cref="QuantizationScheme.FixedUnit"/> quantiser: [-1, 1] in every dimension.</summary>
    public static ByteQuantizer FixedUnit(int dimension) => Symmetric(dimension, 1f);

    /// <summary>
    /// Fits a quantiser of the given scheme to calibration embeddings (for example embeddings of training
    /// images). A dimension whose calibration values are all equal gets a tiny range around that value.
    /// </summary>
    /// <exception cref="ArgumentException">The calibration set is empty, its vectors differ in length, or a value
    /// is not finite.</exception>
    public static ByteQuantizer Fit(QuantizationScheme scheme, IReadOnlyList<float[]> calibration)
    {
        ArgumentNullException.ThrowIfNull(calibration);
        if (calibration.Count == 0)
        {
            throw new ArgumentException("ByteQuantizer.Fit needs at least one calibration embedding.", nameof(calibration));
        }
        int dimension = calibration[0].Length;
        var minimum = new float[dimension];
        var maximum = new float[dimension];
        Array.Fill(minimum, float.PositiveInfinity);
        Array.Fill(maximum, float.NegativeInfinity);
        for (int i = 0; i < calibration.Count; i++)
        {
            float[] vector = calibration[i];
            if (vector.Length != dimension)
            {
                throw new ArgumentException(
                    $"Calibration embedding {i} has {vector.Length} dimensions but embedding 0 has {dimension}.",
                    nameof(calibration));
            }
            for (int d = 0; d < dimension; d++)
            {
                float value = vector[d];
                if (!float.IsFinite(value))
                {
                    throw new ArgumentException(
                        $"Calibration embedding {i} has the non-finite value {value} in dimension {d}.", nameof(calibration));
                }
                minimum[d] = Math.Min(minimum[d], value);
                maximum[d] = Math.Max(maximum[d], value);
            }
        }

        switch (scheme)
        {
            case QuantizationScheme.FixedUnit:
                return FixedUnit(dimension);
            case QuantizationScheme.GlobalCalibrated:
                float bound = 0f;
                for (int d = 0; d < dimension; d++)
                {
                    bound = Math.Max(bound, Math.Max(Math.Abs(minimum[d]), Math.Abs(maximum[d])));
                }
                return Symmetric(dimension, Math.Max(bound, MinimumRange));
            case QuantizationScheme.PerDimension:
                var offsets = new float[dimension];
                var steps = new float[dimension];
                for (int d = 0; d < dimension; d++)
                {
                    float range = Math.Max(maximum[d] - minimum[d], MinimumRange);
                    offsets[d] = minimum[d];
                    steps[d] = range / MaxLevel;
                }
                return new ByteQuantizer(offsets, steps);
            default:
                throw new ArgumentOutOfRangeException(nameof(scheme), scheme, "Unknown quantisation scheme.");
        }
    }

    // A zero range would make the step 0; this keeps it positive and far below any useful resolution.
    private const float MinimumRange = 1e-6f;

    private static ByteQuantizer Symmetric(int dimension, float bound)
    {
        var offsets = new float[dimension];
        var steps = new float[dimension];
        Array.Fill(offsets, -bound);
        Array.Fill(steps, 2f * bound / MaxLevel);
        return new ByteQuantizer(offsets, steps);
    }

    /// <summary>Quantises one embedding; values outside a dimension's range saturate at level 0 or 255.</summary>
    /// <exception cref="ArgumentException">The vector's length is not <see cref="Dimension"/>.</exception>
    public byte[] Quantize(ReadOnlySpan<float> vector)
    {
        RequireDimension(vector.Length, "Quantize");
        var codes = new byte[vector.Length];
        for (int d = 0; d < vector.Length; d++)
        {
            // Math.Clamp passes NaN through and a NaN cast to byte is unspecified, so NaN maps to level 0.
            double level = Level(vector[d], d);
            codes[d] = double.IsNaN(level) ? (byte)0 : (byte)Math.Clamp(level, 0, MaxLevel);
        }
        return codes;
    }

    /// <summary>The nearest level before clamping: outside 0 to 255 means the value saturates.</summary>
    private double Level(float value, int d) =>
        Math.Round((value - _offsets[d]) / (double)_steps[d], MidpointRounding.AwayFromZero);

    /// <summary>Maps byte levels back to values: <c>Offset[d] + Step[d] * q[d]</c>.</summary>
    /// <exception cref="ArgumentException">The code's length is not <see cref="Dimension"/>.</exception>
    public float[] Dequantize(ReadOnlySpan<byte> codes)
    {
        RequireDimension(codes.Length, "Dequantize");
        var vector = new float[codes.Length];
        for (int d = 0; d < codes.Length; d++)
        {
            vector[d] = _offsets[d] + _steps[d] * codes[d];
        }
        return vector;
    }

    /// <summary>Quantises and dequantises: the vector a reader of the byte codes would see.</summary>
    public float[] RoundTrip(ReadOnlySpan<float> vector) => Dequantize(Quantize(vector));

    /// <summary>Fraction of the values whose nearest level lies outside 0 to 255, so that they saturate.</summary>
    public double SaturatedFraction(IReadOnlyList<float[]> vectors)
    {
        ArgumentNullException.ThrowIfNull(vectors);
        long outside = 0, total = 0;
        foreach (float[] vector in vectors)
        {
            RequireDimension(vector.Length, "SaturatedFraction");
            for (int d = 0; d < vector.Length; d++)
            {
                double level = Level(vector[d], d);
                if (level < 0 || level > MaxLevel)
                {
                    outside++;
                }
                total++;
            }
        }
        return total == 0 ? 0 : (double)outside / total;
    }

    private void RequireDimension(int length, string operation)
    {
        if (length != Dimension)
        {
            throw new ArgumentException(
                $"ByteQuantizer.{operation}: the vector has {length} values but the quantiser has {Dimension} " +
                "dimensions; fit a quantiser for this model's embedding size.");
        }
    }
}
