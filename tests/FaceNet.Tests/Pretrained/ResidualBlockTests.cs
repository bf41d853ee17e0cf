using FaceNet.Runtime.Autograd;
using FaceNet.Runtime.Cpu;
using FaceNet.Runtime.Pretrained;
using FaceNet.Tests.Support;

namespace FaceNet.Tests.Pretrained;

/// <summary>The ResNet's residual block against a double-precision reference, forward and input gradient.</summary>
public sealed class ResidualBlockTests
{
    /// <summary>Two 3x3 convolutions over at most 6 channels sum about 100 float terms each: rounding near 1e-5.</summary>
    private const double Absolute = 2e-4;

    /// <summary>Relative part, for outputs far from 0.</summary>
    private const double Relative = 2e-3;

    [Theory]
    [InlineData(4, 4, false, 5)]
    [InlineData(3, 6, true, 7)]
    [InlineData(3, 5, true, 8)]
    [InlineData(4, 4, true, 4)]
    public void Forward_Case_MatchesReference(int inChannels, int outChannels, bool downsample, int size)
    {
        using var block = new ResidualBlock("block", inChannels, outChannels, downsample);
        block.AssignPaths("");
        block.Allocate(CpuBackend.Instance, new Random(31));
        Dictionary<string, double[]> weights = RandomizeWeights(block);
        const int n = 2;

        GradientCheck.Run($"ResidualBlock {inChannels}->{outChannels} down={downsample} {size}x{size}",
            [new CheckInput([n, inChannels, size, size], GradientCheck.RandomValues(n * inChannels * size * size, 32))],
            (graph, t) => block.Forward(graph, t[0]),
            x => Reference(x[0], weights, n, inChannels, outChannels, size, downsample), Absolute, Relative);
    }

    /// <summary>Gives the scale and shift values away from 1 and 0, and returns every parameter in double.</summary>
    private static Dictionary<string, double[]> RandomizeWeights(ResidualBlock block)
    {
        var result = new Dictionary<string, double[]>();
        int seed = 40;
        foreach (Parameter parameter in block.Parameters())
        {
            float[] values = GradientCheck.RandomValues(parameter.Count, seed++, scale: 0.5f);
            if (parameter.Name.EndsWith(".scale", StringComparison.Ordinal))
            {
                values = values.Select(v => 1f + v).ToArray();
            }
            parameter.Value.Backend.Upload(values, parameter.Value);
            result[parameter.Name] = values.Select(v => (double)v).ToArray();
        }
        return result;
    }

    private static double[] Reference(double[] x, Dictionary<string, double[]> w, int n, int cin, int cout, int size,
        bool down)
    {
        int stride = down ? 2 : 1;
        int pad = down ? 0 : 1;
        (double[] a, int s1) = ScaledConv(x, w, "block.conv1", n, cin, cout, size, stride, pad, relu: true);
        (double[] b, int s2) = ScaledConv(a, w, "block.conv2", n, cout, cout, s1, 1, 1, relu: false);
        int outSize = down ? size / 2 : size;
        var y = new double[n * cout * outSize * outSize];
        for (int i = 0; i < y.Length; i++)
        {
            int col = i % outSize, row = i / outSize % outSize, c = i / (outSize * outSize) % cout, s = i / (outSize * outSize * cout);
            double main = row < s2 && col < s2 ? b[((s * cout + c) * s2 + row) * s2 + col] : 0;
            double shortcut;
            if (!down)
            {
                shortcut = x[((s * cin + c) * size + row) * size + col];
            }
            else if (c < cin)
            {
                shortcut = 0;
                for (int dy = 0; dy < 2; dy++)
                {
                    for (int dx = 0; dx < 2; dx++)
                    {
                        shortcut += x[((s * cin + c) * size + 2 * row + dy) * size + 2 * col + dx] / 4;
                    }
                }
            }
            else
            {
                shortcut = 0;
            }
            y[i] = Math.Max(main + shortcut, 0);
        }
        return y;
    }

    private static (double[] Output, int Size) ScaledConv(double[] x, Dictionary<string, double[]> w, string path, int n,
        int cin, int cout, int size, int stride, int pad, bool relu)
    {
        double[] filter = w[path + ".weight"], bias = w[path + ".bias"], scale = w[path + ".scale"], shift = w[path + ".shift"];
        int outSize = (size + 2 * pad - 3) / stride + 1;
        var y = new double[n * cout * outSize * outSize];
        for (int s = 0; s < n; s++)
        {
            for (int o = 0; o < cout; o++)
            {
                for (int row = 0; row < outSize; row++)
                {
                    for (int col = 0; col < outSize; col++)
                    {
                        double sum = bias[o];
                        for (int i = 0; i < cin; i++)
                        {
                            for (int kh = 0; kh < 3; kh++)
                            {
                                for (int kw = 0; kw < 3; kw++)
                                {
                                    int h = row * stride - pad + kh, c = col * stride - pad + kw;
                                    if (h >= 0 && h < size && c >= 0 && c < size)
                                    {
                                        sum += filter[((o * cin + i) * 3 + kh) * 3 + kw] * x[((s * cin + i) * size + h) * size + c];
                                    }
                                }
                            }
                        }
                        double v = sum * scale[o] + shift[o];
                        y[((s * cout + o) * outSize + row) * outSize + col] = relu ? Math.Max(v, 0) : v;
                    }
                }
            }
        }
        return (y, outSize);
    }
}
