using FaceNet.Runtime.Imaging;

namespace FaceNet.Runtime.Training;

/// <summary>Training images already decoded in memory, for tests and for generated data.</summary>
public sealed class InMemoryImageSource : ITrainingImageSource
{
    private readonly RgbImage[] _images;
    private readonly int[] _labels;

    /// <summary>Creates a source from images and their labels (0 to identities - 1).</summary>
    /// <exception cref="ArgumentException">The lists differ in length or a label is outside the identities.</exception>
    public InMemoryImageSource(IReadOnlyList<string> identities, IReadOnlyList<RgbImage> images,
        IReadOnlyList<int> labels)
    {
        if (images.Count != labels.Count)
        {
            throw new ArgumentException($"{images.Count} images but {labels.Count} labels; pass one label per image.");
        }
        int bad = labels.ToList().FindIndex(label => label < 0 || label >= identities.Count);
        if (bad >= 0)
        {
            throw new ArgumentException(
                $"Image {bad} has label {labels[bad]}, outside the {identities.Count} identities.", nameof(labels));
        }
        Identities = identities.ToArray();
        _images = images.ToArray();
        _labels = labels.ToArray();
    }

    /// <inheritdoc />
    public int Count => _images.Length;

    /// <inheritdoc />
    public IReadOnlyList<string> Identities { get; }

    /// <inheritdoc />
    public int LabelOf(int index) => _labels[index];

    /// <inheritdoc />
    public string NameOf(int index) => $"{Identities[_labels[index]]}#{index}";

    /// <inheritdoc />
    public RgbImage Load(int index) => _images[index];
}
