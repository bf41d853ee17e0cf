using FaceNet.Runtime.Autograd;
using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Cpu;
using FaceNet.Runtime.Imaging;
using FaceNet.Runtime.Operations;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Runtime.Pretrained;

/// <summary>
/// The face-api tiny face detector: a YOLOv2-style head on seven convolutions (one full 3x3, five separable
/// 3x3 with leaky ReLU 0.1 and max pooling, and a 1x1 head with 5 anchors x 5 values). The image is padded
/// with zeros below or right of it to a square, resized bilinearly to <see cref="InputSize"/>, and
/// normalised as <c>(value - meanRgb) / 255</c>; the output grid is InputSize / 32 cells on a side.
/// </summary>
public sealed class TinyFaceDetector : IFaceDetector
{
    /// <summary>Input side the package uses by default.</summary>
    public const int DefaultInputSize = 416;

    /// <summary>Per-channel mean (R, G, B) subtracted before dividing by 255.</summary>
    public static IReadOnlyList<float> MeanRgb { get; } = [117.001f, 114.697f, 97.404f];

    private static readonly int[] Channels = [3, 16, 32, 64, 128, 256, 512];
    private const int HeadChannels = 5 * TinyFaceDecoder.ValuesPerAnchor;

    private readonly PretrainedLayers _layers;
    private readonly Parameter _conv0Weight, _conv0Bias, _headWeight, _headBias;
    private readonly (Parameter Depthwise, Parameter Pointwise, Parameter Bias)[] _separable;
    private int _inputSize = DefaultInputSize;

    private TinyFaceDetector(PretrainedLayers layers)
    {
        _layers = layers;
        _conv0Weight = layers.Convolution("conv0/filters", 3, Channels[0], Channels[1]);
        _conv0Bias = layers.Vector("conv0/bias", Channels[1]);
        _separable = new (Parameter, Parameter, Parameter)[5];
        for (int i = 1; i <= 5; i++)
        {
            int inChannels = Channels[i], outChannels = Channels[i + 1];
            _separable[i - 1] = (
                layers.Depthwise($"conv{i}/depthwise_filter", 3, inChannels),
                layers.Convolution($"conv{i}/pointwise_filter", 1, inChannels, outChannels),
                layers.Vector($"conv{i}/bias", outChannels));
        }
        _headWeight = layers.Convolution("conv8/filters", 1, Channels[6], HeadChannels);
        _headBias = layers.Vector("conv8/bias", HeadChannels);
    }

    /// <summary>Loads <c>tiny_face_detector_model</c> from its TensorFlow.js manifest.</summary>
    /// <exception cref="FileNotFoundException">The manifest or a weight file is missing.</exception>
    /// <exception cref="InvalidDataException">The files are malformed or a weight has another shape.</exception>
    public static TinyFaceDetector Load(string manifestPath, IBackend? backend = null)
    =>
        PretrainedLayers.Build(manifestPath, backend, layers => new TinyFaceDetector(layers));

    /// <inheritdoc />
    public string Name => $"tiny-{InputSize}";

    /// <summary>The backend the weights live on.</summary>
    public IBackend Backend => _layers.Backend;

    /// <summary>The trainable weights.</summary>
    public IReadOnlyList<Parameter> Parameters => _layers.Parameters;

    /// <summary>Side of the square network input; a multiple of 32 (the package default is 416).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not a positive multiple of 32.</exception>
    public int InputSize
    {
        get => _inputSize;
        set
        {
            if (value < 32 || value % 32 != 0)
            {
                throw new ArgumentOutOfRangeException(nameof(value), value,
                    "The tiny face detector input size must be a positive multiple of 32, such as 320, 416 or 608.");
            }
            _inputSize = value;
        }
    }

    /// <inheritdoc />
    public double ScoreThreshold { get; set; } = 0.5;

    /// <summary>Non-maximum suppression drops a box whose IoU with a better one exceeds this (package value 0.4).</summary>
    public double IouThreshold { get; set; } = 0.4;

    /// <summary>
    /// Runs the network on a batch (N, 3, S, S) of normalised inputs and returns the raw head
    /// (N, 25, S / 32, S / 32): channel a * 5 + k contains value k of anchor a.
    /// </summary>
    public Tensor Forward(Graph graph, Tensor input)
    {
        Tensor x = Convolution.Conv2d(graph, input, _conv0Weight.Value, _conv0Bias.Value, 1, 0);
        x = PiecewiseActivations.LeakyRelu(graph, x, PiecewiseActivations.TinyDetectorSlope);
        for (int i = 0; i < _separable.Length; i++)
        {
            x = MaxPoolSame(graph, x, 2);
            (Parameter depthwise, Parameter pointwise, Parameter bias) = _separable[i];
            x = PretrainedLayers.SeparableSame(graph, x, depthwise, pointwise, bias, 1);
            x = PiecewiseActivations.LeakyRelu(graph, x, PiecewiseActivations.TinyDetectorSlope);
        }
        x = MaxPoolSame(graph, x, 1);
        return Convolution.Conv2d(graph, x, _headWeight.Value, _headBias.Value, 1, 0);
    }

    /// <summary>The normalised network input of one image, (3, S, S) planar.</summary>
    public float[] PrepareInput(RgbImage image) =>
        SquareInput.Build(image, 0, 0, image.Width, image.Height, InputSize, SquarePadding.AfterImage,
            MeanRgb.ToArray(), 255f);

    /// <inheritdoc />
    public IReadOnlyList<ScoredBox> Detect(RgbImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        int size = InputSize, grid = size / 32;
        float[] head = new float[HeadChannels * grid * grid];
        using (Graph graph = Graph.ForInference(Backend))
        {
            Tensor input = graph.FromHost(PrepareInput(image), 1, 3, size, size);
            Backend.Download(Forward(graph, input), head);
        }

        // The image fills round(W * s) x round(H * s) of the input, s = size / max(W, H); the decoder
        // stretches boxes by size over that extent so they become fractions of the image.
        (int width, int height) = ScaledExtent(image.Width, image.Height, size);
        List<ScoredBox> candidates = TinyFaceDecoder.Decode(head, grid, TinyFaceDecoder.FaceAnchors,
            (double)size / width, (double)size / height, ScoreThreshold);
        int[] kept = NonMaxSuppression.Select(candidates.Select(c => c.Box).ToArray(),
            candidates.Select(c => c.Score).ToArray(), IouThreshold);
        return kept.Select(i => new ScoredBox(candidates[i].Box.Scale(image.Width, image.Height), candidates[i].Score))
            .ToArray();
    }

    /// <summary>
    /// The extent an image of width x height occupies after scaling its longer side to <paramref name="size"/>,
    /// rounded half up as JavaScript's Math.round does.
    /// </summary>
    internal static (int Width, int Height) ScaledExtent(int width, int height, int size)
    {
        double scale = (double)size / Math.Max(width, height);
        return ((int)Math.Floor(width * scale + 0.5), (int)Math.Floor(height * scale + 0.5));
    }

    /// <summary>
    /// 2x2 max pooling with TensorFlow "SAME" padding. With stride 2 that is ceil mode. With stride 1 the
    /// window at the last row and column reads past the input, so it pools with one cell of padding on every
    /// side, where padded cells never win, and drops the first row and column.
    /// </summary>
    private static Tensor MaxPoolSame(Graph graph, Tensor x, int stride)
    {
        if (stride == 2)
        {
            return Pooling.MaxPool2d(graph, x, 2, 2, 0, ceilMode: true);
        }
        Tensor pooled = Pooling.MaxPool2d(graph, x, 2, 1, 1);
        return Cropping.Crop2d(graph, pooled, 1, 1, x.H, x.W);
    }

    /// <inheritdoc />
    public void Dispose() => _layers.Dispose();
}
