using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Cpu;
using FaceNet.Runtime.Tensors;
using FaceNet.Tests.Support;

namespace FaceNet.Tests.Cpu;

/// <summary>
/// The CPU convolution kernels unroll several samples side by side into one GEMM. These tests run the three
/// kernels with one sample per product, with chunks that leave a remainder, and with one chunk per worker,
/// on channel-slice views (offset and batch stride), against a double-precision reference. The cases cover the
/// general im2col, the pointwise copy, the one-copy-per-tap path of stride-1 convolutions whose output is as
/// wide as the input, and the vectorised stride-2 gather on rows of more than 16 outputs.
/// </summary>
public class ConvolutionChunkTests
{
    /// <summary>Each output sums at most 5 * 3 * 3 = 45 float products of values below 1.</summary>
    private const double Absolute = 1e-4;

    /// <summary>Relative part, for gradients that sum over the batch and many positions.</summary>
    private const double Relative = 1e-4;

    /// <summary>Column targets: one sample per product, 2 or 3 samples per product, a whole share per product.</summary>
    public static TheoryData<string, int, string> Cases()
    {
        var data = new TheoryData<string, int, string>();
        foreach (string provider in new[] { "managed", "openblas" })
        {
            foreach (int target in new[] { 1, 40, 1 << 20 })
            {
                foreach (string name in Geometries.Keys)
                {
                    data.Add(provider, target, name);
                }
            }
        }
        return data;
    }

    private static readonly Dictionary<string, Conv2dGeometry> Geometries = new()
    {
        ["OddThreeByThree"] = new(7, 3, 5, 7, 4, 3, 3, 1, 1, 1, 1),
        ["StrideTwoPadded"] = new(5, 2, 7, 6, 3, 3, 3, 2, 2, 1, 1),
        ["Pointwise"] = new(7, 5, 3, 3, 6, 1, 1, 1, 1, 0, 0),
        ["PointwiseStrideTwo"] = new(5, 3, 5, 5, 2, 1, 1, 2, 2, 0, 0),
        ["RectangularKernel"] = new(6, 2, 5, 6, 3, 1, 3, 1, 2, 1, 0),
        ["OneByOneOutput"] = new(5, 3, 3, 3, 4, 3, 3, 1, 1, 0, 0),
        ["FiveByFiveSamePadded"] = new(5, 2, 6, 7, 3, 5, 5, 1, 1, 2, 2),
        ["TallKernelSamePadded"] = new(5, 2, 4, 5, 3, 3, 1, 1, 1, 1, 0),
        ["KernelWiderThanInput"] = new(3, 2, 2, 3, 2, 5, 5, 1, 1, 2, 2),
        ["StrideTwoWideRows"] = new(3, 2, 5, 71, 2, 7, 7, 2, 2, 3, 3),
        ["StrideTwoWideRowsUnpadded"] = new(2, 2, 3, 67, 3, 3, 3, 2, 2, 0, 0),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Conv2dForward_Chunked_MatchesReference(string provider, int target, string name)
    {
        Conv2dGeometry g = Geometries[name];
        CpuBackend backend = Backend(provider, target);
        Data data = Data.Create(g);
        using Tensor xWide = SliceHost(backend, data.X, g.N, g.InChannels, g.H, g.W, out Tensor x);
        using Tensor weight = Upload(backend, data.Weight, g.OutChannels, g.InChannels, g.KernelH, g.KernelW);
        using Tensor bias = Upload(backend, data.Bias, g.OutChannels);
        using Tensor yWide = SliceHost(backend, new float[g.N * g.OutChannels * g.OutH * g.OutW], g.N,
            g.OutChannels, g.OutH, g.OutW, out Tensor y);

        backend.Conv2dForward(g, x, weight, bias, y, relu: true);

        double[] expected = ReferenceForward(g, data).Select(v => Math.Max(v, 0)).ToArray();
        GradientCheck.AssertClose($"Conv2dForward {name}, target {target} ({provider})", expected,
            Download(backend, y), Absolute, Relative);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Conv2dBackwardData_Chunked_MatchesReference(string provider, int target, string name)
    {
        Conv2dGeometry g = Geometries[name];
        CpuBackend backend = Backend(provider, target);
        Data data = Data.Create(g);
        using Tensor dyWide = SliceHost(backend, data.Dy, g.N, g.OutChannels, g.OutH, g.OutW, out Tensor dy);
        using Tensor weight = Upload(backend, data.Weight, g.OutChannels, g.InChannels, g.KernelH, g.KernelW);
        float[] initial = GradientCheck.RandomValues(g.N * g.InChannels * g.H * g.W, 9);
        using Tensor dxWide = SliceHost(backend, initial, g.N, g.InChannels, g.H, g.W, out Tensor dx);

        backend.Conv2dBackwardData(g, dy, weight, dx);

        double[] expected = ReferenceBackwardData(g, data).Zip(initial, (d, start) => d + start).ToArray();
        GradientCheck.AssertClose($"Conv2dBackwardData {name}, target {target} ({provider})", expected,
            Download(backend, dx), Absolute, Relative);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Conv2dBackwardFilter_Chunked_MatchesReference(string provider, int target, string name)
    {
        Conv2dGeometry g = Geometries[name];
        CpuBackend backend = Backend(provider, target);
        Data data = Data.Create(g);
        using Tensor xWide = SliceHost(backend, data.X, g.N, g.InChannels, g.H, g.W, out Tensor x);
        using Tensor dyWide = SliceHost(backend, data.Dy, g.N, g.OutChannels, g.OutH, g.OutW, out Tensor dy);
        float[] initialWeight = GradientCheck.RandomValues(g.OutChannels * g.InChannels * g.KernelH * g.KernelW, 10);
        float[] initialBias = GradientCheck.RandomValues(g.OutChannels, 11);
        using Tensor dWeight = Upload(backend, initialWeight, g.OutChannels, g.InChannels, g.KernelH, g.KernelW);
        using Tensor dBias = Upload(backend, initialBias, g.OutChannels);

        backend.Conv2dBackwardFilter(g, x, dy, dWeight, dBias);

        (double[] weightGradient, double[] biasGradient) = ReferenceBackwardFilter(g, data);
        string what = $"Conv2dBackwardFilter {name}, target {target} ({provider})";
        GradientCheck.AssertClose(what + " weight", weightGradient.Zip(initialWeight, (d, s) => d + s).ToArray(),
            Download(backend, dWeight), Absolute, Relative);
        GradientCheck.AssertClose(what + " bias", biasGradient.Zip(initialBias, (d, s) => d + s).ToArray(),
            Download(backend, dBias), Absolute, Relative);
    }

    private static CpuBackend Backend(string provider, int target) => new(provider == "managed"
        ? GemmProviderKind.Managed
        : GemmProviderKind.OpenBlas)
    {
        ConvolutionColumnTarget = target,
    };

    /// <summary>Seeded inputs of one case in sample-major NCHW order.</summary>
    private sealed record Data(float[] X, float[] Weight, float[] Bias, float[] Dy)
    {
        public static Data Create(Conv2dGeometry g) => new(
            GradientCheck.RandomValues(g.N * g.InChannels * g.H * g.W, 1),
            GradientCheck.RandomValues(g.OutChannels * g.InChannels * g.KernelH * g.KernelW, 2),
            GradientCheck.RandomValues(g.OutChannels, 3),
            GradientCheck.RandomValues(g.N * g.OutChannels * g.OutH * g.OutW, 4));
    }

    /// <summary>
    /// Uploads values of shape (n, c, h, w) as channels [1, 1 + c) of a wider (n, c + 3, h, w) tensor. Its other
    /// channels contain 100, so a kernel that ignores Offset or BatchStride reads or writes the wrong values.
    /// </summary>
    private static Tensor SliceHost(CpuBackend backend, float[] values, int n, int c, int h, int w, out Tensor slice)
    {
        int wideChannels = c + 3;
        var host = new float[n * wideChannels * h * w];
        System.Array.Fill(host, 100f);
        int plane = h * w;
        for (int i = 0; i < n; i++)
        {
            values.AsSpan(i * c * plane, c * plane).CopyTo(host.AsSpan((i * wideChannels + 1) * plane));
        }
        Tensor wide = Upload(backend, host, n, wideChannels, h, w);
        slice = wide.SliceChannels(1, c);
        return wide;
    }

    private static Tensor Upload(CpuBackend backend, float[] values, params int[] dims)
    {
        Tensor tensor = Tensor.Own(backend.Allocate(values.Length), dims);
        backend.Upload(values, tensor);
        return tensor;
    }

    private static double[] Download(CpuBackend backend, Tensor tensor)
    {
        var host = new float[tensor.Count];
        backend.Download(tensor, host);
        return host.Select(v => (double)v).ToArray();
    }

    /// <summary>Input index of tap (kh, kw) at output (oh, ow), or -1 on padding.</summary>
    private static int InputIndex(Conv2dGeometry g, int n, int ci, int oh, int ow, int kh, int kw)
    {
        int ih = oh * g.StrideH - g.PadH + kh;
        int iw = ow * g.StrideW - g.PadW + kw;
        if (ih < 0 || ih >= g.H || iw < 0 || iw >= g.W)
        {
            return -1;
        }
        return ((n * g.InChannels + ci) * g.H + ih) * g.W + iw;
    }

    /// <summary>Calls visit(output index, weight index, input index) for every multiply-add of the forward pass.</summary>
    private static void ForEachTap(Conv2dGeometry g, Action<int, int, int> visit)
    {
        for (int n = 0; n < g.N; n++)
        {
            for (int co = 0; co < g.OutChannels; co++)
            {
                for (int oh = 0; oh < g.OutH; oh++)
                {
                    for (int ow = 0; ow < g.OutW; ow++)
                    {
                        int output = ((n * g.OutChannels + co) * g.OutH + oh) * g.OutW + ow;
                        for (int ci = 0; ci < g.InChannels; ci++)
                        {
                            for (int kh = 0; kh < g.KernelH; kh++)
                            {
                                for (int kw = 0; kw < g.KernelW; kw++)
                                {
                                    int input = InputIndex(g, n, ci, oh, ow, kh, kw);
                                    if (input >= 0)
                                    {
                                        visit(output, ((co * g.InChannels + ci) * g.KernelH + kh) * g.KernelW + kw,
                                            input);
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    private static double[] ReferenceForward(Conv2dGeometry g, Data data)
    {
        var y = new double[g.N * g.OutChannels * g.OutH * g.OutW];
        int plane = g.OutH * g.OutW;
        for (int i = 0; i < y.Length; i++)
        {
            y[i] = data.Bias[i / plane % g.OutChannels];
        }
        ForEachTap(g, (output, weight, input) => y[output] += (double)data.Weight[weight] * data.X[input]);
        return y;
    }

    private static double[] ReferenceBackwardData(Conv2dGeometry g, Data data)
    {
        var dx = new double[data.X.Length];
        ForEachTap(g, (output, weight, input) => dx[input] += (double)data.Weight[weight] * data.Dy[output]);
        return dx;
    }

    private static (double[] Weight, double[] Bias) ReferenceBackwardFilter(Conv2dGeometry g, Data data)
    {
        var dw = new double[data.Weight.Length];
        var db = new double[g.OutChannels];
        ForEachTap(g, (output, weight, input) => dw[weight] += (double)data.X[input] * data.Dy[output]);
        int plane = g.OutH * g.OutW;
        for (int i = 0; i < data.Dy.Length; i++)
        {
            db[i / plane % g.OutChannels] += data.Dy[i];
        }
        return (dw, db);
    }
}
