using FaceNet.Runtime.Embedding;
using FaceNet.Runtime.Imaging;

namespace FaceNet.Tests.Embedding;

/// <summary>Unit-length scaling and mirror averaging of descriptors that a model returns at any length.</summary>
public sealed class UnitDescriptorModelTests
{
    private const int Side = 3;

    /// <summary>
    /// A model whose descriptor is the first image row of the red plane times 2 followed by the sum of all
    /// values: left-right order matters to it, so mirroring changes what it returns.
    /// </summary>
    private sealed class RowModel : IEmbeddingModel
    {
        public int Calls { get; private set; }

        public int LastCount { get; private set; }

        public string Name => "row";

        public string Checksum => "row-1";

        public int Dimension => Side + 1;

        public Preprocessing Preprocessing { get; } = Preprocessing.StandardizedSquare(Side);

        public void Embed(ReadOnlySpan<float> batch, int count, Span<float> output)
        {
            Calls++;
            LastCount = count;
            int sample = Preprocessing.SampleSize;
            for (int i = 0; i < count; i++)
            {
                ReadOnlySpan<float> x = batch.Slice(i * sample, sample);
                for (int k = 0; k < Side; k++)
                {
                    output[i * Dimension + k] = 2 * x[k];
                }
                float sum = 0;
                foreach (float v in x)
                {
                    sum += v;
                }
                output[i * Dimension + Side] = sum;
            }
        }

        public void Dispose()
        {
        }
    }

    private static float[] Samples(int count)
    {
        float[] values = new float[count * RgbImage.Channels * Side * Side];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (i * 7 % 11) - 3;
        }
        return values;
    }

    private static float[] Unit(float[] v)
    {
        double length = Math.Sqrt(v.Sum(x => (double)x * x));
        return v.Select(x => (float)(x / length)).ToArray();
    }

    [Fact]
    public void Embed_NoMirror_ScalesToUnitLength()
    {
        var inner = new RowModel();
        using var model = new UnitDescriptorModel(inner, mirror: false);
        float[] batch = Samples(2);
        float[] raw = new float[2 * inner.Dimension];
        inner.Embed(batch, 2, raw);

        float[] output = new float[2 * model.Dimension];
        model.Embed(batch, 2, output);

        for (int i = 0; i < 2; i++)
        {
            float[] expected = Unit(raw[(i * 4)..(i * 4 + 4)]);
            Assert.Equal(expected, output[(i * 4)..(i * 4 + 4)], new Tolerance(1e-6f));
        }
    }

    [Fact]
    public void Embed_Mirror_AddsMirrorDescriptor()
    {
        var inner = new RowModel();
        using var model = new UnitDescriptorModel(inner, mirror: true);
        float[] batch = Samples(2);
        int sample = inner.Preprocessing.SampleSize;

        float[] output = new float[2 * model.Dimension];
        model.Embed(batch, 2, output);

        Assert.Equal(1, inner.Calls);
        Assert.Equal(4, inner.LastCount);
        for (int i = 0; i < 2; i++)
        {
            float[] x = batch[(i * sample)..((i + 1) * sample)];
            // The first red row reversed, and the same sum: the model's output for the mirror image.
            float[] expected = Unit([
                2 * x[0] + 2 * x[2], 2 * x[1] + 2 * x[1], 2 * x[2] + 2 * x[0], 2 * x.Sum(),
            ]);
            Assert.Equal(expected, output[(i * 4)..(i * 4 + 4)], new Tolerance(1e-6f));
        }
    }

    [Fact]
    public void Embed_ZeroDescriptor_StaysZero()
    {
        using var model = new UnitDescriptorModel(new RowModel(), mirror: false);
        float[] output = new float[model.Dimension];

        model.Embed(new float[model.Preprocessing.SampleSize], 1, output);

        Assert.All(output, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void NameAndChecksum_NameTheSteps()
    {
        using var plain = new UnitDescriptorModel(new RowModel(), mirror: false);
        using var mirrored = new UnitDescriptorModel(new RowModel(), mirror: true);

        Assert.Equal("row-1+unit", plain.Checksum);
        Assert.Equal("row-1+mirror+unit", mirrored.Checksum);
        Assert.Contains("mirror-averaged", mirrored.Name);
    }

    [Fact]
    public void Embed_ShortOutput_Throws()
    {
        using var model = new UnitDescriptorModel(new RowModel(), mirror: true);

        Assert.Throws<ArgumentException>(() => model.Embed(Samples(2), 2, new float[model.Dimension]));
    }

    private sealed class Tolerance(float bound) : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => Math.Abs(x - y) <= bound;

        public int GetHashCode(float obj) => 0;
    }
}
