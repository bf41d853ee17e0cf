using FaceNet.Runtime.Operations;
using FaceNet.Runtime.Tensors;
using FaceNet.Tests.Support;

namespace FaceNet.Tests.Operations;

public class DetectorOperationTests
{
    /// <summary>Random values kept at least 0.05 away from <paramref name="kinks"/>, where finite differences fail.</summary>
    private static float[] AwayFrom(int count, int seed, params float[] kinks)
    {
        float[] values = GradientCheck.RandomValues(count, seed).Select(v => v * 8f).ToArray();
        for (int i = 0; i < values.Length; i++)
        {
            foreach (float kink in kinks)
            {
                if (MathF.Abs(values[i] - kink) < 0.05f)
                {
                    values[i] = kink + MathF.CopySign(0.05f, values[i] - kink);
                }
            }
        }
        return values;
    }

    [Theory]
    [InlineData(new[] { 2, 3, 3, 5 })]
    [InlineData(new[] { 1, 7 })]
    public void LeakyRelu_Case_MatchesReference(int[] dims)
    {
        int count = dims.Aggregate(1, (a, b) => a * b);
        float[] x = AwayFrom(count, 61, 0f);

        GradientCheck.Run($"LeakyRelu {Tensor.Format(dims)}", [new CheckInput(dims, x)],
            (g, t) => PiecewiseActivations.LeakyRelu(g, t[0], 0.1f),
            r => r[0].Select(v => v > 0 ? v : (double)0.1f * v).ToArray());
    }

    [Theory]
    [InlineData(new[] { 2, 3, 3, 5 })]
    [InlineData(new[] { 1, 9 })]
    public void Relu6_Case_MatchesReference(int[] dims)
    {
        int count = dims.Aggregate(1, (a, b) => a * b);
        float[] x = AwayFrom(count, 62, 0f, 6f);

        GradientCheck.Run($"Relu6 {Tensor.Format(dims)}", [new CheckInput(dims, x)],
            (g, t) => PiecewiseActivations.Relu6(g, t[0]),
            r => r[0].Select(v => Math.Min(Math.Max(v, 0), 6)).ToArray());
    }

    [Fact]
    public void Clip_InvertedBounds_Throws()
    {
        using var graph = FaceNet.Runtime.Autograd.Graph.ForInference(FaceNet.Runtime.Cpu.CpuBackend.Instance);
        Tensor x = graph.FromHost([1f, 2f], 1, 2);

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => PiecewiseActivations.Clip(graph, x, 3f, 1f));

        Assert.Contains("[3, 1]", error.Message);
    }

    [Fact]
    public void Crop2d_Window_MatchesReference()
    {
        int[] dims = [2, 3, 5, 6];
        float[] x = GradientCheck.RandomValues(180, 66);

        GradientCheck.Run("Crop2d", [new CheckInput(dims, x)],
            (g, t) => Cropping.Crop2d(g, t[0], 1, 2, 3, 4),
            r =>
            {
                var y = new List<double>();
                for (int n = 0; n < 2; n++)
                {
                    for (int c = 0; c < 3; c++)
                    {
                        for (int h = 1; h < 4; h++)
                        {
                            for (int w = 2; w < 6; w++)
                            {
                                y.Add(r[0][((n * 3 + c) * 5 + h) * 6 + w]);
                            }
                        }
                    }
                }
                return y.ToArray();
            });
    }
}
