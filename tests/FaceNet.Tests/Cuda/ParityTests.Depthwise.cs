using FaceNet.Runtime.Backends;

namespace FaceNet.Tests.Cuda;

public sealed partial class ParityTests
{
    /// <summary>
    /// Depthwise geometries as (N, C, H, W, K, stride, pad): odd sizes, stride 2 with and without padding, a
    /// 1x1 output, and enough positions (2 * 40 * 40) that each filter-gradient block loops several times.
    /// </summary>
    public static TheoryData<int[]> DepthwiseCases() => new(
        [2, 3, 7, 9, 3, 1, 1],
        [3, 5, 11, 10, 3, 2, 1],
        [1, 4, 8, 8, 3, 2, 0],
        [2, 2, 40, 40, 5, 1, 2],
        [2, 3, 3, 3, 3, 1, 0]);

    private static Conv2dGeometry DepthwiseGeometry(int[] s) =>
        new(s[0], s[1], s[2], s[3], s[1], s[4], s[4], s[5], s[5], s[6], s[6]);

    [Theory]
    [MemberData(nameof(DepthwiseCases))]
    public void DepthwiseConv2dForward_SliceViews_MatchesCpu(int[] shape)
    {
        Conv2dGeometry g = DepthwiseGeometry(shape);
        using TensorPair input = Random(110, g.N, g.InChannels + 2, g.H, g.W);
        using TensorPair x = input.Slice(1, g.InChannels);
        using TensorPair weight = Random(111, g.InChannels, 1, g.KernelH, g.KernelW);
        using TensorPair bias = Random(112, g.InChannels);
        using TensorPair output = Random(113, g.N, g.InChannels + 1, g.OutH, g.OutW);
        using TensorPair y = output.Slice(1, g.InChannels);

        _cpu.DepthwiseConv2dForward(g, x.Cpu, weight.Cpu, bias.Cpu, y.Cpu);
        _cuda.DepthwiseConv2dForward(g, x.Cuda, weight.Cuda, bias.Cuda, y.Cuda);
        AssertClose(output, Reduction, $"DepthwiseConv2dForward {g} with bias");

        _cpu.DepthwiseConv2dForward(g, x.Cpu, weight.Cpu, null, y.Cpu);
        _cuda.DepthwiseConv2dForward(g, x.Cuda, weight.Cuda, null, y.Cuda);
        AssertClose(output, Reduction, $"DepthwiseConv2dForward {g} without bias");
    }

    [Theory]
    [MemberData(nameof(DepthwiseCases))]
    public void DepthwiseConv2dBackwardData_SliceViews_MatchesCpu(int[] shape)
    {
        Conv2dGeometry g = DepthwiseGeometry(shape);
        using TensorPair gradient = Random(120, g.N, g.InChannels + 1, g.OutH, g.OutW);
        using TensorPair dy = gradient.Slice(1, g.InChannels);
        using TensorPair weight = Random(121, g.InChannels, 1, g.KernelH, g.KernelW);
        using TensorPair inputGradient = Random(122, g.N, g.InChannels + 2, g.H, g.W);
        using TensorPair dx = inputGradient.Slice(0, g.InChannels);

        _cpu.DepthwiseConv2dBackwardData(g, dy.Cpu, weight.Cpu, dx.Cpu);
        _cuda.DepthwiseConv2dBackwardData(g, dy.Cuda, weight.Cuda, dx.Cuda);
        AssertClose(inputGradient, Reduction, $"DepthwiseConv2dBackwardData {g}");
    }

    [Theory]
    [MemberData(nameof(DepthwiseCases))]
    public void DepthwiseConv2dBackwardFilter_AddsIntoGradients_MatchesCpu(int[] shape)
    {
        Conv2dGeometry g = DepthwiseGeometry(shape);
        using TensorPair input = Random(130, g.N, g.InChannels + 1, g.H, g.W);
        using TensorPair x = input.Slice(1, g.InChannels);
        using TensorPair dy = Random(131, g.N, g.InChannels, g.OutH, g.OutW);
        using TensorPair dWeight = Random(132, g.InChannels, 1, g.KernelH, g.KernelW);
        using TensorPair dBias = Random(133, g.InChannels);

        _cpu.DepthwiseConv2dBackwardFilter(g, x.Cpu, dy.Cpu, dWeight.Cpu, dBias.Cpu);
        _cuda.DepthwiseConv2dBackwardFilter(g, x.Cuda, dy.Cuda, dWeight.Cuda, dBias.Cuda);
        AssertClose(dWeight, LongReduction, $"DepthwiseConv2dBackwardFilter {g} weight");
        AssertClose(dBias, LongReduction, $"DepthwiseConv2dBackwardFilter {g} bias");

        _cpu.DepthwiseConv2dBackwardFilter(g, x.Cpu, dy.Cpu, dWeight.Cpu, null);
        _cuda.DepthwiseConv2dBackwardFilter(g, x.Cuda, dy.Cuda, dWeight.Cuda, null);
        AssertClose(dWeight, LongReduction, $"DepthwiseConv2dBackwardFilter {g} weight without bias");
    }

    [Theory]
    [InlineData(1, 1, 1, 1)]
    [InlineData(3, 5, 7, 9)]
    [InlineData(2, 70, 13, 11)]
    public void ScaleShift_ForwardAndBackward_MatchesCpu(int n, int c, int h, int w)
    {
        using TensorPair input = Random(140, n, c + 2, h, w);
        using TensorPair x = input.Slice(2, c);
        using TensorPair scale = Random(141, c);
        using TensorPair shift = Random(142, c);
        using TensorPair output = Random(143, n, c + 1, h, w);
        using TensorPair y = output.Slice(0, c);
        using TensorPair dx = Random(144, n, c, h, w);
        using TensorPair dScale = Random(145, c);
        using TensorPair dShift = Random(146, c);

        _cpu.ScaleShiftForward(x.Cpu, scale.Cpu, shift.Cpu, y.Cpu);
        _cuda.ScaleShiftForward(x.Cuda, scale.Cuda, shift.Cuda, y.Cuda);
        AssertClose(output, Elementwise, $"ScaleShiftForward {n}x{c}x{h}x{w}");

        _cpu.ScaleShiftBackwardData(y.Cpu, scale.Cpu, dx.Cpu);
        _cuda.ScaleShiftBackwardData(y.Cuda, scale.Cuda, dx.Cuda);
        AssertClose(dx, Elementwise, $"ScaleShiftBackwardData {n}x{c}x{h}x{w}");

        _cpu.ScaleShiftBackwardParameters(x.Cpu, y.Cpu, dScale.Cpu, dShift.Cpu);
        _cuda.ScaleShiftBackwardParameters(x.Cuda, y.Cuda, dScale.Cuda, dShift.Cuda);
        AssertClose(dScale, LongReduction, $"ScaleShiftBackwardParameters {n}x{c}x{h}x{w} scale");
        AssertClose(dShift, LongReduction, $"ScaleShiftBackwardParameters {n}x{c}x{h}x{w} shift");
    }
}
