using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Cpu;
using FaceNet.Runtime.Tensors;
using FaceNet.Tests.Support;

namespace FaceNet.Tests.Cpu;

/// <summary>
/// The CPU LRN kernels keep a ring of per-channel rows and compute <c>scale^-beta</c> with square roots for beta
/// 0.75 and 0.5 and with exp/log otherwise. These tests compare both kernels with a double-precision reference
/// on planes larger than one pixel block (256) with vector tails, for each exponent path and an even window.
/// </summary>
public class LrnKernelTests
{
    /// <summary>Float32 rounding of a few products and one power; the values are of order 1.</summary>
    private const double Absolute = 2e-5;

    /// <summary>Relative part, for the larger outputs.</summary>
    private const double Relative = 2e-5;

    [Theory]
    [InlineData(5, 0.75f)]
    [InlineData(5, 0.5f)]
    [InlineData(5, 0.6f)]
    [InlineData(4, 0.75f)]
    [InlineData(9, 1f)]
    public void LrnKernels_LargePlane_MatchReference(int size, float beta)
    {
        const int n = 2, c = 7, h = 17, w = 19;
        var p = new LrnParameters(size, Alpha: 2f, Beta: beta, K: 1.5f);
        int count = n * c * h * w;
        float[] x = GradientCheck.RandomValues(count, seed: 31, scale: 2f);
        float[] dy = GradientCheck.RandomValues(count, seed: 32);
        float[] dxStart = GradientCheck.RandomValues(count, seed: 33);
        CpuBackend backend = CpuBackend.Instance;
        using Tensor xs = Upload(backend, x, n, c, h, w);
        using Tensor ys = Upload(backend, new float[count], n, c, h, w);
        using Tensor scale = Upload(backend, new float[count], n, c, h, w);
        using Tensor dys = Upload(backend, dy, n, c, h, w);
        using Tensor dxs = Upload(backend, dxStart, n, c, h, w);

        backend.LrnForward(p, xs, ys, scale);
        backend.LrnBackward(p, xs, ys, scale, dys, dxs);

        (double[] y, double[] dx) = Reference(x, dy, n, c, h * w, p);
        string what = $"LRN size {size} beta {beta}";
        GradientCheck.AssertClose(what + " forward", y, Download(backend, ys), Absolute, Relative);
        GradientCheck.AssertClose(what + " backward", dx.Zip(dxStart, (d, s) => d + s).ToArray(),
            Download(backend, dxs), Absolute, Relative);
    }

    [Theory]
    [InlineData(0.75f)]
    [InlineData(0.5f)]
    [InlineData(0.3f)]
    public void PowerOfMinusBeta_OddLength_MatchesMathPow(float beta)
    {
        float[] s = Enumerable.Range(0, 37).Select(i => 1f + i * 0.37f).ToArray();
        var result = new float[s.Length];

        CpuBackend.PowerOfMinusBeta(s, beta, result);

        double[] expected = s.Select(v => Math.Pow(v, -beta)).ToArray();
        GradientCheck.AssertClose($"s^-{beta}", expected, result.Select(v => (double)v).ToArray(), 1e-6, 1e-6);
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
    /// y = x * s^-beta with s = K + Alpha / Size * sum of x^2 over channels [c - Size / 2, c + (Size - 1) / 2],
    /// and dx = dy * s^-beta - 2 Alpha Beta / Size * x * sum of dy * y / s over the windows containing c.
    /// </summary>
    private static (double[] Y, double[] Dx) Reference(float[] x, float[] dy, int n, int c, int plane,
        LrnParameters p)
    {
        var s = new double[x.Length];
        var y = new double[x.Length];
        var dx = new double[x.Length];
        int before = p.Size / 2;
        int after = p.Size - 1 - before;
        for (int b = 0; b < n; b++)
        {
            for (int i = 0; i < plane; i++)
            {
                int At(int channel) => (b * c + channel) * plane + i;
                for (int ch = 0; ch < c; ch++)
                {
                    double sum = 0;
                    for (int j = Math.Max(0, ch - before); j <= Math.Min(c - 1, ch + after); j++)
                    {
                        sum += (double)x[At(j)] * x[At(j)];
                    }
                    s[At(ch)] = p.K + (double)p.Alpha / p.Size * sum;
                    y[At(ch)] = x[At(ch)] * Math.Pow(s[At(ch)], -p.Beta);
                }
                for (int ch = 0; ch < c; ch++)
                {
                    double sum = 0;
                    for (int j = Math.Max(0, ch - after); j <= Math.Min(c - 1, ch + before); j++)
                    {
                        sum += dy[At(j)] * y[At(j)] / s[At(j)];
                    }
                    dx[At(ch)] = dy[At(ch)] * Math.Pow(s[At(ch)], -p.Beta) -
                        2.0 * p.Alpha * p.Beta / p.Size * x[At(ch)] * sum;
                }
            }
        }
        return (y, dx);
    }
}
