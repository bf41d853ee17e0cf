using FaceNet.Runtime.Imaging;
using FaceNet.Runtime.Models;

namespace FaceNet.Runtime.Embedding;

/// <summary>Preprocessing given to models that were created or trained without one stated.</summary>
public static class ModelDefaults
{
    /// <summary>
    /// Fraction of the image side kept by the default centre crop. LFW deep-funneled thumbnails are 250x250
    /// with the face in roughly the middle 60%, so 0.6 keeps the face and drops most of the background.
    /// </summary>
    public const double CenterCropFraction = 0.6;

    /// <summary>
    /// Per-image standardisation at the model's input size after a centre crop of
    /// <see cref="CenterCropFraction"/>, RGB order, area resampling.
    /// </summary>
    public static Preprocessing For(FaceNetModel model) => new()
    {
        InputHeight = model.InputHeight,
        InputWidth = model.InputWidth,
        Crop = CropMode.Center,
        CropFraction = CenterCropFraction,
        Filter = ResizeFilter.Area,
        ChannelOrder = ChannelOrder.Rgb,
        Normalization = NormalizationMode.PerImageStandardization,
    };
}
