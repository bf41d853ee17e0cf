namespace FaceNet.Tests.Cuda;

public sealed partial class ParityTests
{
    [Theory]
    [InlineData(1, 1, 1, 1)]
    [InlineData(3, 5, 7, 9)]
    [InlineData(2, 4, 33, 31)]
    public void Relu_ForwardInPlaceAndBackward_MatchesCpu(int n, int c, int h, int w)
    {
        using TensorPair input = Random(90, n, c + 1, h, w);
        using TensorPair x = input.Slice(1, c);
        using TensorPair y = Random(91, n, c, h, w);
        using TensorPair dy = Random(92, n, c, h, w);
        using TensorPair dx = Random(93, n, c, h, w);

        _cpu.ReluForward(x.Cpu, y.Cpu);
        _cuda.ReluForward(x.Cuda, y.Cuda);
        AssertClose(y, Exact, "ReluForward from a slice");

        _cpu.ReluBackward(y.Cpu, dy.Cpu, dx.Cpu);
        _cuda.ReluBackward(y.Cuda, dy.Cuda, dx.Cuda);
        AssertClose(dx, Elementwise, "ReluBackward");

        _cpu.ReluForward(x.Cpu, x.Cpu);
        _cuda.ReluForward(x.Cuda, x.Cuda);
        AssertClose(input, Exact, "ReluForward in place on a slice");
    }

    [Theory]
    [InlineData(1, 2, 1)]
    [InlineData(5, 2, 257)]
    [InlineData(3, 3, 7)]
    public void Maxout_ForwardAndBackward_MatchesCpu(int n, int group, int features)
    {
        using TensorPair x = Random(100, n, features * group);
        using TensorPair y = Random(101, n, features);
        using TensorPair dy = Random(102, n, features);
        using TensorPair dx = Random(103, n, features * group);

        _cpu.MaxoutForward(group, x.Cpu, y.Cpu);
        _cuda.MaxoutForward(group, x.Cuda, y.Cuda);
        AssertClose(y, Exact, $"MaxoutForward p={group}");

        _cpu.MaxoutBackward(group, x.Cpu, dy.Cpu, dx.Cpu);
        _cuda.MaxoutBackward(group, x.Cuda, dy.Cuda, dx.Cuda);
        AssertClose(dx, Elementwise, $"MaxoutBackward p={group}");
    }

    [Theory]
    [InlineData(1, 0, 1, 0)]
    [InlineData(2, 1, 2, 3)]
    [InlineData(0, 3, 0, 1)]
    public void ZeroPad2d_ForwardAndBackwardOnSlices_MatchesCpu(int top, int bottom, int left, int right)
    {
        const int n = 2, c = 3, h = 5, w = 6;
        using TensorPair input = Random(110, n, c + 1, h, w);
        using TensorPair x = input.Slice(1, c);
        using TensorPair output = Random(111, n, c + 2, h + top + bottom, w + left + right);
        using TensorPair y = output.Slice(2, c);

        _cpu.ZeroPad2dForward(x.Cpu, y.Cpu, top, left);
        _cuda.ZeroPad2dForward(x.Cuda, y.Cuda, top, left);
        AssertClose(output, Exact, "ZeroPad2dForward");

        using TensorPair inputGradient = Random(112, n, c + 1, h, w);
        using TensorPair dx = inputGradient.Slice(0, c);
        _cpu.ZeroPad2dBackward(y.Cpu, dx.Cpu, top, left);
        _cuda.ZeroPad2dBackward(y.Cuda, dx.Cuda, top, left);
        AssertClose(inputGradient, Elementwise, "ZeroPad2dBackward");
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(7, 128)]
    [InlineData(3, 300)]
    public void L2Normalize_ForwardAndBackward_MatchesCpu(int n, int features)
    {
        using TensorPair input = Random(120, n, features + 4);
        using TensorPair x = input.Slice(2, features);
        using TensorPair y = Random(121, n, features);
        using TensorPair norms = Random(122, n);
        using TensorPair dy = Random(123, n, features);
        using TensorPair dx = Random(124, n, features);

        _cpu.L2NormalizeForward(x.Cpu, y.Cpu, norms.Cpu, 1e-12f);
        _cuda.L2NormalizeForward(x.Cuda, y.Cuda, norms.Cuda, 1e-12f);
        AssertClose(y, Statistics, "L2NormalizeForward y");
        AssertClose(norms, Statistics, "L2NormalizeForward norms");

        _cpu.L2NormalizeBackward(y.Cpu, norms.Cpu, dy.Cpu, dx.Cpu, 1e-12f);
        _cuda.L2NormalizeBackward(y.Cuda, norms.Cuda, dy.Cuda, dx.Cuda, 1e-12f);
        AssertClose(dx, Statistics, "L2NormalizeBackward");
    }

    [Fact]
    public void L2Normalize_ZeroRowClampedByEpsilon_MatchesCpu()
    {
        float[] values = [0f, 0f, 0f, 3f, 4f, 0f];
        using TensorPair x = FromValues(values, [2, 3]);
        using TensorPair y = Random(125, 2, 3);
        using TensorPair norms = Random(126, 2);
        using TensorPair dy = Random(127, 2, 3);
        using TensorPair dx = Random(128, 2, 3);

        _cpu.L2NormalizeForward(x.Cpu, y.Cpu, norms.Cpu, 1e-6f);
        _cuda.L2NormalizeForward(x.Cuda, y.Cuda, norms.Cuda, 1e-6f);
        AssertClose(y, Elementwise, "L2NormalizeForward with a zero row");

        _cpu.L2NormalizeBackward(y.Cpu, norms.Cpu, dy.Cpu, dx.Cpu, 1e-6f);
        _cuda.L2NormalizeBackward(y.Cuda, norms.Cuda, dy.Cuda, dx.Cuda, 1e-6f);
        AssertClose(dx, Elementwise, "L2NormalizeBackward with a zero row");
    }
}
