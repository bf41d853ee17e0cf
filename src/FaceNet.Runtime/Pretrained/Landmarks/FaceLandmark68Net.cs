using FaceNet.Runtime.Autograd;
using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Cpu;
using FaceNet.Runtime.Imaging;
using FaceNet.Runtime.Operations;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Runtime.Pretrained;

/// <summary>
/// The face-api 68-point landmark network: four densely connected blocks of four convolutions, a 7x7
/// average pool and a fully connected layer with 136 outputs, the (x, y) of each point as fractions of the
/// input. The first convolution is a full 3x3 one and the rest are depthwise-separable; each block halves
/// the resolution, from 112 to 7. The face crop is padded to a square around its centre, resized bilinearly to 112 x 112 and
/// normalised as <c>(value - meanRgb) / 255</c>.
/// </summary>
public sealed class FaceLandmark68Net : IDisposable
{
    /// <summary>Side of the square input.</summary>
    public const int InputSize = 112;

    /// <summary>Per-channel mean (R, G, B) subtracted before dividing by 255.</summary>
    public static IReadOnlyList<float> MeanRgb { get; } = [122.782f, 117.001f, 104.298f];

    private static readonly int[] BlockChannels = [32, 64, 128, 256];

    private readonly PretrainedLayers _layers;
    private readonly Parameter _firstWeight, _firstBias, _fcWeight, _fcBias;
    private readonly (Parameter Depthwise, Parameter Pointwise, Parameter Bias)?[][] _blocks;

    private FaceLandmark68Net(PretrainedLayers layers)
    {
        _layers = layers;
        _firstWeight = layers.Convolution("dense0/conv0/filters", 3, 3, BlockChannels[0]);
        _firstBias = layers.Vector("dense0/conv0/bias", BlockChannels[0]);
        _blocks = new (Parameter, Parameter, Parameter)?[4][];
        int inChannels = 3;
        for (int b = 0; b < 4; b++)
        {
            int channels = BlockChannels[b];
            _blocks[b] = new (Parameter, Parameter, Parameter)?[4];
            for (int c = b == 0 ? 1 : 0; c < 4; c++)
            {
                int from = c == 0 ? inChannels : channels;
                string prefix = $"dense{b}/conv{c}";
                _blocks[b][c] = (layers.Depthwise($"{prefix}/depthwise_filter", 3, from),
                    layers.Convolution($"{prefix}/pointwise_filter", 1, from, channels),
                    layers.Vector($"{prefix}/bias", channels));
            }
            inChannels = channels;
        }
        TfjsTensor fc = layers.Weights.Get("fc/weights", BlockChannels[^1], 2 * Landmarks68.Count);
        _fcWeight = layers.Add("fc/weights", TfLayout.DenseWeight(fc), 2 * Landmarks68.Count, BlockChannels[^1]);
        _fcBias = layers.Vector("fc/bias", 2 * Landmarks68.Count);
    }

    /// <summary>Loads <c>face_landmark_68_model</c> from its TensorFlow.js manifest.</summary>
    /// <exception cref="FileNotFoundException">The manifest or a weight file is missing.</exception>
    /// <exception cref="InvalidDataException">The files are malformed or a weight has another shape.</exception>
    public static FaceLandmark68Net Load(string manifestPath, IBackend? backend = null)
    =>
        PretrainedLayers.Build(manifestPath, backend, layers => new FaceLandmark68Net(layers));

    /// <summary>The backend the weights live on.</summary>
    public IBackend Backend => _layers.Backend;

    /// <summary>The trainable weights.</summary>
    public IReadOnlyList<Parameter> Parameters => _layers.Parameters;

    /// <summary>
    /// Runs the network on (N, 3, 112, 112) inputs and returns (N, 136): x0, y0, x1, y1, ... as fractions of
    /// the input side.
    /// </summary>
    public Tensor Forward(Graph graph, Tensor input)
    {
        Tensor x = input;
        for (int b = 0; b < 4; b++)
        {
            x = DenseBlock(graph, x, b);
        }
        Tensor pooled = Pooling.AvgPool2d(graph, x, 7, 2);
        return Linear.FullyConnected(graph, pooled, _fcWeight.Value, _fcBias.Value);
    }

    /// <summary>
    /// One dense block: <c>o1 = relu(conv0(x))</c> with stride 2, then <c>o2 = conv1(o1)</c>,
    /// <c>o3 = conv2(relu(o1 + o2))</c>, <c>o4 = conv3(relu(o1 + o2 + o3))</c>, and the output
    /// <c>relu(o1 + o2 + o3 + o4)</c>.
    /// </summary>
    private Tensor DenseBlock(Graph graph, Tensor x, int block)
    {
        Tensor first = block == 0
            ? PretrainedLayers.ConvSame(graph, x, _firstWeight, _firstBias, 2)
            : Separable(graph, x, block, 0, 2);
        Tensor sum = Activations.Relu(graph, first);
        Tensor total = sum;
        for (int c = 1; c < 4; c++)
        {
            Tensor next = Separable(graph, c == 1 ? sum : Activations.Relu(graph, total), block, c, 1);
            total = Arithmetic.Add(graph, total, next);
        }
        return Activations.Relu(graph, total);
    }

    private Tensor Separable(Graph graph, Tensor x, int block, int conv, int stride)
    {
        (Parameter depthwise, Parameter pointwise, Parameter bias) = _blocks[block][conv]!.Value;
        return PretrainedLayers.SeparableSame(graph, x, depthwise, pointwise, bias, stride);
    }

    /// <summary>
    /// Finds the landmarks of each face box in <paramref name="image"/>. Each box is clipped to the image and
    /// its edges floored to whole pixels, as face-api crops faces; boxes left empty get null.
    /// </summary>
    /// <returns>Per box, the 68 points in image pixels, or null.</returns>
    public Landmarks68?[] Detect(RgbImage image, IReadOnlyList<FaceBox> boxes)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(boxes);
        var crops = boxes.Select(b => FaceCrop.FromBox(b, image.Width, image.Height)).ToArray();
        int[] valid = Enumerable.Range(0, crops.Length).Where(i => crops[i] is not null).ToArray();
        var results = new Landmarks68?[boxes.Count];
        if (valid.Length == 0)
        {
            return results;
        }

        int sample = 3 * InputSize * InputSize;
        float[] batch = new float[valid.Length * sample];
        for (int k = 0; k < valid.Length; k++)
        {
            FaceCrop crop = crops[valid[k]]!.Value;
            SquareInput.Build(image, crop.Left, crop.Top, crop.Width, crop.Height, InputSize, SquarePadding.Centred,
                MeanRgb.ToArray(), 255f).CopyTo(batch, k * sample);
        }
        float[] output = new float[valid.Length * 2 * Landmarks68.Count];
        using (Graph graph = Graph.ForInference(Backend))
        {
            Tensor input = graph.FromHost(batch, valid.Length, 3, InputSize, InputSize);
            Backend.Download(Forward(graph, input), output);
        }
        for (int k = 0; k < valid.Length; k++)
        {
            FaceCrop crop = crops[valid[k]]!.Value;
            Landmarks68 local = ToCrop(output.AsSpan(k * 2 * Landmarks68.Count, 2 * Landmarks68.Count), crop.Width,
                crop.Height);
            results[valid[k]] = local.Translate(crop.Left, crop.Top);
        }
        return results;
    }

    /// <summary>
    /// Converts the network's outputs to pixels of a width x height crop. The crop was scaled by
    /// <c>s = 112 / max(width, height)</c> and padded by half the size difference on each side of its shorter
    /// axis, so <c>x = (out_x * 112 - padX) / (width * s) * width</c>, likewise for y. The half padding is the
    /// unrounded value, as in face-api, although the pixels were padded by whole cells.
    /// </summary>
    public static Landmarks68 ToCrop(ReadOnlySpan<float> output, int width, int height)
    {
        if (output.Length != 2 * Landmarks68.Count)
        {
            throw new ArgumentException(
                $"Landmark output has {output.Length} values; 68 points need {2 * Landmarks68.Count}.", nameof(output));
        }
        double scale = (double)InputSize / Math.Max(width, height);
        double scaledWidth = width * scale, scaledHeight = height * scale;
        double padX = width < height ? Math.Abs(scaledWidth - scaledHeight) / 2 : 0;
        double padY = height < width ? Math.Abs(scaledWidth - scaledHeight) / 2 : 0;
        var points = new (double X, double Y)[Landmarks68.Count];
        for (int i = 0; i < points.Length; i++)
        {
            double x = (output[2 * i] * (double)InputSize - padX) / scaledWidth;
            double y = (output[2 * i + 1] * (double)InputSize - padY) / scaledHeight;
            points[i] = (x * width, y * height);
        }
        return new Landmarks68(points);
    }

    /// <inheritdoc />
    public void Dispose() => _layers.Dispose();
}
