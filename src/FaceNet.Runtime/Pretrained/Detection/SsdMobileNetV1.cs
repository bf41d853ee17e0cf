using FaceNet.Runtime.Autograd;
using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Cpu;
using FaceNet.Runtime.Imaging;
using FaceNet.Runtime.Operations;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Runtime.Pretrained;

/// <summary>
/// The face-api SSD MobileNet v1 face detector: a MobileNet v1 backbone (a full 3x3 convolution, then 13
/// depthwise-separable pairs, each convolution followed by ReLU6), eight extra convolutions, and six box
/// predictors on feature maps of 32, 16, 8, 4, 2 and 1 cells (3 anchors per cell on the first, 6 on the
/// others: 5118 anchors). The image is padded below or right of it to a square, resized bilinearly to
/// 512 x 512 and scaled to [-1, 1].
/// </summary>
/// <remarks>
/// The anchors are the package's stored <c>Output/extra_dim</c> tensor (ymin, xmin, ymax, xmax as fractions
/// of the input). The depthwise batch normalisations (epsilon 0.001) are folded into their filters and a bias
/// at load time: <c>w' = w * gamma / sqrt(var + eps)</c>, <c>b' = beta - mean * gamma / sqrt(var + eps)</c>.
/// </remarks>
public sealed class SsdMobileNetV1 : IFaceDetector
{
    /// <summary>Side of the square input.</summary>
    public const int InputSize = 512;

    /// <summary>Number of anchors over all six feature maps.</summary>
    public const int AnchorCount = 5118;

    private const float BatchNormEpsilon = 0.001f;

    // Output channels of the backbone's pointwise convolutions 0 to 13.
    private static readonly int[] BackboneChannels = [32, 64, 128, 128, 256, 256, 512, 512, 512, 512, 512, 512, 1024, 1024];

    // Extra convolutions 0 to 7 of the prediction layer: (kernel, output channels, stride).
    private static readonly (int Kernel, int Channels, int Stride)[] ExtraLayers =
        [(1, 256, 1), (3, 512, 2), (1, 128, 1), (3, 256, 2), (1, 128, 1), (3, 256, 2), (1, 64, 1), (3, 128, 2)];

    private static readonly int[] AnchorsPerCell = [3, 6, 6, 6, 6, 6];

    private readonly PretrainedLayers _layers;
    private readonly (Parameter Weight, Parameter Bias) _stem;
    private readonly (Parameter Depthwise, Parameter DepthwiseBias, Parameter Pointwise, Parameter Bias)[] _pairs;
    private readonly (Parameter Weight, Parameter Bias)[] _extras;
    private readonly (Parameter BoxWeight, Parameter BoxBias, Parameter ClassWeight, Parameter ClassBias)[] _predictors;
    private readonly float[] _anchors;

    private SsdMobileNetV1(PretrainedLayers layers)
    {
        _layers = layers;
        _stem = (layers.Convolution("MobilenetV1/Conv2d_0_pointwise/weights", 3, 3, BackboneChannels[0]),
            layers.Vector("MobilenetV1/Conv2d_0_pointwise/convolution_bn_offset", BackboneChannels[0]));

        _pairs = new (Parameter, Parameter, Parameter, Parameter)[13];
        for (int i = 1; i <= 13; i++)
        {
            int inChannels = BackboneChannels[i - 1], outChannels = BackboneChannels[i];
            (Parameter depthwise, Parameter depthwiseBias) = FoldedDepthwise(layers, i, inChannels);
            string pointwise = $"MobilenetV1/Conv2d_{i}_pointwise";
            _pairs[i - 1] = (depthwise, depthwiseBias,
                layers.Convolution($"{pointwise}/weights", 1, inChannels, outChannels),
                layers.Vector($"{pointwise}/convolution_bn_offset", outChannels));
        }

        _extras = new (Parameter, Parameter)[ExtraLayers.Length];
        int channels = BackboneChannels[^1];
        for (int i = 0; i < ExtraLayers.Length; i++)
        {
            (int kernel, int outChannels, _) = ExtraLayers[i];
            _extras[i] = (layers.Convolution($"Prediction/Conv2d_{i}_pointwise/weights", kernel, channels, outChannels),
                layers.Vector($"Prediction/Conv2d_{i}_pointwise/convolution_bn_offset", outChannels));
            channels = outChannels;
        }

        int[] featureChannels = [512, 1024, 512, 256, 256, 128];
        _predictors = new (Parameter, Parameter, Parameter, Parameter)[6];
        for (int i = 0; i < 6; i++)
        {
            string prefix = $"Prediction/BoxPredictor_{i}";
            int anchors = AnchorsPerCell[i];
            _predictors[i] = (
                layers.Convolution($"{prefix}/BoxEncodingPredictor/weights", 1, featureChannels[i], anchors * 4),
                layers.Vector($"{prefix}/BoxEncodingPredictor/biases", anchors * 4),
                layers.Convolution($"{prefix}/ClassPredictor/weights", 1, featureChannels[i], anchors * 3),
                layers.Vector($"{prefix}/ClassPredictor/biases", anchors * 3));
        }
        _anchors = layers.Weights.Get("Output/extra_dim", 1, AnchorCount, 4).Values;
    }

    private static (Parameter Weight, Parameter Bias) FoldedDepthwise(PretrainedLayers layers, int index, int channels)
    {
        string prefix = $"MobilenetV1/Conv2d_{index}_depthwise";
        float[] filter = TfLayout.DepthwiseFilter(layers.Weights.Get($"{prefix}/depthwise_weights", 3, 3, channels, 1));
        float[] gamma = layers.Weights.Get($"{prefix}/BatchNorm/gamma", channels).Values;
        float[] beta = layers.Weights.Get($"{prefix}/BatchNorm/beta", channels).Values;
        float[] mean = layers.Weights.Get($"{prefix}/BatchNorm/moving_mean", channels).Values;
        float[] variance = layers.Weights.Get($"{prefix}/BatchNorm/moving_variance", channels).Values;
        var bias = new float[channels];
        for (int c = 0; c < channels; c++)
        {
            double scale = gamma[c] / Math.Sqrt(variance[c] + (double)BatchNormEpsilon);
            for (int k = 0; k < 9; k++)
            {
                filter[c * 9 + k] = (float)(filter[c * 9 + k] * scale);
            }
            bias[c] = (float)(beta[c] - mean[c] * scale);
        }
        return (layers.Add($"{prefix}/depthwise_weights", filter, channels, 1, 3, 3),
            layers.Add($"{prefix}/folded_bias", bias, channels));
    }

    /// <summary>Loads <c>ssd_mobilenetv1_model</c> from its TensorFlow.js manifest.</summary>
    /// <exception cref="FileNotFoundException">The manifest or a weight file is missing.</exception>
    /// <exception cref="InvalidDataException">The files are malformed or a weight has another shape.</exception>
    public static SsdMobileNetV1 Load(string manifestPath, IBackend? backend = null)
    =>
        PretrainedLayers.Build(manifestPath, backend, layers => new SsdMobileNetV1(layers));

    /// <inheritdoc />
    public string Name => "ssd";

    /// <summary>The backend the weights live on.</summary>
    public IBackend Backend => _layers.Backend;

    /// <summary>The trainable weights (the stored anchors are constants and not among them).</summary>
    public IReadOnlyList<Parameter> Parameters => _layers.Parameters;

    /// <summary>The anchors, 5118 x (ymin, xmin, ymax, xmax) as fractions of the input.</summary>
    public ReadOnlySpan<float> Anchors => _anchors;

    /// <inheritdoc />
    /// <remarks>face-api calls it <c>minConfidence</c>.</remarks>
    public double ScoreThreshold { get; set; } = 0.5;

    /// <summary>Most detections returned (package default 100).</summary>
    public int MaxResults { get; set; } = 100;

    /// <summary>Non-maximum suppression drops a box whose IoU with a better one exceeds this (package value 0.5).</summary>
    public double IouThreshold { get; set; } = 0.5;

    /// <summary>
    /// Runs the network on (N, 3, 512, 512) inputs and returns the six predictor outputs, coarsest last:
    /// box encodings (N, A * 4, H, W) and class logits (N, A * 3, H, W) per feature map.
    /// </summary>
    public (Tensor Boxes, Tensor Classes)[] Forward(Graph graph, Tensor input)
    {
        Tensor x = PiecewiseActivations.Relu6(graph,
            PretrainedLayers.ConvSame(graph, input, _stem.Weight, _stem.Bias, 2));
        Tensor? conv11 = null;
        for (int i = 1; i <= 13; i++)
        {
            int stride = i is 2 or 4 or 6 or 12 ? 2 : 1;
            var pair = _pairs[i - 1];
            x = PiecewiseActivations.Relu6(graph,
                PretrainedLayers.DepthwiseSame(graph, x, pair.Depthwise, pair.DepthwiseBias, stride));
            x = PiecewiseActivations.Relu6(graph,
                Convolution.Conv2d(graph, x, pair.Pointwise.Value, pair.Bias.Value, 1, 0));
            if (i == 11)
            {
                conv11 = x;
            }
        }

        var features = new Tensor[6];
        features[0] = conv11!;
        features[1] = x;
        Tensor extra = x;
        for (int i = 0; i < ExtraLayers.Length; i++)
        {
            extra = PiecewiseActivations.Relu6(graph,
                PretrainedLayers.ConvSame(graph, extra, _extras[i].Weight, _extras[i].Bias, ExtraLayers[i].Stride));
            if (i % 2 == 1)
            {
                features[2 + i / 2] = extra;
            }
        }

        var outputs = new (Tensor, Tensor)[6];
        for (int i = 0; i < 6; i++)
        {
            var p = _predictors[i];
            outputs[i] = (Convolution.Conv2d(graph, features[i], p.BoxWeight.Value, p.BoxBias.Value, 1, 0),
                Convolution.Conv2d(graph, features[i], p.ClassWeight.Value, p.ClassBias.Value, 1, 0));
        }
        return outputs;
    }

    /// <summary>The normalised network input of one image, (3, 512, 512) planar: <c>(value - 127.5) / 127.5</c>.</summary>
    public static float[] PrepareInput(RgbImage image) =>
        SquareInput.Build(image, 0, 0, image.Width, image.Height, InputSize, SquarePadding.AfterImage,
            [127.5f, 127.5f, 127.5f], 127.5f);

    /// <summary>
    /// Every anchor's decoded box (fractions of the square input) and face score for one image, in anchor
    /// order: feature maps finest first, then row, column and anchor.
    /// </summary>
    public ScoredBox[] Score(RgbImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        float[] encodings = new float[AnchorCount * 4];
        float[] logits = new float[AnchorCount * 3];
        using (Graph graph = Graph.ForInference(Backend))
        {
            Tensor input = graph.FromHost(PrepareInput(image), 1, 3, InputSize, InputSize);
            (Tensor Boxes, Tensor Classes)[] outputs = Forward(graph, input);
            int anchor = 0;
            for (int i = 0; i < outputs.Length; i++)
            {
                anchor = Gather(outputs[i].Boxes, outputs[i].Classes, AnchorsPerCell[i], encodings, logits, anchor);
            }
        }
        return SsdBoxDecoder.DecodeAll(encodings, _anchors, logits);
    }

    /// <summary>
    /// Copies one predictor's NCHW outputs into anchor-major rows: anchor (h, w, a) takes channels
    /// a * 4 + k of the box output and a * 3 + k of the class output at (h, w).
    /// </summary>
    private int Gather(Tensor boxes, Tensor classes, int anchorsPerCell, float[] encodings, float[] logits, int first)
    {
        int h = boxes.H, w = boxes.W, plane = h * w;
        float[] boxValues = new float[boxes.Count];
        float[] classValues = new float[classes.Count];
        Backend.Download(boxes, boxValues);
        Backend.Download(classes, classValues);
        int anchor = first;
        for (int cell = 0; cell < plane; cell++)
        {
            for (int a = 0; a < anchorsPerCell; a++, anchor++)
            {
                for (int k = 0; k < 4; k++)
                {
                    encodings[anchor * 4 + k] = boxValues[(a * 4 + k) * plane + cell];
                }
                for (int k = 0; k < 3; k++)
                {
                    logits[anchor * 3 + k] = classValues[(a * 3 + k) * plane + cell];
                }
            }
        }
        return anchor;
    }

    /// <inheritdoc />
    public IReadOnlyList<ScoredBox> Detect(RgbImage image)
    {
        ScoredBox[] scored = Score(image);
        int[] kept = NonMaxSuppression.Select(scored.Select(s => s.Box).ToArray(),
            scored.Select(s => s.Score).ToArray(), IouThreshold, ScoreThreshold, MaxResults);

        // Boxes are fractions of the padded square. Clamping them to it and stretching them by the square's
        // side over the image's extent in it makes them fractions of the image.
        (int width, int height) = TinyFaceDetector.ScaledExtent(image.Width, image.Height, InputSize);
        double stretchX = (double)InputSize / width, stretchY = (double)InputSize / height;
        var detections = new ScoredBox[kept.Length];
        for (int i = 0; i < kept.Length; i++)
        {
            FaceBox box = scored[kept[i]].Box;
            var clamped = new FaceBox(Math.Max(0, box.Left) * stretchX, Math.Max(0, box.Top) * stretchY,
                Math.Min(1, box.Right) * stretchX, Math.Min(1, box.Bottom) * stretchY);
            detections[i] = new ScoredBox(clamped.Scale(image.Width, image.Height), scored[kept[i]].Score);
        }
        return detections;
    }

    /// <inheritdoc />
    public void Dispose() => _layers.Dispose();
}
