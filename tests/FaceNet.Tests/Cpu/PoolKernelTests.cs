using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Cpu;
using FaceNet.Runtime.Tensors;
using FaceNet.Tests.Support;

namespace FaceNet.Tests.Cpu;

/// <summary>
/// The CPU pooling forward pass reduces the window rows with vector operations first, then the columns, with
/// shifted vector operations for the full windows of stride 1. These tests use rows wider than a vector (37
/// columns) so both the vectorised interior and the clipped edges run, against a double-precision reference.
/// </summary>
public class PoolKernelTests
{
    /// <summary>Sums of at most 25 terms below 1 in float32.</summary>
    private const double Tolerance = 1e-5;

    public static TheoryData<PoolKind, int, int, int, bool> Cases()
    {
        var data = new TheoryData<PoolKind, int, int, int, bool>();
        foreach (PoolKind kind in new[] { PoolKind.Max, PoolKind.Average, PoolKind.L2 })
        {
            data.Add(kind, 3, 1, 1, false);
            data.Add(kind, 5, 1, 2, false);
            data.Add(kind, 3, 1, 0, true);
            data.Add(kind, 3, 2, 1, true);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Pool2dForward_WideRows_MatchesReference(PoolKind kind, int kernel, int stride, int pad, bool ceil)
    {
        var g = new Pool2dGeometry(2, 3, 9, 37, kernel, kernel, stride, stride, pad, pad, ceil);
        float[] x = GradientCheck.RandomValues(g.N * g.Channels * g.H * g.W, seed: 41);
        CpuBackend backend = CpuBackend.Instance;
        using Tensor xs = Upload(backend, x, g.N, g.Channels, g.H, g.W);
        using Tensor ys = Upload(backend, new float[g.N * g.Channels * g.OutH * g.OutW], g.N, g.Channels, g.OutH,
            g.OutW);

        backend.Pool2dForward(kind, g, xs, ys);

        GradientCheck.AssertClose($"{kind} pool k{kernel} s{stride} p{pad} ceil {ceil}", Reference(kind, g, x),
            Download(backend, ys), Tolerance, Tolerance);
    }

    [Fact]
    public void MaxPool2dBackward_TiedWideRows_GradientGoesToFirstMaximum()
    {
        // Values from {0, 1, 2} make most windows tie; the first maximum in row-major order takes the gradient.
        var g = new Pool2dGeometry(1, 2, 7, 37, 3, 3, 1, 1, 1, 1);
        var random = new Random(42);
        float[] x = Enumerable.Range(0, g.Channels * g.H * g.W).Select(_ => (float)random.Next(3)).ToArray();
        float[] dy = GradientCheck.RandomValues(g.Channels * g.OutH * g.OutW, seed: 43);
        CpuBackend backend = CpuBackend.Instance;
        using Tensor xs = Upload(backend, x, 1, g.Channels, g.H, g.W);
        using Tensor ys = Upload(backend, new float[dy.Length], 1, g.Channels, g.OutH, g.OutW);
        using Tensor dys = Upload(backend, dy, 1, g.Channels, g.OutH, g.OutW);
        using Tensor dxs = Upload(backend, new float[x.Length], 1, g.Channels, g.H, g.W);

        backend.Pool2dForward(PoolKind.Max, g, xs, ys);
        backend.Pool2dBackward(PoolKind.Max, g, xs, ys, dys, dxs);

        var expected = new double[x.Length];
        ForEachWindow(g, (plane, o, window) =>
        {
            int best = window[0];
            foreach (int i in window)
            {
                if (x[i] > x[best])
                {
                    best = i;
                }
            }
            expected[best] += dy[plane * g.OutH * g.OutW + o];
        });
        GradientCheck.AssertClose("max pool backward with ties", expected, Download(backend, dxs), Tolerance,
            Tolerance);
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

    /// <summary>
    /// Calls visit(plane, output index within the plane, input indices of the window in row-major order) for
    /// every output. The window is clipped to the input; the average divisor uses the extent inside the padding.
    /// </summary>
    private static void ForEachWindow(Pool2dGeometry g, Action<int, int, List<int>> visit)
    {
        for (int plane = 0; plane < g.N * g.Channels; plane++)
        {
            for (int oh = 0; oh < g.OutH; oh++)
            {
                for (int ow = 0; ow < g.OutW; ow++)
                {
                    var window = new List<int>();
                    for (int h = oh * g.StrideH - g.PadH; h < oh * g.StrideH - g.PadH + g.KernelH; h++)
                    {
                        for (int w = ow * g.StrideW - g.PadW; w < ow * g.StrideW - g.PadW + g.KernelW; w++)
                        {
                            if (h >= 0 && h < g.H && w >= 0 && w < g.W)
                            {
                                window.Add((plane * g.H + h) * g.W + w);
                            }
                        }
                    }
                    visit(plane, oh * g.OutW + ow, window);
                }
            }
        }
    }

    private static double[] Reference(PoolKind kind, Pool2dGeometry g, float[] x)
    {
        var y = new double[g.N * g.Channels * g.OutH * g.OutW];
        ForEachWindow(g, (plane, o, window) =>
        {
            int oh = o / g.OutW;
            int ow = o % g.OutW;
            int paddedH = Math.Min(oh * g.StrideH - g.PadH + g.KernelH, g.H + g.PadH) - (oh * g.StrideH - g.PadH);
            int paddedW = Math.Min(ow * g.StrideW - g.PadW + g.KernelW, g.W + g.PadW) - (ow * g.StrideW - g.PadW);
            y[plane * g.OutH * g.OutW + o] = kind switch
            {
                PoolKind.Max => window.Max(i => (double)x[i]),
                PoolKind.Average => window.Sum(i => (double)x[i]) / (paddedH * paddedW),
                _ => Math.Sqrt(window.Sum(i => (double)x[i] * x[i])),
            };
        });
        return y;
    }
}
