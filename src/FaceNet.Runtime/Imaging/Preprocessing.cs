using System.Text.Json;
using System.Text.Json.Serialization;

namespace FaceNet.Runtime.Imaging;

/// <summary>
/// The preprocessing contract of a model: how a decoded <see cref="RgbImage"/> (0..255, RGB, upright)
/// becomes one CHW float sample. It is stored with the model, because a model only works on input
/// prepared the way it was trained. Steps, in order: crop, resize to
/// <see cref="InputHeight"/> x <see cref="InputWidth"/>, normalise, write the planes in
/// <see cref="ChannelOrder"/>.
/// </summary>
public sealed record Preprocessing
{
    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    /// <summary>Network input height in pixels.</summary>
    public required int InputHeight { get; init; }

    /// <summary>Network input width in pixels.</summary>
    public required int InputWidth { get; init; }

    /// <summary>Crop rule applied before the resize.</summary>
    public CropMode Crop { get; init; } = CropMode.None;

    /// <summary>
    /// For <see cref="CropMode.Center"/>: the kept fraction of each side, in (0, 1]. The crop is
    /// <c>max(1, round(f * W))</c> by <c>max(1, round(f * H))</c> pixels (rounding half away from zero),
    /// starting at <c>floor((W - cropW) / 2)</c>, <c>floor((H - cropH) / 2)</c>. Ignored for
    /// <see cref="CropMode.None"/>.
    /// </summary>
    public double CropFraction { get; init; } = 1.0;

    /// <summary>Resampling filter.</summary>
    public ResizeFilter Filter { get; init; } = ResizeFilter.Bilinear;

    /// <summary>Plane order of the output.</summary>
    public ChannelOrder ChannelOrder { get; init; } = ChannelOrder.Rgb;

    /// <summary>Normalisation rule.</summary>
    public NormalizationMode Normalization { get; init; } = NormalizationMode.PerImageStandardization;

    /// <summary>Value subtracted from every pixel (0..255 scale) in <see cref="NormalizationMode.FixedMeanScale"/>.</summary>
    public float Mean { get; init; }

    /// <summary>Factor applied after subtracting <see cref="Mean"/> in <see cref="NormalizationMode.FixedMeanScale"/>.</summary>
    public float Scale { get; init; } = 1f;

    /// <summary>Floats per sample: 3 * InputHeight * InputWidth.</summary>
    [JsonIgnore]
    public int SampleSize => RgbImage.Channels * InputHeight * InputWidth;

    /// <summary>
    /// OpenFace nn4.small2: 96x96 RGB scaled to [0, 1]. The network expects a tight, aligned face, so
    /// the default keeps the whole image. Pass a fraction below 1 for images with a wider margin.
    /// </summary>
    public static Preprocessing OpenFaceNn4Small2(double centerCropFraction = 1.0) => new()
    {
        InputHeight = 96,
        InputWidth = 96,
        Crop = centerCropFraction != 1.0 ? CropMode.Center : CropMode.None,
        CropFraction = centerCropFraction,
        Filter = ResizeFilter.Bilinear,
        ChannelOrder = ChannelOrder.Rgb,
        Normalization = NormalizationMode.FixedMeanScale,
        Mean = 0f,
        Scale = 1f / 255f,
    };

    /// <summary>
    /// FaceNet-style input: <paramref name="size"/> x <paramref name="size"/> RGB with per-image
    /// standardisation. For LFW deep-funneled 250x250 images a centre crop (for example 0.64, about
    /// 160 of 250 pixels) removes most of the background.
    /// </summary>
    public static Preprocessing StandardizedSquare(int size, double centerCropFraction = 1.0) => new()
    {
        InputHeight = size,
        InputWidth = size,
        Crop = centerCropFraction != 1.0 ? CropMode.Center : CropMode.None,
        CropFraction = centerCropFraction,
        Filter = ResizeFilter.Area,
        ChannelOrder = ChannelOrder.Rgb,
        Normalization = NormalizationMode.PerImageStandardization,
    };

    /// <summary>Checks every field and throws on the first invalid one.</summary>
    /// <exception cref="ArgumentException">Thrown with the field name and value when a field is invalid.</exception>
    public void Validate()
    {
        if (InputHeight is <= 0 or > 4096 || InputWidth is <= 0 or > 4096)
        {
            throw new ArgumentException(
                $"Preprocessing input size {InputHeight}x{InputWidth} is invalid; height and width must be 1 to 4096.");
        }
        if (!Enum.IsDefined(Crop) || !Enum.IsDefined(Filter) || !Enum.IsDefined(ChannelOrder) ||
            !Enum.IsDefined(Normalization))
        {
            throw new ArgumentException(
                $"Preprocessing has an unknown setting (Crop {Crop}, Filter {Filter}, ChannelOrder {ChannelOrder}, " +
                $"Normalization {Normalization}); use the names listed in the enum types.");
        }
        if (Crop == CropMode.Center && !(CropFraction > 0 && CropFraction <= 1))
        {
            throw new ArgumentException(
                $"Preprocessing CropFraction is {CropFraction}; a center crop needs a fraction in (0, 1].");
        }
        if (Normalization == NormalizationMode.FixedMeanScale &&
            (!float.IsFinite(Mean) || !float.IsFinite(Scale) || Scale == 0))
        {
            throw new ArgumentException(
                $"Preprocessing Mean {Mean} and Scale {Scale} are invalid; both must be finite and Scale non-zero.");
        }
    }

    /// <summary>Serialises the contract to indented JSON with enum names as strings.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>Parses and validates a contract written by <see cref="ToJson"/>.</summary>
    /// <exception cref="ArgumentException">Thrown when the JSON is malformed or a field is invalid.</exception>
    public static Preprocessing FromJson(string json)
    {
        Preprocessing? parsed;
        try
        {
            parsed = JsonSerializer.Deserialize<Preprocessing>(json, JsonOptions);
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"Preprocessing JSON is invalid: {e.Message}", nameof(json), e);
        }
        if (parsed is null)
        {
            throw new ArgumentException("Preprocessing JSON is 'null'; expected an object.", nameof(json));
        }
        parsed.Validate();
        return parsed;
    }
}
