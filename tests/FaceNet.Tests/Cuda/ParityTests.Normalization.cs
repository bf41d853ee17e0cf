using FaceNet.Runtime.Backends;

namespace FaceNet.Tests.Cuda;

public sealed partial class ParityTests
{
    [Theory]
    [InlineData(2, 7, 5, 3, 5)]
    [InlineData(1, 16, 4, 4, 5)]
    [InlineData(3, 3, 2, 5, 4)]
    public void Lrn_ForwardAndBackwardOnSlices_MatchesCpu(int n, int channels, int h, int w, int size)
    {
        var p = new LrnParameters(size, 1e-1f, 0.75f, 1f); // alpha 0.1 so the window sum matters at float precision
        using TensorPair input = Random(60, n, channels + 2, h, w);
        using TensorPair x = input.Slice(1, channels);
        using TensorPair output = Random(61, n, channels + 1, h, w);
        using TensorPair y = output.Slice(1, channels);
        using TensorPair scale = Random(62, n, channels, h, w);
        using TensorPair dy = Random(63, n, channels, h, w);
        using TensorPair inputGradient = Random(64, n, channels + 2, h, w);
        using TensorPair dx = inputGradient.Slice(2, channels);

        _cpu.LrnForward(p, x.Cpu, y.Cpu, scale.Cpu);
        _cuda.LrnForward(p, x.Cuda, y.Cuda, scale.Cuda);
        AssertClose(output, Transcendental, $"LrnForward y, C={channels}, size {size}");
        AssertClose(scale, Transcendental, $"LrnForward scale, C={channels}, size {size}");

        _cpu.LrnBackward(p, x.Cpu, y.Cpu, scale.Cpu, dy.Cpu, dx.Cpu);
        _cuda.LrnBackward(p, x.Cuda, y.Cuda, scale.Cuda, dy.Cuda, dx.Cuda);
        AssertClose(inputGradient, Transcendental, $"LrnBackward, C={channels}, size {size}");
    }

    [Theory]
    [InlineData(new[] { 4, 3, 5, 7 })]
    [InlineData(new[] { 2, 5, 17, 17 })]
    [InlineData(new[] { 9, 6 })]
    public void BatchNorm_TrainingInferenceBackward_MatchesCpu(int[] dims)
    {
        int channels = dims[1];
        using TensorPair x = Uniform(70, 0.5f, 3f, dims);
        using TensorPair gamma = Uniform(71, 0.5f, 1.5f, channels);
        using TensorPair beta = Random(72, channels);
        using TensorPair y = Random(73, dims);
        using TensorPair mean = Random(74, channels);
        using TensorPair invStd = Random(75, channels);
        using TensorPair runningMean = Random(76, channels);
        using TensorPair runningVar = Uniform(77, 0.5f, 2f, channels);

        _cpu.BatchNormForwardTraining(x.Cpu, gamma.Cpu, beta.Cpu, y.Cpu, mean.Cpu, invStd.Cpu, runningMean.Cpu,
            runningVar.Cpu, 0.1f, 1e-5f);
        _cuda.BatchNormForwardTraining(x.Cuda, gamma.Cuda, beta.Cuda, y.Cuda, mean.Cuda, invStd.Cuda, runningMean.Cuda,
            runningVar.Cuda, 0.1f, 1e-5f);
        AssertClose(y, Statistics, "BatchNormForwardTraining y");
        AssertClose(mean, Statistics, "BatchNormForwardTraining saved mean");
        AssertClose(invStd, Statistics, "BatchNormForwardTraining saved inverse std");
        AssertClose(runningMean, Statistics, "BatchNormForwardTraining running mean");
        AssertClose(runningVar, Statistics, "BatchNormForwardTraining running variance");

        _cpu.BatchNormForwardInference(x.Cpu, gamma.Cpu, beta.Cpu, runningMean.Cpu, runningVar.Cpu, 1e-5f, y.Cpu);
        _cuda.BatchNormForwardInference(x.Cuda, gamma.Cuda, beta.Cuda, runningMean.Cuda, runningVar.Cuda, 1e-5f, y.Cuda);
        AssertClose(y, Statistics, "BatchNormForwardInference y");

        using TensorPair dy = Random(78, dims);
        using TensorPair dx = Random(79, dims);
        using TensorPair dGamma = Random(80, channels);
        using TensorPair dBeta = Random(81, channels);
        _cpu.BatchNormBackward(x.Cpu, dy.Cpu, gamma.Cpu, mean.Cpu, invStd.Cpu, dx.Cpu, dGamma.Cpu, dBeta.Cpu);
        _cuda.BatchNormBackward(x.Cuda, dy.Cuda, gamma.Cuda, mean.Cuda, invStd.Cuda, dx.Cuda, dGamma.Cuda, dBeta.Cuda);
        AssertClose(dx, Statistics, "BatchNormBackward dx");
        AssertClose(dGamma, Statistics, "BatchNormBackward dGamma");
        AssertClose(dBeta, Statistics, "BatchNormBackward dBeta");
    }

    [Fact]
    public void BatchNorm_ChannelSliceInput_MatchesCpu()
    {
        using TensorPair input = Uniform(82, -2f, 2f, 3, 6, 4, 5);
        using TensorPair x = input.Slice(2, 3);
        using TensorPair output = Random(83, 3, 5, 4, 5);
        using TensorPair y = output.Slice(1, 3);
        using TensorPair gamma = Uniform(84, 0.5f, 1.5f, 3);
        using TensorPair beta = Random(85, 3);
        using TensorPair mean = Random(86, 3);
        using TensorPair invStd = Random(87, 3);
        using TensorPair runningMean = Random(88, 3);
        using TensorPair runningVar = Uniform(89, 0.5f, 2f, 3);

        _cpu.BatchNormForwardTraining(x.Cpu, gamma.Cpu, beta.Cpu, y.Cpu, mean.Cpu, invStd.Cpu, runningMean.Cpu,
            runningVar.Cpu, 0.1f, 1e-5f);
        _cuda.BatchNormForwardTraining(x.Cuda, gamma.Cuda, beta.Cuda, y.Cuda, mean.Cuda, invStd.Cuda, runningMean.Cuda,
            runningVar.Cuda, 0.1f, 1e-5f);
        AssertClose(output, Statistics, "BatchNormForwardTraining into a channel slice");
    }
}
