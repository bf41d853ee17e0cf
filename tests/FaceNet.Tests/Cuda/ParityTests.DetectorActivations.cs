namespace FaceNet.Tests.Cuda;

public sealed partial class ParityTests
{
    [Theory]
    [InlineData(1, 1, 1, 1)]
    [InlineData(3, 5, 7, 9)]
    [InlineData(2, 4, 33, 31)]
    public void LeakyRelu_ForwardAndBackward_MatchesCpu(int n, int c, int h, int w)
    {
        using TensorPair input = Random(120, n, c + 1, h, w);
        using TensorPair x = input.Slice(1, c);
        using TensorPair y = Random(121, n, c, h, w);
        using TensorPair dy = Random(122, n, c, h, w);
        using TensorPair dx = Random(123, n, c, h, w);

        _cpu.LeakyReluForward(x.Cpu, y.Cpu, 0.1f);
        _cuda.LeakyReluForward(x.Cuda, y.Cuda, 0.1f);
        AssertClose(y, Exact, "LeakyReluForward from a slice");

        _cpu.LeakyReluBackward(x.Cpu, dy.Cpu, dx.Cpu, 0.1f);
        _cuda.LeakyReluBackward(x.Cuda, dy.Cuda, dx.Cuda, 0.1f);
        AssertClose(dx, Elementwise, "LeakyReluBackward");
    }

    [Theory]
    [InlineData(1, 1, 1, 1)]
    [InlineData(3, 5, 7, 9)]
    [InlineData(2, 4, 33, 31)]
    public void Clip_ForwardInPlaceAndBackward_MatchesCpu(int n, int c, int h, int w)
    {
        // Values in [-1, 1] clipped to [-0.5, 0.25], so every branch of the clip is taken.
        using TensorPair input = Random(130, n, c + 1, h, w);
        using TensorPair x = input.Slice(1, c);
        using TensorPair y = Random(131, n, c, h, w);
        using TensorPair dy = Random(132, n, c, h, w);
        using TensorPair dx = Random(133, n, c, h, w);

        _cpu.ClipForward(x.Cpu, y.Cpu, -0.5f, 0.25f);
        _cuda.ClipForward(x.Cuda, y.Cuda, -0.5f, 0.25f);
        AssertClose(y, Exact, "ClipForward from a slice");

        _cpu.ClipBackward(x.Cpu, dy.Cpu, dx.Cpu, -0.5f, 0.25f);
        _cuda.ClipBackward(x.Cuda, dy.Cuda, dx.Cuda, -0.5f, 0.25f);
        AssertClose(dx, Elementwise, "ClipBackward");

        _cpu.ClipForward(x.Cpu, x.Cpu, -0.5f, 0.25f);
        _cuda.ClipForward(x.Cuda, x.Cuda, -0.5f, 0.25f);
        AssertClose(input, Exact, "ClipForward in place on a slice");
    }
}
