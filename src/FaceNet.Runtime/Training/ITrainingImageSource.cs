using FaceNet.Runtime.Imaging;

namespace FaceNet.Runtime.Training;

/// <summary>
/// The images a <see cref="Trainer"/> draws batches from: a fixed, ordered list where each image has an
/// identity label. Indices and labels must not change during a run, or a resumed run draws other batches.
/// </summary>
public interface ITrainingImageSource
{
    /// <summary>Number of images.</summary>
    int Count { get; }

    /// <summary>Identity names in label order.</summary>
    IReadOnlyList<string> Identities { get; }

    /// <summary>Identity label (index into <see cref="Identities"/>) of image <paramref name="index"/>.</summary>
    int LabelOf(int index);

    /// <summary>A name for image <paramref name="index"/> in messages, such as its path.</summary>
    string NameOf(int index);

    /// <summary>
    /// The decoded pixels of image <paramref name="index"/>. Called from several threads at once; the caller
    /// never modifies the returned image.
    /// </summary>
    RgbImage Load(int index);
}
