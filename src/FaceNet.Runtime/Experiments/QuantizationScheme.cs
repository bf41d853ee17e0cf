namespace FaceNet.Runtime.Experiments;

/// <summary>How <see cref="ByteQuantizer"/> chooses the value range that its 256 byte levels cover.</summary>
public enum QuantizationScheme
{
    /// <summary>
    /// One range, [-1, 1], for every dimension: the bound on any component of a unit vector. Needs no
    /// calibration, but a 128-d unit vector's components are mostly within +-0.3, so few levels are used.
    /// </summary>
    FixedUnit,

    /// <summary>One symmetric range [-c, c] for every dimension, with c the largest |value| in the calibration set.</summary>
    GlobalCalibrated,

    /// <summary>Each dimension's own [min, max] over the calibration set.</summary>
    PerDimension,
}
