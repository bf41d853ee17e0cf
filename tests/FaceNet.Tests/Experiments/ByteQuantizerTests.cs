using FaceNet.Runtime.Evaluation;
using FaceNet.Runtime.Experiments;

namespace FaceNet.Tests.Experiments;

public sealed class ByteQuantizerTests
{
    private const int Dimension = 16;

    /// <summary>Unit vectors with seeded Gaussian components, as a trained model's embeddings roughly are.</summary>
    private static float[][] UnitVectors(int count, int seed)
    {
        var random = new Random(seed);
        var vectors = new float[count][];
        for (int i = 0; i < count; i++)
        {
            var v = new float[Dimension];
            double norm = 0;
            for (int d = 0; d < Dimension; d++)
            {
                double u1 = 1 - random.NextDouble(), u2 = random.NextDouble();
                v[d] = (float)(Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
                norm += v[d] * v[d];
            }
            for (int d = 0; d < Dimension; d++)
            {
                v[d] = (float)(v[d] / Math.Sqrt(norm));
            }
            vectors[i] = v;
        }
        return vectors;
    }

    [Theory]
    [InlineData(QuantizationScheme.FixedUnit)]
    [InlineData(QuantizationScheme.GlobalCalibrated)]
    [InlineData(QuantizationScheme.PerDimension)]
    public void RoundTrip_CalibrationVectors_ErrorWithinHalfStep(QuantizationScheme scheme)
    {
        float[][] vectors = UnitVectors(200, seed: 3);
        ByteQuantizer quantizer = ByteQuantizer.Fit(scheme, vectors);

        foreach (float[] v in vectors)
        {
            float[] back = quantizer.RoundTrip(v);
            for (int d = 0; d < Dimension; d++)
            {
                // Half a step plus float rounding of offset + step * q.
                float bound = quantizer.Steps[d] / 2 + 1e-6f;
                Assert.True(Math.Abs(back[d] - v[d]) <= bound,
                    $"{scheme}: dimension {d} value {v[d]} came back as {back[d]}, more than {bound} away.");
            }
        }
        Assert.Equal(0.0, quantizer.SaturatedFraction(vectors));
    }

    [Fact]
    public void Fit_GlobalCalibrated_UsesLargestMagnitude()
    {
        float[][] vectors = [[0.1f, -0.4f], [0.3f, 0.2f]];

        ByteQuantizer quantizer = ByteQuantizer.Fit(QuantizationScheme.GlobalCalibrated, vectors);

        Assert.Equal(-0.4f, quantizer.Offsets[0]);
        Assert.Equal(-0.4f, quantizer.Offsets[1]);
        Assert.Equal(0.8f / 255, quantizer.Steps[0], 6);
    }

    [Fact]
    public void Fit_PerDimension_CoversEachDimensionsRange()
    {
        float[][] vectors = [[0.1f, -0.4f], [0.3f, 0.2f]];

        ByteQuantizer quantizer = ByteQuantizer.Fit(QuantizationScheme.PerDimension, vectors);

        Assert.Equal([(byte)0, (byte)0], quantizer.Quantize([0.1f, -0.4f]));
        Assert.Equal([(byte)255, (byte)255], quantizer.Quantize([0.3f, 0.2f]));
    }

    [Fact]
    public void Quantize_OutOfRange_Saturates()
    {
        ByteQuantizer quantizer = ByteQuantizer.Fit(QuantizationScheme.GlobalCalibrated, [[0.5f, -0.5f]]);

        byte[] codes = quantizer.Quantize([2f, -2f]);

        Assert.Equal(255, codes[0]);
        Assert.Equal(0, codes[1]);
        Assert.Equal(1.0, quantizer.SaturatedFraction([[2f, -2f]]));
    }

    [Fact]
    public void Quantize_NaN_MapsToLevelZero()
    {
        ByteQuantizer quantizer = ByteQuantizer.FixedUnit(2);

        Assert.Equal(0, quantizer.Quantize([float.NaN, 0f])[0]);
    }

    [Fact]
    public void Quantize_WrongLength_Throws()
    {
        ByteQuantizer quantizer = ByteQuantizer.FixedUnit(4);

        Assert.Throws<ArgumentException>(() => quantizer.Quantize([0f, 0f]));
    }

    [Fact]
    public void Fit_ConstantDimension_KeepsPositiveStep()
    {
        ByteQuantizer quantizer = ByteQuantizer.Fit(QuantizationScheme.PerDimension, [[0.25f], [0.25f]]);

        Assert.True(quantizer.Steps[0] > 0);
        Assert.Equal(0.25f, quantizer.RoundTrip([0.25f])[0], 5);
    }

    [Fact]
    public void Store_RoundTrip_KeepsNamesCodesAndRanges()
    {
        float[][] vectors = UnitVectors(5, seed: 8);
        ByteQuantizer quantizer = ByteQuantizer.Fit(QuantizationScheme.PerDimension, vectors);
        var named = vectors.Select((v, i) => new NamedEmbedding($"person_{i}/image, \"{i}\".jpg", v)).ToArray();
        using var stream = new MemoryStream();

        QuantizedEmbeddingStore.Write(stream, quantizer, named);
        stream.Position = 0;
        QuantizedEmbeddings read = QuantizedEmbeddingStore.Read(stream, "memory");

        Assert.Equal(named.Select(n => n.Name), read.Names);
        Assert.Equal(quantizer.Offsets, read.Quantizer.Offsets);
        Assert.Equal(quantizer.Steps, read.Quantizer.Steps);
        for (int i = 0; i < named.Length; i++)
        {
            Assert.Equal(quantizer.Quantize(vectors[i]), read.Codes[i]);
            Assert.Equal(quantizer.RoundTrip(vectors[i]), read.ToEmbeddings()[i].Vector);
        }
    }

    [Fact]
    public void Store_BytesPerFace_IsDimension()
    {
        float[][] vectors = UnitVectors(10, seed: 1);
        ByteQuantizer quantizer = ByteQuantizer.FixedUnit(Dimension);
        using var empty = new MemoryStream();
        using var full = new MemoryStream();

        QuantizedEmbeddingStore.Write(empty, quantizer, vectors.Select(v => new NamedEmbedding("", v)).Take(0).ToArray());
        QuantizedEmbeddingStore.Write(full, quantizer, vectors.Select(v => new NamedEmbedding("", v)).ToArray());

        // Each face adds its name length (int32, here an empty name) and one byte per dimension.
        Assert.Equal(10 * (4 + Dimension), full.Length - empty.Length);
    }

    [Fact]
    public void Store_Truncated_IsRejected()
    {
        ByteQuantizer quantizer = ByteQuantizer.FixedUnit(Dimension);
        using var stream = new MemoryStream();
        QuantizedEmbeddingStore.Write(stream, quantizer, UnitVectors(3, seed: 2).Select(v => new NamedEmbedding("x", v)).ToArray());
        byte[] cut = stream.ToArray()[..^5];

        var error = Assert.Throws<InvalidDataException>(() => QuantizedEmbeddingStore.Read(new MemoryStream(cut), "cut.fneq"));

        Assert.Contains("truncated", error.Message);
    }

    [Fact]
    public void Store_FloatFile_IsRejected()
    {
        using var stream = new MemoryStream();
        EmbeddingStore.WriteBinary(stream, [new NamedEmbedding("a", [1f, 0f])]);
        stream.Position = 0;

        var error = Assert.Throws<InvalidDataException>(() => QuantizedEmbeddingStore.Read(stream, "float.bin"));

        Assert.Contains("FNEQ", error.Message);
    }
}
