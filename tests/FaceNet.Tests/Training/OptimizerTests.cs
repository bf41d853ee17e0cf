using FaceNet.Runtime.Autograd;
using FaceNet.Runtime.Cpu;
using FaceNet.Runtime.Tensors;
using FaceNet.Runtime.Training;
using FaceNet.Tests.Support;

namespace FaceNet.Tests.Training;

public class OptimizerTests
{
    // Hand-computed values carry 7 digits; float32 updates of values near 1 round at about 6e-8.
    private const double HandTolerance = 1e-6;

    // Float32 against a double loop over three steps: a few roundings of values below 2 in magnitude.
    private const double ReferenceAbsTolerance = 1e-6;
    private const double ReferenceRelTolerance = 1e-5;

    private static readonly CpuBackend Cpu = CpuBackend.Instance;

    // ---- kernels against hand-computed values (p = 1, constant g = 0.5, lr = 0.1, no decay) ----------

    [Fact]
    public void AdaGradUpdate_ThreeSteps_MatchHandComputed()
    {
        // accumulator 0.25, 0.5, 0.75; p -= 0.1 * 0.5 / sqrt(accumulator).
        double[] expected = [0.9, 0.8292893, 0.7715543];
        using Tensor p = TripletReference.Upload([1f], 1, 1);
        using Tensor g = TripletReference.Upload([0.5f], 1, 1);
        using Tensor accumulator = TripletReference.Upload([0f], 1, 1);

        for (int step = 0; step < 3; step++)
        {
            Cpu.AdaGradUpdate(p, g, accumulator, 0.1f, 1e-10f, 0f);
            Assert.Equal(expected[step], TripletReference.Download(p)[0], HandTolerance);
        }
        Assert.Equal(0.75, TripletReference.Download(accumulator)[0], HandTolerance);
    }

    [Fact]
    public void SgdUpdate_ThreeSteps_MatchHandComputed()
    {
        // velocity 0.5, 0.95, 1.355 with momentum 0.9; p -= 0.1 * velocity.
        double[] expected = [0.95, 0.855, 0.7195];
        using Tensor p = TripletReference.Upload([1f], 1, 1);
        using Tensor g = TripletReference.Upload([0.5f], 1, 1);
        using Tensor velocity = TripletReference.Upload([0f], 1, 1);

        for (int step = 0; step < 3; step++)
        {
            Cpu.SgdUpdate(p, g, velocity, 0.1f, 0.9f, 0f);
            Assert.Equal(expected[step], TripletReference.Download(p)[0], HandTolerance);
        }
        Assert.Equal(1.355, TripletReference.Download(velocity)[0], HandTolerance);
    }

    [Fact]
    public void AdamUpdate_ThreeSteps_MatchHandComputed()
    {
        // With a constant gradient the corrected moments are exactly g and g^2, so every step moves
        // p by lr * 0.5 / (0.5 + 1e-8).
        double[] expected = [0.9, 0.8, 0.7];
        using Tensor p = TripletReference.Upload([1f], 1, 1);
        using Tensor g = TripletReference.Upload([0.5f], 1, 1);
        using Tensor m = TripletReference.Upload([0f], 1, 1);
        using Tensor v = TripletReference.Upload([0f], 1, 1);

        for (int step = 1; step <= 3; step++)
        {
            Cpu.AdamUpdate(p, g, m, v, 0.1f, 0.9f, 0.999f, 1e-8f, 0f, step);
            Assert.Equal(expected[step - 1], TripletReference.Download(p)[0], HandTolerance);
        }
        Assert.Equal(0.5 * (1 - 0.9 * 0.9 * 0.9), TripletReference.Download(m)[0], HandTolerance);
    }

    [Fact]
    public void SgdUpdate_WeightDecay_AddsToGradient()
    {
        // g' = 0.5 + 0.1 * 2 = 0.7; v = 0.7; p = 2 - 0.1 * 0.7.
        using Tensor p = TripletReference.Upload([2f], 1, 1);
        using Tensor g = TripletReference.Upload([0.5f], 1, 1);
        using Tensor velocity = TripletReference.Upload([0f], 1, 1);

        Cpu.SgdUpdate(p, g, velocity, 0.1f, 0.9f, 0.1f);

        Assert.Equal(1.93, TripletReference.Download(p)[0], HandTolerance);
    }

    // ---- kernels against a double loop: SIMD tails and the parallel path ----------------------------

    [Theory]
    [InlineData(1)]
    [InlineData(37)]
    [InlineData(100_003)]
    public void Updates_RandomTensors_MatchDoubleReference(int count)
    {
        float[] p0 = GradientCheck.RandomValues(count, 1);
        float[] g = GradientCheck.RandomValues(count, 2);
        const double lr = 0.05, eps = 1e-6, wd = 0.01, mu = 0.8, b1 = 0.9, b2 = 0.99;
        using Tensor gradient = TripletReference.Upload(g, count, 1);
        using Tensor pa = TripletReference.Upload(p0, count, 1);
        using Tensor pS = TripletReference.Upload(p0, count, 1);
        using Tensor pAdam = TripletReference.Upload(p0, count, 1);
        using Tensor acc = TripletReference.Upload(new float[count], count, 1);
        using Tensor vel = TripletReference.Upload(new float[count], count, 1);
        using Tensor m = TripletReference.Upload(new float[count], count, 1);
        using Tensor v = TripletReference.Upload(new float[count], count, 1);

        for (int step = 1; step <= 3; step++)
        {
            Cpu.AdaGradUpdate(pa, gradient, acc, (float)lr, (float)eps, (float)wd);
            Cpu.SgdUpdate(pS, gradient, vel, (float)lr, (float)mu, (float)wd);
            Cpu.AdamUpdate(pAdam, gradient, m, v, (float)lr, (float)b1, (float)b2, (float)eps, (float)wd, step);
        }

        double[] ea = p0.Select(x => (double)x).ToArray(), es = (double[])ea.Clone(), ed = (double[])ea.Clone();
        for (int i = 0; i < count; i++)
        {
            double accumulator = 0, velocity = 0, first = 0, second = 0;
            for (int step = 1; step <= 3; step++)
            {
                double ga = g[i] + wd * ea[i];
                accumulator += ga * ga;
                ea[i] -= lr * ga / (Math.Sqrt(accumulator) + eps);

                double gs = g[i] + wd * es[i];
                velocity = mu * velocity + gs;
                es[i] -= lr * velocity;

                double gd = g[i] + wd * ed[i];
                first = b1 * first + (1 - b1) * gd;
                second = b2 * second + (1 - b2) * gd * gd;
                double mHat = first / (1 - Math.Pow(b1, step)), vHat = second / (1 - Math.Pow(b2, step));
                ed[i] -= lr * mHat / (Math.Sqrt(vHat) + eps);
            }
        }
        GradientCheck.AssertClose("AdaGradUpdate", ea, TripletReference.Download(pa), ReferenceAbsTolerance,
            ReferenceRelTolerance);
        GradientCheck.AssertClose("SgdUpdate", es, TripletReference.Download(pS), ReferenceAbsTolerance,
            ReferenceRelTolerance);
        GradientCheck.AssertClose("AdamUpdate", ed, TripletReference.Download(pAdam), ReferenceAbsTolerance,
            ReferenceRelTolerance);
    }

    [Fact]
    public void SgdUpdate_StridedViews_TouchOnlyViewElements()
    {
        const int n = 4, wide = 6;
        using Tensor pWide = TripletReference.Upload(Enumerable.Repeat(1f, n * wide).ToArray(), n, wide);
        using Tensor gWide = TripletReference.Upload(Enumerable.Repeat(0.5f, n * wide).ToArray(), n, wide);
        using Tensor vWide = TripletReference.Upload(new float[n * wide], n, wide);

        Cpu.SgdUpdate(pWide.SliceChannels(1, 3), gWide.SliceChannels(2, 3), vWide.SliceChannels(0, 3), 0.1f, 0.9f, 0f);
        double[] p = TripletReference.Download(pWide);

        for (int row = 0; row < n; row++)
        {
            for (int column = 0; column < wide; column++)
            {
                double expected = column is >= 1 and < 4 ? 0.95 : 1.0;
                Assert.Equal(expected, p[row * wide + column], HandTolerance);
            }
        }
    }

    [Fact]
    public void AdamUpdate_StepZero_Throws()
    {
        using Tensor p = TripletReference.Upload([1f], 1, 1);

        Assert.Throws<ArgumentOutOfRangeException>(() =>
            Cpu.AdamUpdate(p, p, p, p, 0.1f, 0.9f, 0.999f, 1e-8f, 0f, 0));
    }

    // ---- optimiser classes -----------------------------------------------------------------------------

    [Fact]
    public void AdaGrad_TwoSteps_UpdatesEveryParameter()
    {
        using var weight = new Parameter("fc.weight", Cpu, 2, 3);
        using var bias = new Parameter("fc.bias", Cpu, 3);
        Cpu.Fill(weight.Value, 1f);
        Cpu.Fill(weight.Gradient, 0.5f);
        Cpu.Fill(bias.Gradient, -0.5f);
        using var optimizer = new AdaGrad([weight, bias]);

        optimizer.Step(AdaGrad.PaperLearningRate);
        optimizer.Step(AdaGrad.PaperLearningRate);

        // Gradients are not cleared by Step, so both steps see g = +-0.5: accumulator 0.25 then 0.5.
        double moved = 0.05 + 0.05 * 0.5 / Math.Sqrt(0.5);
        Assert.Equal(2, optimizer.StepCount);
        Assert.All(TripletReference.Download(weight.Value), value => Assert.Equal(1 - moved, value, HandTolerance));
        Assert.All(TripletReference.Download(bias.Value), value => Assert.Equal(moved, value, HandTolerance));
        Assert.All(TripletReference.Download(optimizer.State["accumulator/fc.bias"]),
            value => Assert.Equal(0.5, value, HandTolerance));
    }

    [Fact]
    public void Optimizer_ZeroGradients_ClearsEveryGradient()
    {
        using var a = new Parameter("a", Cpu, 4);
        using var b = new Parameter("b", Cpu, 2, 2);
        Cpu.Fill(a.Gradient, 3f);
        Cpu.Fill(b.Gradient, -3f);
        using var optimizer = new SgdMomentum([a, b]);

        optimizer.ZeroGradients();

        Assert.All(TripletReference.Download(a.Gradient), value => Assert.Equal(0.0, value));
        Assert.All(TripletReference.Download(b.Gradient), value => Assert.Equal(0.0, value));
    }

    [Fact]
    public void Optimizer_State_NamedBySlotAndParameter()
    {
        using var a = new Parameter("conv1.weight", Cpu, 4);
        using var b = new Parameter("conv1.bias", Cpu, 2);
        using var adam = new Adam([a, b]);

        string[] names = adam.State.Keys.Order(StringComparer.Ordinal).ToArray();

        Assert.Equal(["m/conv1.bias", "m/conv1.weight", "v/conv1.bias", "v/conv1.weight"], names);
        Assert.True(adam.State["v/conv1.weight"].HasShape([4]));
    }

    [Fact]
    public void Adam_ResumeFromState_MatchesUninterruptedRun()
    {
        float[] initial = GradientCheck.RandomValues(9, 81);
        float[][] gradients = Enumerable.Range(0, 3).Select(i => GradientCheck.RandomValues(9, 90 + i)).ToArray();

        using var straight = new Parameter("w", Cpu, 9);
        Cpu.Upload(initial, straight.Value);
        using var straightAdam = new Adam([straight], weightDecay: 0.01f);
        foreach (float[] g in gradients)
        {
            Cpu.Upload(g, straight.Gradient);
            straightAdam.Step(0.01f);
        }

        using var first = new Parameter("w", Cpu, 9);
        Cpu.Upload(initial, first.Value);
        using var firstAdam = new Adam([first], weightDecay: 0.01f);
        for (int i = 0; i < 2; i++)
        {
            Cpu.Upload(gradients[i], first.Gradient);
            firstAdam.Step(0.01f);
        }

        // A fresh optimiser restored from the first one's state, as a checkpoint would do.
        using var resumed = new Parameter("w", Cpu, 9);
        Cpu.Copy(first.Value, resumed.Value);
        using var resumedAdam = new Adam([resumed], weightDecay: 0.01f);
        foreach ((string name, Tensor tensor) in firstAdam.State)
        {
            Cpu.Copy(tensor, resumedAdam.State[name]);
        }
        resumedAdam.StepCount = firstAdam.StepCount;
        Cpu.Upload(gradients[2], resumed.Gradient);
        resumedAdam.Step(0.01f);

        Assert.Equal(TripletReference.Download(straight.Value), TripletReference.Download(resumed.Value));
    }

    [Fact]
    public void Optimizer_DuplicateParameterNames_Throws()
    {
        using var a = new Parameter("w", Cpu, 2);
        using var b = new Parameter("w", Cpu, 3);

        Assert.Throws<ArgumentException>(() => new AdaGrad([a, b]));
    }

    [Fact]
    public void Optimizer_NegativeLearningRate_Throws()
    {
        using var a = new Parameter("w", Cpu, 2);
        using var optimizer = new SgdMomentum([a]);

        Assert.Throws<ArgumentOutOfRangeException>(() => optimizer.Step(-0.1f));
    }

    [Fact]
    public void SgdMomentum_MomentumOne_Throws()
    {
        using var a = new Parameter("w", Cpu, 2);

        Assert.Throws<ArgumentException>(() => new SgdMomentum([a], momentum: 1f));
    }
}
