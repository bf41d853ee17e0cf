using System.Text.Json;
using FaceNet.Runtime.Autograd;
using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Cpu;
using FaceNet.Runtime.Data;
using FaceNet.Runtime.Imaging;
using FaceNet.Runtime.Models;
using FaceNet.Runtime.Pretrained;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Tests.Pretrained;

/// <summary>The face-api recognition ResNet with the real weights, checked against face-api's own descriptors.</summary>
public sealed class FaceRecognitionNetTests
{
    /// <summary>
    /// Largest allowed difference per descriptor component from face-api on TensorFlow.js's CPU backend. Both
    /// sides compute in float32 but sum the convolutions in different orders; the measured maximum over the
    /// golden faces is recorded in docs/pretrained.md.
    /// </summary>
    private const double GoldenTolerance = 1e-4;

    private static readonly Lazy<FaceNetModel> CpuModel = new(() =>
        FaceRecognitionNet.Load(TfjsWeights.Load(PretrainedModels.Manifest(FaceApiModel.FaceRecognition)),
            CpuBackend.Instance));

    [Fact]
    public void Create_LayerTable_EndsInDescriptor()
    {
        using FaceNetModel model = FaceRecognitionNet.Create();

        IReadOnlyList<LayerRow> rows = model.Describe();

        Assert.Equal(FeatureShape.Flat(128), model.OutputShape);
        Assert.Equal(new FeatureShape(32, 35, 35), rows.Single(r => r.Name == "pool").Output);
        Assert.Equal(new FeatureShape(64, 17, 17), rows.Single(r => r.Name == "conv64_down").Output);
        Assert.Equal(new FeatureShape(128, 8, 8), rows.Single(r => r.Name == "conv128_down").Output);
        Assert.Equal(new FeatureShape(256, 4, 4), rows.Single(r => r.Name == "conv256_down").Output);
        Assert.Equal(new FeatureShape(256, 2, 2), rows.Single(r => r.Name == "conv256_down_out").Output);
    }

    [Fact]
    public void Load_RealWeights_UsesEveryManifestWeight()
    {
        TfjsWeights weights = TfjsWeights.Load(PretrainedModels.Manifest(FaceApiModel.FaceRecognition));
        long manifestValues = weights.Names.Sum(name => (long)weights[name].Values.Length);

        FaceNetModel model = CpuModel.Value;

        Assert.Equal(weights.Count, model.Parameters().Count());
        Assert.Equal(manifestValues, model.ParameterCount);
    }

    [Fact]
    public void Forward_LfwGoldenFaces_MatchFaceApi()
    {
        GoldenFile golden = ReadGoldens();
        var preprocessor = new Preprocessor(FaceRecognitionNet.Preprocessing());
        var decoder = new ImageDecoder();
        string images = Path.Combine(DataRoot.RequireExisting(), "lfw", "images");
        double largest = 0;
        foreach (GoldenDescriptor expected in golden.Descriptors)
        {
            float[] input = preprocessor.Apply(decoder.Decode(Path.Combine(images, expected.Image)));

            float[] actual = Embed(CpuModel.Value, input);

            Assert.Equal(expected.Values.Length, actual.Length);
            for (int i = 0; i < actual.Length; i++)
            {
                double difference = Math.Abs(actual[i] - expected.Values[i]);
                largest = Math.Max(largest, difference);
                Assert.True(difference <= GoldenTolerance,
                    $"{expected.Image} component {i}: ours {actual[i]:G9}, face-api {expected.Values[i]:G9}, " +
                    $"difference {difference:G3} exceeds {GoldenTolerance:G3}.");
            }
        }
        Console.WriteLine($"face-api goldens: largest component difference {largest:G3}");
    }

    [Fact]
    public void Backward_BatchOfTwo_ReachesEveryParameter()
    {
        using FaceNetModel model = FaceRecognitionNet.Create();
        model.Allocate(CpuBackend.Instance, seed: 5);
        float[] pixels = GradientValues(2 * 3 * 150 * 150, seed: 6);
        using Graph graph = Graph.ForTraining(CpuBackend.Instance);
        Tensor x = graph.FromHost(pixels, 2, 3, 150, 150);
        x.RequiresGrad = true;

        Tensor descriptors = model.Forward(graph, x);
        Tensor seed = graph.FromHost(GradientValues(2 * 128, seed: 7), 2, 128);
        Tensor inputGradient = graph.GradientOf(x);
        graph.Backward(descriptors, seed, keepTensors: true);

        Assert.True(SumOfSquares(inputGradient) > 0, "No gradient reached the input.");
        foreach (Parameter parameter in model.Parameters())
        {
            double norm = SumOfSquares(parameter.Gradient);
            Assert.True(double.IsFinite(norm), $"Parameter {parameter.Name} has gradient norm^2 {norm}.");
            Assert.True(norm > 0, $"Parameter {parameter.Name} received no gradient.");
        }
        graph.Reset();
    }

    internal static float[] Embed(FaceNetModel model, float[] input)
    {
        IBackend backend = model.Parameters().First().Value.Backend;
        using Graph graph = Graph.ForInference(backend);
        Tensor x = graph.FromHost(input, 1, 3, FaceRecognitionNet.InputSize, FaceRecognitionNet.InputSize);
        Tensor y = model.Forward(graph, x);
        float[] result = new float[y.Count];
        backend.Download(y, result);
        return result;
    }

    internal static GoldenFile ReadGoldens()
    {
        string root = DataRoot.FindRepositoryRoot(AppContext.BaseDirectory)
            ?? throw new DirectoryNotFoundException($"No FaceNet.sln above {AppContext.BaseDirectory}.");
        string path = Path.Combine(root, "tests", "FaceNet.Tests", "Pretrained", "face-api-goldens.json");
        return JsonSerializer.Deserialize<GoldenFile>(File.ReadAllText(path),
            new JsonSerializerOptions { PropertyNameCaseInsensitive = true })!;
    }

    private static float[] GradientValues(int count, int seed)
    {
        var random = new Random(seed);
        float[] values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = 255f * random.NextSingle();
        }
        return values;
    }

    private static double SumOfSquares(Tensor t)
    {
        float[] values = new float[t.Count];
        t.Backend.Download(t, values);
        return values.Sum(v => (double)v * v);
    }

    internal sealed record GoldenFile(string Source, string Input, GoldenDescriptor[] Descriptors);

    internal sealed record GoldenDescriptor(string Image, float[] Values);
}
