using FaceNet.Runtime.Backends;

namespace FaceNet.Tests.Cuda;

public sealed partial class ParityTests
{
    /// <summary>Pooling cases as (N, C, H, W, K, stride, pad, ceil): the nn4.small2 windows and odd sizes.</summary>
    public static TheoryData<PoolKind, int[]> PoolingCases()
    {
        int[][] shapes =
        [
            [2, 3, 9, 9, 3, 2, 1, 1],
            [1, 4, 8, 7, 3, 2, 0, 1],
            [3, 2, 7, 7, 3, 1, 1, 0],
            [2, 5, 6, 6, 2, 2, 0, 0],
            [1, 3, 10, 11, 3, 3, 1, 1],
            [2, 2, 3, 3, 3, 1, 0, 0],
        ];
        var data = new TheoryData<PoolKind, int[]>();
        foreach (PoolKind kind in Enum.GetValues<PoolKind>())
        {
            foreach (int[] shape in shapes)
            {
                data.Add(kind, shape);
            }
        }
        return data;
    }

    private static Pool2dGeometry PoolGeometry(int[] s) =>
        new(s[0], s[1], s[2], s[3], s[4], s[4], s[5], s[5], s[6], s[6], s[7] == 1);

    [Theory]
    [MemberData(nameof(PoolingCases))]
    public void Pool2d_ForwardAndBackwardOnSlices_MatchesCpu(PoolKind kind, int[] shape)
    {
        Pool2dGeometry g = PoolGeometry(shape);
        using TensorPair input = Random(50, g.N, g.Channels + 2, g.H, g.W);
        using TensorPair x = input.Slice(2, g.Channels);
        using TensorPair output = Random(51, g.N, g.Channels + 1, g.OutH, g.OutW);
        using TensorPair y = output.Slice(0, g.Channels);
        using TensorPair dy = Random(52, g.N, g.Channels, g.OutH, g.OutW);
        using TensorPair inputGradient = Random(53, g.N, g.Channels + 1, g.H, g.W);
        using TensorPair dx = inputGradient.Slice(1, g.Channels);

        _cpu.Pool2dForward(kind, g, x.Cpu, y.Cpu);
        _cuda.Pool2dForward(kind, g, x.Cuda, y.Cuda);
        AssertClose(output, kind == PoolKind.Max ? Exact : Elementwise, $"Pool2dForward {kind} {g}");

        _cpu.Pool2dBackward(kind, g, x.Cpu, y.Cpu, dy.Cpu, dx.Cpu);
        _cuda.Pool2dBackward(kind, g, x.Cuda, y.Cuda, dy.Cuda, dx.Cuda);
        AssertClose(inputGradient, Elementwise, $"Pool2dBackward {kind} {g}");
    }
}
