using System.Text.Json.Serialization;

namespace FaceNet.Runtime.Imaging;

/// <summary>How the region fed to the resize is chosen.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<CropMode>))]
public enum CropMode
{
    /// <summary>The whole image is resized.</summary>
    None,

    /// <summary>A centred region covering <see cref="Preprocessing.CropFraction"/> of each side is resized.</summary>
    Center,
}

/// <summary>Resampling filter used to reach the network input size.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ResizeFilter>))]
public enum ResizeFilter
{
    /// <summary>Nearest neighbour, sampling at pixel centres.</summary>
    Nearest,

    /// <summary>Bilinear interpolation with half-pixel centres and edge clamping, no anti-aliasing.</summary>
    Bilinear,

    /// <summary>Area averaging: each output pixel is the overlap-weighted mean of the source pixels it covers.</summary>
    Area,
}

/// <summary>Order of the colour planes in the network input.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ChannelOrder>))]
public enum ChannelOrder
{
    /// <summary>Plane 0 red, 1 green, 2 blue.</summary>
    Rgb,

    /// <summary>Plane 0 blue, 1 green, 2 red.</summary>
    Bgr,
}

/// <summary>How pixel values (0..255) become network input values.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<NormalizationMode>))]
public enum NormalizationMode
{
    /// <summary>
    /// Per-image standardisation over all C*H*W values: <c>(x - mean) / max(std, 1 / sqrt(C*H*W))</c>,
    /// with the population standard deviation, computed on the 0..255 scale.
    /// </summary>
    PerImageStandardization,

    /// <summary>Fixed affine map <c>(x - Mean) * Scale</c>; Mean 0 and Scale 1/255 gives [0, 1].</summary>
    FixedMeanScale,
}
