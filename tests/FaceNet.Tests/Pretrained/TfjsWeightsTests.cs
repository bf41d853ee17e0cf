using System.Buffers.Binary;
using System.Text.Json;
using FaceNet.Runtime.Pretrained;

namespace FaceNet.Tests.Pretrained;

public sealed class TfjsWeightsTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "facenet-tfjs-" + Guid.NewGuid().ToString("N"));

    public TfjsWeightsTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>Writes a one-group manifest whose weights are split over two .bin files.</summary>
    private string WriteModel(object[] weights, byte[] data, int split = -1)
    {
        split = split < 0 ? data.Length / 2 : split;
        File.WriteAllBytes(Path.Combine(_folder, "m.bin1"), data[..split]);
        File.WriteAllBytes(Path.Combine(_folder, "m.bin2"), data[split..]);
        string manifest = Path.Combine(_folder, "m-weights_manifest.json");
        File.WriteAllText(manifest, JsonSerializer.Serialize(new[] { new { paths = new[] { "m.bin1", "m.bin2" }, weights } }));
        return manifest;
    }

    private static byte[] Floats(params float[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), values[i]);
        }
        return bytes;
    }

    [Fact]
    public void Load_Float32AcrossTwoFiles_ReadsValues()
    {
        string manifest = WriteModel(
            [new { name = "a", shape = new[] { 2, 3 }, dtype = "float32" },
             new { name = "b", shape = new[] { 1 }, dtype = "float32" }],
            Floats(1, 2, 3, 4, 5, 6, -7.5f), split: 10);

        TfjsWeights weights = TfjsWeights.Load(manifest);

        Assert.Equal(2, weights.Count);
        Assert.Equal([2, 3], weights["a"].Shape);
        Assert.Equal([1f, 2, 3, 4, 5, 6], weights["a"].Values);
        Assert.Equal([-7.5f], weights["b"].Values);
    }

    [Fact]
    public void Load_Uint8Quantized_Dequantizes()
    {
        string manifest = WriteModel(
            [new { name = "q", shape = new[] { 4 }, dtype = "float32",
                   quantization = new { dtype = "uint8", scale = 0.5, min = -1.0 } },
             new { name = "f", shape = new[] { 1 }, dtype = "float32" }],
            [0, 1, 2, 255, .. Floats(3f)]);

        TfjsWeights weights = TfjsWeights.Load(manifest);

        Assert.Equal([-1f, -0.5f, 0f, 126.5f], weights["q"].Values);
        Assert.Equal([3f], weights["f"].Values);
    }

    [Fact]
    public void Load_Uint16AndFloat16_Dequantizes()
    {
        var data = new byte[8];
        BinaryPrimitives.WriteUInt16LittleEndian(data, 1000);
        BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(2), 65535);
        BinaryPrimitives.WriteHalfLittleEndian(data.AsSpan(4), (Half)1.5f);
        BinaryPrimitives.WriteHalfLittleEndian(data.AsSpan(6), (Half)(-0.25f));
        string manifest = WriteModel(
            [new { name = "u", shape = new[] { 2 }, dtype = "float32",
                   quantization = new { dtype = "uint16", scale = 0.001, min = 2.0 } },
             new { name = "h", shape = new[] { 2 }, dtype = "float32", quantization = new { dtype = "float16" } }],
            data);

        TfjsWeights weights = TfjsWeights.Load(manifest);

        Assert.Equal([3f, (float)(65535 * 0.001 + 2.0)], weights["u"].Values);
        Assert.Equal([1.5f, -0.25f], weights["h"].Values);
    }

    [Fact]
    public void Load_Int32Quantized_RoundsLikeJavaScript()
    {
        string manifest = WriteModel(
            [new { name = "i", shape = new[] { 3 }, dtype = "int32",
                   quantization = new { dtype = "uint8", scale = 0.5, min = -3.0 } }],
            [1, 3, 8]);

        TfjsWeights weights = TfjsWeights.Load(manifest);

        // -2.5 rounds to -2 and -1.5 to -1 with Math.round, which rounds halves up.
        Assert.Equal([-2f, -1f, 1f], weights["i"].Values);
    }

    [Fact]
    public void Indexer_MissingName_ListsSimilarNames()
    {
        string manifest = WriteModel([new { name = "conv/filters", shape = new[] { 1 }, dtype = "float32" }], Floats(1));
        TfjsWeights weights = TfjsWeights.Load(manifest);

        var error = Assert.Throws<KeyNotFoundException>(() => weights["conv/bias"]);

        Assert.Contains("'conv/bias'", error.Message);
        Assert.Contains("conv/filters", error.Message);
    }

    [Fact]
    public void Get_WrongShape_NamesBothShapes()
    {
        string manifest = WriteModel([new { name = "w", shape = new[] { 2, 2 }, dtype = "float32" }], Floats(1, 2, 3, 4));
        TfjsWeights weights = TfjsWeights.Load(manifest);

        var error = Assert.Throws<InvalidDataException>(() => weights.Get("w", 4));

        Assert.Contains("[2, 2]", error.Message);
        Assert.Contains("[4]", error.Message);
    }

    [Fact]
    public void Load_ShortFile_NamesWeightAndBytes()
    {
        string manifest = WriteModel([new { name = "w", shape = new[] { 3 }, dtype = "float32" }], Floats(1, 2));

        var error = Assert.Throws<InvalidDataException>(() => TfjsWeights.Load(manifest));

        Assert.Contains("'w'", error.Message);
        Assert.Contains("8 bytes", error.Message);
    }

    [Fact]
    public void Load_UnknownDtype_Throws()
    {
        string manifest = WriteModel([new { name = "s", shape = new[] { 1 }, dtype = "string" }], Floats(1));

        var error = Assert.Throws<InvalidDataException>(() => TfjsWeights.Load(manifest));

        Assert.Contains("'string'", error.Message);
    }

    [Fact]
    public void Load_UnknownQuantization_Throws()
    {
        string manifest = WriteModel(
            [new { name = "s", shape = new[] { 1 }, dtype = "float32", quantization = new { dtype = "int4" } }], Floats(1));

        var error = Assert.Throws<InvalidDataException>(() => TfjsWeights.Load(manifest));

        Assert.Contains("'int4'", error.Message);
    }

    [Fact]
    public void ConvolutionFilter_Hwio_BecomesOihw()
    {
        // [KH=2, KW=1, Cin=2, Cout=3]: value = 100 * kh + 10 * cin + cout.
        var values = new float[12];
        for (int kh = 0; kh < 2; kh++)
        {
            for (int ci = 0; ci < 2; ci++)
            {
                for (int co = 0; co < 3; co++)
                {
                    values[(kh * 2 + ci) * 3 + co] = 100 * kh + 10 * ci + co;
                }
            }
        }

        float[] oihw = TfLayout.ConvolutionFilter(new TfjsTensor("f", [2, 1, 2, 3], values));

        // OIHW index: ((co * 2 + ci) * 2 + kh).
        Assert.Equal(112f, oihw[(2 * 2 + 1) * 2 + 1]);
        Assert.Equal(10f, oihw[(0 * 2 + 1) * 2 + 0]);
        Assert.Equal(102f, oihw[(2 * 2 + 0) * 2 + 1]);
    }

    [Fact]
    public void DepthwiseFilter_Hwc1_BecomesC1hw()
    {
        // [KH=2, KW=2, C=3, 1]: value = 10 * (kh * 2 + kw) + c.
        var values = new float[12];
        for (int k = 0; k < 4; k++)
        {
            for (int c = 0; c < 3; c++)
            {
                values[k * 3 + c] = 10 * k + c;
            }
        }

        float[] chw = TfLayout.DepthwiseFilter(new TfjsTensor("d", [2, 2, 3, 1], values));

        Assert.Equal([0f, 10, 20, 30, 1, 11, 21, 31, 2, 12, 22, 32], chw);
    }

    [Fact]
    public void DenseWeight_InOut_BecomesOutIn()
    {
        float[] outIn = TfLayout.DenseWeight(new TfjsTensor("fc", [2, 3], [1, 2, 3, 4, 5, 6]));

        Assert.Equal([1f, 4, 2, 5, 3, 6], outIn);
    }

    [Fact]
    public void Load_RecognitionManifest_HasEveryLayer()
    {
        TfjsWeights weights = TfjsWeights.Load(PretrainedModels.Manifest(FaceApiModel.FaceRecognition));

        Assert.Equal(117, weights.Count);
        Assert.Equal([7, 7, 3, 32], weights["conv32_down/conv/filters"].Shape);
        Assert.Equal([3, 3, 256, 256], weights["conv256_down_out/conv2/conv/filters"].Shape);
        Assert.Equal([256, 128], weights["fc"].Shape);

        // Quantisation min and scale of conv32_down/scale/weights are 5.7887 and 0.0681, so every value
        // lies in [5.7887, 5.7887 + 255 * 0.0681].
        float[] scale = weights["conv32_down/scale/weights"].Values;
        Assert.All(scale, v => Assert.InRange(v, 5.78f, 23.2f));
    }
}
