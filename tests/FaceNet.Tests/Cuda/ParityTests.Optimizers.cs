namespace FaceNet.Tests.Cuda;

public sealed partial class ParityTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(1000)]
    [InlineData(4099)]
    public void OptimizerUpdates_ThreeSteps_MatchesCpu(int count)
    {
        using TensorPair p = Random(130, count, 1);
        using TensorPair g = Random(131, count, 1);
        using TensorPair accumulator = Uniform(132, 0f, 1f, count, 1);
        using TensorPair velocity = Random(133, count, 1);
        using TensorPair m = Random(134, count, 1);
        using TensorPair v = Uniform(135, 0f, 1f, count, 1);

        for (int step = 1; step <= 3; step++)
        {
            _cpu.AdaGradUpdate(p.Cpu, g.Cpu, accumulator.Cpu, 0.05f, 1e-8f, 1e-4f);
            _cuda.AdaGradUpdate(p.Cuda, g.Cuda, accumulator.Cuda, 0.05f, 1e-8f, 1e-4f);
            _cpu.SgdUpdate(p.Cpu, g.Cpu, velocity.Cpu, 0.01f, 0.9f, 5e-4f);
            _cuda.SgdUpdate(p.Cuda, g.Cuda, velocity.Cuda, 0.01f, 0.9f, 5e-4f);
            _cpu.AdamUpdate(p.Cpu, g.Cpu, m.Cpu, v.Cpu, 1e-3f, 0.9f, 0.999f, 1e-8f, 1e-4f, step);
            _cuda.AdamUpdate(p.Cuda, g.Cuda, m.Cuda, v.Cuda, 1e-3f, 0.9f, 0.999f, 1e-8f, 1e-4f, step);
        }
        AssertClose(p, Transcendental, "parameters after AdaGrad, SGD and Adam");
        AssertClose(accumulator, Transcendental, "AdaGrad accumulator");
        AssertClose(velocity, Transcendental, "SGD velocity");
        AssertClose(m, Transcendental, "Adam first moment");
        AssertClose(v, Transcendental, "Adam second moment");
    }
}
