using FaceNet.Runtime.Autograd;
using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Cpu;
using FaceNet.Runtime.Embedding;
using FaceNet.Runtime.Evaluation;
using FaceNet.Runtime.Imaging;
using FaceNet.Runtime.Models;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Runtime.Pretrained;

/// <summary>
/// face-api's face recognition network: a ResNet after dlib's <c>dlib_face_recognition_resnet_model_v1</c>
/// that maps a 150x150 RGB face to a 128-d descriptor, built as a <see cref="FaceNetModel"/> so it runs on
/// every backend and can be fine-tuned.
/// </summary>
/// <remarks>
/// The layers, with output sizes for a 150x150 input:
/// <list type="number">
/// <item><c>(x - mean[c]) / 255</c> on the 0..255 pixel values.</item>
/// <item>7x7/2 convolution without padding to 72x72x32, then a 3x3/2 max pool to 35x35.</item>
/// <item>Three residual blocks at 32 channels.</item>
/// <item>A downsampling block to 64 channels (17x17) and three plain blocks.</item>
/// <item>A downsampling block to 128 channels (8x8) and two plain blocks.</item>
/// <item>A downsampling block to 256 channels (4x4), two plain blocks, and a last downsampling block (2x2).</item>
/// <item>The mean over the 2x2 map, then a 256 to 128 fully connected layer without bias.</item>
/// </list>
/// <para>
/// NOTE: unlike the FaceNet models of this engine, the network's descriptor is not L2-normalised (its length is
/// about 1.4). face-api compares raw descriptors with the Euclidean distance and calls two faces the same person
/// below <see cref="DistanceThreshold"/>. <see cref="FaceEmbedder.FaceApiResNet"/> and
/// <see cref="FaceEmbedder.LoadPretrained"/> scale them to unit length and use <see cref="UnitSquaredL2Threshold"/>.
/// </para>
/// </remarks>
public static class FaceRecognitionNet
{
    /// <summary>The model name that <see cref="FaceEmbedder.Load"/> and the <c>--model</c> option accept.</summary>
    public const string ModelName = "face-api-resnet";

    /// <summary>Input side in pixels.</summary>
    public const int InputSize = 150;

    /// <summary>Descriptor length.</summary>
    public const int DescriptorSize = 128;

    /// <summary>face-api divides the mean-subtracted pixel values (0..255) by this.</summary>
    public const float InputDivisor = 255f;

    /// <summary>Euclidean distance below which face-api's <c>FaceMatcher</c> calls two descriptors the same person.</summary>
    public const double DistanceThreshold = 0.6;

    /// <summary>
    /// Squared L2 distance between unit-length descriptors below which two faces count as the same person: the
    /// per-fold thresholds that <c>facenet lfw --pretrained</c> chose on LFW were 0.169 to 0.173 with the
    /// <c>centre</c> and <c>ssd+centre</c> detectors (see docs/pipeline.md).
    /// </summary>
    public const double UnitSquaredL2Threshold = 0.17;

    /// <summary><see cref="UnitSquaredL2Threshold"/> as a <see cref="Threshold"/>.</summary>
    public static Threshold UnitThreshold => Threshold.SquaredL2(UnitSquaredL2Threshold);

    /// <summary>Per-channel means (R, G, B) that face-api subtracts from the 0..255 pixel values.</summary>
    public static ReadOnlySpan<float> MeanRgb => [122.782f, 117.001f, 104.298f];

    /// <summary>
    /// Fraction of each side of an image that the default preprocessing keeps, centred. On LFW deep-funneled
    /// 250x250 thumbnails, LFW folds 1-4 scored 93.8% with 0.45, 93.9% with 0.4, 93.1% with 0.5, 81.3% with 0.7
    /// and 74.8% with 0.8: the face must fill the chip as in the aligned 150x150 chips dlib's model was trained
    /// on. Face detection and alignment replace this crop for other photos.
    /// </summary>
    public const double DefaultCropFraction = 0.45;

    /// <summary>
    /// Preprocessing for already cropped faces: a centred crop of <paramref name="cropFraction"/>, bilinear
    /// resize to 150x150, RGB, pixel values kept on the 0..255 scale (the network normalises them itself).
    /// </summary>
    public static Preprocessing Preprocessing(double cropFraction = DefaultCropFraction) => new()
    {
        InputHeight = InputSize,
        InputWidth = InputSize,
        Crop = cropFraction < 1 ? CropMode.Center : CropMode.None,
        CropFraction = cropFraction,
        Filter = ResizeFilter.Bilinear,
        ChannelOrder = ChannelOrder.Rgb,
        Normalization = NormalizationMode.FixedMeanScale,
        Mean = 0f,
        Scale = 1f,
    };

    /// <summary>Builds the network's description; no weights are allocated.</summary>
    public static FaceNetModel Create()
    {
        var layers = new List<Module>
        {
            new InputNormalization("input", 3),
            new ScaledConvLayer("conv32_down", 3, 32, kernel: 7, stride: 2, padding: 0, relu: true),
            new PoolLayer("pool", PoolKind.Max, kernel: 3, stride: 2),
            new ResidualBlock("conv32_1", 32, 32, downsample: false),
            new ResidualBlock("conv32_2", 32, 32, downsample: false),
            new ResidualBlock("conv32_3", 32, 32, downsample: false),
            new ResidualBlock("conv64_down", 32, 64, downsample: true),
            new ResidualBlock("conv64_1", 64, 64, downsample: false),
            new ResidualBlock("conv64_2", 64, 64, downsample: false),
            new ResidualBlock("conv64_3", 64, 64, downsample: false),
            new ResidualBlock("conv128_down", 64, 128, downsample: true),
            new ResidualBlock("conv128_1", 128, 128, downsample: false),
            new ResidualBlock("conv128_2", 128, 128, downsample: false),
            new ResidualBlock("conv256_down", 128, 256, downsample: true),
            new ResidualBlock("conv256_1", 256, 256, downsample: false),
            new ResidualBlock("conv256_2", 256, 256, downsample: false),
            new ResidualBlock("conv256_down_out", 256, 256, downsample: true),
            new GlobalAveragePool("avg"),
            new FullyConnectedLayer("fc", 256, DescriptorSize, bias: false),
        };
        return new FaceNetModel(ModelName, InputSize, InputSize, DescriptorSize, layers.ToArray());
    }

    /// <summary>Builds the network on <paramref name="backend"/> with face-api's weights.</summary>
    /// <exception cref="KeyNotFoundException">A weight the network needs is missing from the manifest.</exception>
    /// <exception cref="InvalidDataException">A weight has another shape than the network expects.</exception>
    public static FaceNetModel Load(TfjsWeights weights, IBackend backend)
    {
        FaceNetModel model = Create();
        try
        {
            model.Allocate(backend, seed: 0);
            foreach (Parameter parameter in model.Parameters())
            {
                backend.Upload(ConvertWeight(weights, parameter.Name, parameter.Value.Dims), parameter.Value);
            }
            ((InputNormalization)model.Layers[0]).SetMeanAndDivisor(MeanRgb, InputDivisor);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Builds the network with the weights from <paramref name="store"/>, fetching them on first use.</summary>
    /// <exception cref="ModelStoreException">The files could not be fetched or failed verification.</exception>
    public static FaceNetModel Load(FaceApiModelStore store, IBackend backend) =>
        Load(TfjsWeights.Load(store.Ensure(FaceApiModel.FaceRecognition)), backend);

    /// <summary>
    /// The network as an embedding model for <see cref="FaceEmbedder"/>: preprocessing from
    /// <see cref="Preprocessing"/>, descriptors not normalised.
    /// </summary>
    /// <param name="store">Where the weights are cached; the default store when null.</param>
    /// <param name="backend">Where the network runs; the CPU when null.</param>
    /// <param name="preprocessing">How images become the 150x150 input; <see cref="Preprocessing"/> when null.</param>
    public static NetworkEmbeddingModel OpenEmbeddingModel(FaceApiModelStore? store = null, IBackend? backend = null,
        Preprocessing? preprocessing = null)
    {
        store ??= new FaceApiModelStore();
        backend ??= CpuBackend.Instance;
        FaceNetModel model = Load(store, backend);
        string checksum = $"face-api-{FaceApiModelStore.PackageVersion}-" +
            FaceApiModelStore.ExpectedSha256(FaceApiModelStore.BaseName(FaceApiModel.FaceRecognition) + ".bin");
        return new NetworkEmbeddingModel(model, backend, preprocessing ?? Preprocessing(),
            $"{ModelName} (face-api {FaceApiModelStore.PackageVersion})", checksum);
    }

    /// <summary>
    /// The face-api weight of one of our parameters, converted to our layout. Our parameter
    /// <c>conv64_1.conv2.weight</c> is face-api's <c>conv64_1/conv2/conv/filters</c>; <c>bias</c>,
    /// <c>scale</c> and <c>shift</c> map to <c>conv/bias</c>, <c>scale/weights</c> and <c>scale/biases</c>.
    /// </summary>
    private static float[] ConvertWeight(TfjsWeights weights, string parameterName, ReadOnlySpan<int> dims)
    {
        if (parameterName == "fc.weight")
        {
            return TfLayout.DenseWeight(weights.Get("fc", dims[1], dims[0]));
        }
        int dot = parameterName.LastIndexOf('.');
        string prefix = parameterName[..dot].Replace('.', '/');
        return parameterName[(dot + 1)..] switch
        {
            "weight" => TfLayout.ConvolutionFilter(
                weights.Get(prefix + "/conv/filters", dims[2], dims[3], dims[1], dims[0])),
            "bias" => weights.Get(prefix + "/conv/bias", dims[0]).Values,
            "scale" => weights.Get(prefix + "/scale/weights", dims[0]).Values,
            "shift" => weights.Get(prefix + "/scale/biases", dims[0]).Values,
            _ => throw new InvalidOperationException($"Parameter '{parameterName}' has no face-api weight."),
        };
    }
}
