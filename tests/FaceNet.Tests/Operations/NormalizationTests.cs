using FaceNet.Runtime.Autograd;
using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Cpu;
using FaceNet.Runtime.Operations;
using FaceNet.Runtime.Tensors;
using FaceNet.Tests.Support;

namespace FaceNet.Tests.Operations;

public class NormalizationTests
{
    private const float Epsilon = 1e-5f;

    // ---- LRN ------------------------------------------------------------------------------------

    [Theory]
    [InlineData(2, 7, 3, 2, 5)]   // odd channel count, window inside and at the edges
    [InlineData(1, 3, 2, 3, 5)]   // window wider than the channels
    [InlineData(2, 6, 2, 2, 4)]   // even window, one channel more below than above
    [InlineData(1, 4, 1, 1, 1)]   // batch 1, 1x1 spatial, window of one channel
    public void Lrn_Case_MatchesReference(int n, int c, int h, int w, int size)
    {
        // A large alpha makes the cross-channel term of the gradient visible next to the diagonal one.
        var p = new LrnParameters(size, Alpha: 2f, Beta: 0.75f, K: 1.5f);
        float[] x = GradientCheck.RandomValues(n * c * h * w, seed: 21);
        GradientCheck.Run($"Lrn {n}x{c}x{h}x{w} size {size}", [new CheckInput([n, c, h, w], x)],
            (g, t) => Normalization.Lrn(g, t[0], p),
            r => ReferenceLrn(r[0], n, c, h * w, p));
    }

    [Fact]
    public void Lrn_KnownInput_MatchesHandComputedValue()
    {
        // Channels 1, 2, 3 at one pixel, size 3, alpha 0.3 (0.1 per channel), beta 0.5, k 1:
        // y0 = 1 / sqrt(1 + 0.1 * (1 + 4)), y1 = 2 / sqrt(1 + 0.1 * 14), y2 = 3 / sqrt(1 + 0.1 * 13).
        // PyTorch 1.13 local_response_norm gives 0.8165, 1.2910, 1.9781.
        using Graph graph = Graph.ForInference(CpuBackend.Instance);
        Tensor x = graph.FromHost([1, 2, 3], 1, 3, 1, 1);

        float[] y = PoolingTests.Download(Normalization.Lrn(graph, x, new LrnParameters(3, 0.3f, 0.5f, 1f)));

        Assert.Equal(1 / Math.Sqrt(1.5), y[0], 1e-6);
        Assert.Equal(2 / Math.Sqrt(2.4), y[1], 1e-6);
        Assert.Equal(3 / Math.Sqrt(2.3), y[2], 1e-6);
    }

    [Fact]
    public void Lrn_EvenSize_WindowReachesOneChannelDown()
    {
        // Size 2 sums channels [c - 1, c] as Torch and PyTorch do: PyTorch 1.13 gives 0.9091, 1.3333, 1.3043,
        // 1.1429 for channels 1, 2, 3, 4 with alpha 0.2, beta 1, k 1.
        using Graph graph = Graph.ForInference(CpuBackend.Instance);
        Tensor x = graph.FromHost([1, 2, 3, 4], 1, 4, 1, 1);

        float[] y = PoolingTests.Download(Normalization.Lrn(graph, x, new LrnParameters(2, 0.2f, 1f, 1f)));

        Assert.Equal(1 / 1.1, y[0], 1e-6);
        Assert.Equal(2 / 1.5, y[1], 1e-6);
        Assert.Equal(3 / 2.3, y[2], 1e-6);
        Assert.Equal(4 / 3.5, y[3], 1e-6);
    }

    [Fact]
    public void Lrn_StridedInputAndOutput_MatchesReference()
    {
        var p = new LrnParameters(5, Alpha: 2f, Beta: 0.75f, K: 1.5f);
        float[] x = GradientCheck.RandomValues(2 * 6 * 2 * 3, seed: 22);
        GradientCheck.Run("Lrn on views", [new CheckInput([2, 6, 2, 3], x)],
            (g, t) =>
            {
                ChannelConcat concat = Concat.Allocate(g, 2, [1, 6], 2, 3);
                Tensor y = Normalization.Lrn(g, StridedViews.ChannelSliceOf(g, t[0]), p, output: concat[1]);
                concat.Finish();
                return y;
            },
            r => ReferenceLrn(r[0], 2, 6, 6, p));
    }

    [Fact]
    public void Lrn_LargeBatch_MatchesPerSampleRuns()
    {
        // A batch of two is large enough for the kernels to split pixel blocks over threads; one sample alone
        // runs on the calling thread. Both must give the same numbers.
        const int c = 16, h = 16, w = 16;
        int sample = c * h * w;
        float[] x = GradientCheck.RandomValues(2 * sample, seed: 23, scale: 3f);
        float[] dy = GradientCheck.RandomValues(2 * sample, seed: 24);

        (float[] y, float[] dx) = RunLrnKernels(2, c, h, w, x, dy);
        for (int n = 0; n < 2; n++)
        {
            (float[] ySample, float[] dxSample) = RunLrnKernels(1, c, h, w, x.AsSpan(n * sample, sample).ToArray(),
                dy.AsSpan(n * sample, sample).ToArray());

            Assert.Equal(ySample, y.AsSpan(n * sample, sample).ToArray());
            Assert.Equal(dxSample, dx.AsSpan(n * sample, sample).ToArray());
        }
    }

    [Fact]
    public void Lrn_NonPositiveK_Throws()
    {
        using Graph graph = Graph.ForInference(CpuBackend.Instance);
        Tensor x = graph.NewZeroTensor(1, 3, 2, 2);

        Assert.Throws<ArgumentException>(() => Normalization.Lrn(graph, x, new LrnParameters(5, 1e-4f, 0.75f, 0f)));
    }

    // ---- batch normalisation ------------------------------------------------------------------

    [Theory]
    [InlineData(new[] { 3, 2, 2, 3 })]  // NCHW with odd spatial size
    [InlineData(new[] { 1, 3, 2, 2 })]  // batch 1: statistics over the spatial positions only
    [InlineData(new[] { 5, 4 })]        // (N, F)
    [InlineData(new[] { 2, 1, 1, 1 })]  // two values per channel, the fewest training accepts
    public void BatchNorm_Training_MatchesReference(int[] dims)
    {
        int channels = dims[1];
        int count = dims.Aggregate(1, (a, b) => a * b);
        float[] x = GradientCheck.RandomValues(count, seed: 31, scale: 2f);
        float[] gamma = GradientCheck.RandomValues(channels, seed: 32);
        float[] beta = GradientCheck.RandomValues(channels, seed: 33);
        float[] ones = Enumerable.Repeat(1f, channels).ToArray();
        GradientCheck.Run($"BatchNorm training {Tensor.Format(dims)}",
            [
                new CheckInput(dims, x), new CheckInput([channels], gamma), new CheckInput([channels], beta),
                new CheckInput([channels], new float[channels], NeedsGradient: false),
                new CheckInput([channels], ones, NeedsGradient: false),
            ],
            (g, t) => Normalization.BatchNorm(g, t[0], t[1], t[2], t[3], t[4], momentum: 0.1f, Epsilon),
            r => ReferenceBatchNormTraining(r[0], r[1], r[2], dims));
    }

    [Fact]
    public void BatchNorm_StridedInputAndOutput_MatchesReference()
    {
        int[] dims = [3, 2, 2, 2];
        float[] x = GradientCheck.RandomValues(24, seed: 34, scale: 2f);
        GradientCheck.Run("BatchNorm training on views",
            [
                new CheckInput(dims, x), new CheckInput([2], [0.5f, -1.5f]), new CheckInput([2], [0.3f, 0.1f]),
                new CheckInput([2], [0f, 0f], NeedsGradient: false),
                new CheckInput([2], [1f, 1f], NeedsGradient: false),
            ],
            (g, t) =>
            {
                ChannelConcat concat = Concat.Allocate(g, 3, [2, 3], 2, 2);
                Tensor y = Normalization.BatchNorm(g, StridedViews.ChannelSliceOf(g, t[0]), t[1], t[2], t[3], t[4],
                    momentum: 0.1f, Epsilon, output: concat[0]);
                concat.Finish();
                return y;
            },
            r => ReferenceBatchNormTraining(r[0], r[1], r[2], dims));
    }

    [Fact]
    public void BatchNorm_Training_UpdatesRunningStatistics()
    {
        // Channel 0 contains 1, 2, 3, 6 (mean 3, unbiased variance 14 / 3); channel 1 contains 0, 0, 4, 4
        // (mean 2, unbiased variance 16 / 3). Running statistics start at mean 1 and variance 2.
        using Graph graph = Graph.ForTraining(CpuBackend.Instance);
        Tensor x = graph.FromHost([1, 2, 0, 0, 3, 6, 4, 4], 2, 2, 1, 2);
        Tensor gamma = graph.FromHost([1, 1], 2);
        Tensor beta = graph.FromHost([0, 0], 2);
        Tensor runningMean = graph.FromHost([1, 1], 2);
        Tensor runningVar = graph.FromHost([2, 2], 2);

        Normalization.BatchNorm(graph, x, gamma, beta, runningMean, runningVar, momentum: 0.25f, Epsilon);

        float[] mean = PoolingTests.Download(runningMean);
        float[] variance = PoolingTests.Download(runningVar);
        Assert.Equal(0.75 * 1 + 0.25 * 3, mean[0], 1e-6);
        Assert.Equal(0.75 * 1 + 0.25 * 2, mean[1], 1e-6);
        Assert.Equal(0.75 * 2 + 0.25 * 14.0 / 3, variance[0], 1e-5);
        Assert.Equal(0.75 * 2 + 0.25 * 16.0 / 3, variance[1], 1e-5);
    }

    [Fact]
    public void BatchNorm_Inference_MatchesReference()
    {
        int[] dims = [2, 3, 2, 2];
        float[] x = GradientCheck.RandomValues(24, seed: 41, scale: 2f);
        float[] gamma = [0.5f, -1f, 2f];
        float[] beta = [0.1f, 0.2f, -0.3f];
        float[] mean = [0.3f, -0.2f, 0f];
        float[] variance = [0.5f, 2f, 0.01f];
        using Graph graph = Graph.ForInference(CpuBackend.Instance);

        Tensor y = Normalization.BatchNorm(graph, graph.FromHost(x, dims), graph.FromHost(gamma, 3),
            graph.FromHost(beta, 3), graph.FromHost(mean, 3), graph.FromHost(variance, 3), 0.1f, Epsilon);

        double[] expected = ReferenceBatchNormInference(x, gamma, beta, mean, variance, dims);
        GradientCheck.AssertClose("BatchNorm inference", expected,
            PoolingTests.Download(y).Select(v => (double)v).ToArray(), 1e-5, 1e-5);
    }

    [Fact]
    public void BatchNorm_Inference_SampleAloneEqualsSampleInBatch()
    {
        float[] batch = GradientCheck.RandomValues(4 * 2 * 3 * 3, seed: 42, scale: 3f);
        float[] alone = batch.AsSpan(2 * 18, 18).ToArray();

        float[] inBatch = RunInference(batch, [4, 2, 3, 3]).AsSpan(2 * 18, 18).ToArray();
        float[] single = RunInference(alone, [1, 2, 3, 3]);

        Assert.Equal(inBatch, single);
    }

    [Fact]
    public void BatchNorm_Inference_LeavesRunningStatisticsUnchanged()
    {
        using Graph graph = Graph.ForInference(CpuBackend.Instance);
        Tensor runningMean = graph.FromHost([0.5f, -0.5f], 2);
        Tensor runningVar = graph.FromHost([1.5f, 2.5f], 2);

        Normalization.BatchNorm(graph, graph.FromHost(GradientCheck.RandomValues(8, seed: 43), 2, 2, 1, 2),
            graph.FromHost([1, 1], 2), graph.FromHost([0, 0], 2), runningMean, runningVar, 0.1f, Epsilon);

        Assert.Equal(new[] { 0.5f, -0.5f }, PoolingTests.Download(runningMean));
        Assert.Equal(new[] { 1.5f, 2.5f }, PoolingTests.Download(runningVar));
    }

    [Fact]
    public void BatchNorm_InferenceWithTape_GradientsMatchFiniteDifferences()
    {
        // An inference graph that records gradients (fine-tuning with frozen statistics) treats mean and
        // variance as constants.
        int[] dims = [2, 2, 1, 3];
        float[] x = GradientCheck.RandomValues(12, seed: 44);
        float[] gamma = [0.7f, -1.3f];
        float[] beta = [0.2f, 0.4f];
        float[] mean = [0.1f, -0.3f];
        float[] variance = [0.8f, 1.7f];
        float[] upstream = GradientCheck.RandomValues(12, seed: 45);
        using var graph = new Graph(CpuBackend.Instance, training: false, recordGradients: true);
        Tensor xt = graph.FromHost(x, dims);
        Tensor gammaT = graph.FromHost(gamma, 2);
        Tensor betaT = graph.FromHost(beta, 2);
        xt.RequiresGrad = gammaT.RequiresGrad = betaT.RequiresGrad = true;

        Tensor y = Normalization.BatchNorm(graph, xt, gammaT, betaT, graph.FromHost(mean, 2),
            graph.FromHost(variance, 2), 0.1f, Epsilon);
        graph.Backward(y, graph.FromHost(upstream, dims), keepTensors: true);

        double[][] inputs = [x.Select(v => (double)v).ToArray(), gamma.Select(v => (double)v).ToArray(),
            beta.Select(v => (double)v).ToArray()];
        Func<double[][], double[]> reference = r => ReferenceBatchNormInference(
            r[0].Select(v => (float)v).ToArray(), r[1].Select(v => (float)v).ToArray(),
            r[2].Select(v => (float)v).ToArray(), mean, variance, dims);
        Tensor[] tensors = [xt, gammaT, betaT];
        for (int i = 0; i < 3; i++)
        {
            double[] numeric = GradientCheck.NumericGradient(
                r => ReferenceBatchNormInferenceDouble(r[0], r[1], r[2], mean, variance, dims), inputs, i, upstream);
            double[] analytic = PoolingTests.Download(graph.GradientOf(tensors[i])).Select(v => (double)v).ToArray();
            GradientCheck.AssertClose($"BatchNorm inference gradient of input {i}", numeric, analytic, 2e-4, 2e-3);
        }
        GradientCheck.AssertClose("BatchNorm inference forward", reference(inputs),
            PoolingTests.Download(y).Select(v => (double)v).ToArray(), 1e-5, 1e-5);
    }

    [Fact]
    public void BatchNorm_TrainingSingleValuePerChannel_Throws()
    {
        using Graph graph = Graph.ForTraining(CpuBackend.Instance);
        Tensor x = graph.NewZeroTensor(1, 2, 1, 1);
        Tensor[] stats = Enumerable.Range(0, 4).Select(_ => graph.NewZeroTensor(2)).ToArray();

        Assert.Throws<ArgumentException>(() =>
            Normalization.BatchNorm(graph, x, stats[0], stats[1], stats[2], stats[3], 0.1f, Epsilon));
    }

    [Fact]
    public void BatchNorm_GammaOfWrongLength_Throws()
    {
        using Graph graph = Graph.ForInference(CpuBackend.Instance);
        Tensor x = graph.NewZeroTensor(2, 3, 1, 1);
        Tensor good = graph.NewZeroTensor(3);

        Assert.Throws<ArgumentException>(() =>
            Normalization.BatchNorm(graph, x, graph.NewZeroTensor(4), good, good, good, 0.1f, Epsilon));
    }

    // ---- references ---------------------------------------------------------------------------

    private static (float[] Y, float[] Dx) RunLrnKernels(int n, int c, int h, int w, float[] x, float[] dy)
    {
        CpuBackend backend = CpuBackend.Instance;
        using Graph graph = Graph.ForInference(backend);
        Tensor xt = graph.FromHost(x, n, c, h, w);
        Tensor yt = graph.NewTensor(n, c, h, w);
        Tensor scale = graph.NewTensor(n, c, h, w);
        Tensor dyt = graph.FromHost(dy, n, c, h, w);
        Tensor dxt = graph.NewZeroTensor(n, c, h, w);

        backend.LrnForward(LrnParameters.Default, xt, yt, scale);
        backend.LrnBackward(LrnParameters.Default, xt, yt, scale, dyt, dxt);

        return (PoolingTests.Download(yt), PoolingTests.Download(dxt));
    }

    private static float[] RunInference(float[] x, int[] dims)
    {
        using Graph graph = Graph.ForInference(CpuBackend.Instance);
        Tensor y = Normalization.BatchNorm(graph, graph.FromHost(x, dims), graph.FromHost([1.5f, -0.5f], 2),
            graph.FromHost([0.25f, 1f], 2), graph.FromHost([0.2f, -0.1f], 2), graph.FromHost([0.9f, 3f], 2),
            0.1f, Epsilon);
        return PoolingTests.Download(y);
    }

    internal static double[] ReferenceLrn(double[] x, int n, int c, int plane, LrnParameters p)
    {
        double[] y = new double[x.Length];
        for (int b = 0; b < n; b++)
        {
            for (int ch = 0; ch < c; ch++)
            {
                for (int i = 0; i < plane; i++)
                {
                    double sum = 0;
                    for (int j = ch - p.Size / 2; j <= ch + (p.Size - 1) / 2; j++)
                    {
                        if (j >= 0 && j < c)
                        {
                            double v = x[(b * c + j) * plane + i];
                            sum += v * v;
                        }
                    }
                    int at = (b * c + ch) * plane + i;
                    y[at] = x[at] / Math.Pow(p.K + (double)p.Alpha / p.Size * sum, p.Beta);
                }
            }
        }
        return y;
    }

    private static double[] ReferenceBatchNormTraining(double[] x, double[] gamma, double[] beta, int[] dims)
    {
        int n = dims[0];
        int c = dims[1];
        int plane = dims.Length == 4 ? dims[2] * dims[3] : 1;
        double[] y = new double[x.Length];
        for (int ch = 0; ch < c; ch++)
        {
            IEnumerable<int> positions = Enumerable.Range(0, n)
                .SelectMany(b => Enumerable.Range(0, plane).Select(i => (b * c + ch) * plane + i)).ToArray();
            double mean = positions.Average(at => x[at]);
            double variance = positions.Average(at => (x[at] - mean) * (x[at] - mean));
            foreach (int at in positions)
            {
                y[at] = gamma[ch] * (x[at] - mean) / Math.Sqrt(variance + Epsilon) + beta[ch];
            }
        }
        return y;
    }

    private static double[] ReferenceBatchNormInference(float[] x, float[] gamma, float[] beta, float[] mean,
        float[] variance, int[] dims) =>
        ReferenceBatchNormInferenceDouble(x.Select(v => (double)v).ToArray(), gamma.Select(v => (double)v).ToArray(),
            beta.Select(v => (double)v).ToArray(), mean, variance, dims);

    private static double[] ReferenceBatchNormInferenceDouble(double[] x, double[] gamma, double[] beta,
        float[] mean, float[] variance, int[] dims)
    {
        int c = dims[1];
        int plane = dims.Length == 4 ? dims[2] * dims[3] : 1;
        double[] y = new double[x.Length];
        for (int at = 0; at < x.Length; at++)
        {
            int ch = at / plane % c;
            y[at] = gamma[ch] * (x[at] - mean[ch]) / Math.Sqrt(variance[ch] + (double)Epsilon) + beta[ch];
        }
        return y;
    }
}
