using FaceNet.Kernels;
using FaceNet.Runtime.Backends;

namespace FaceNet.Tests.Cuda;

public sealed partial class ParityTests
{
    /// <summary>
    /// Geometries as (N, Cin, H, W, Cout, K, stride, pad): odd sizes, 1x1, stride 2, a 7x7 stem-like case and
    /// more than 64 output channels, so tiles are partial in both GEMM dimensions.
    /// </summary>
    public static TheoryData<int[], ConvolutionAlgorithm> ConvolutionCases()
    {
        int[][] shapes =
        [
            [2, 3, 7, 9, 5, 3, 1, 1],
            [3, 4, 11, 10, 70, 3, 2, 1],
            [1, 16, 5, 5, 8, 1, 1, 0],
            [2, 3, 15, 13, 6, 7, 2, 3],
            [1, 5, 6, 6, 3, 5, 1, 2],
        ];
        var data = new TheoryData<int[], ConvolutionAlgorithm>();
        foreach (int[] shape in shapes)
        {
            data.Add(shape, ConvolutionAlgorithm.ImplicitGemm);
            data.Add(shape, ConvolutionAlgorithm.Im2colGemm);
        }
        return data;
    }

    private static Conv2dGeometry Geometry(int[] s) => new(s[0], s[1], s[2], s[3], s[4], s[5], s[5], s[6], s[6], s[7], s[7]);

    [Theory]
    [MemberData(nameof(ConvolutionCases))]
    public void Conv2dForward_BiasReluIntoSlice_MatchesCpu(int[] shape, ConvolutionAlgorithm algorithm)
    {
        _cuda.ConvolutionAlgorithm = algorithm;
        Conv2dGeometry g = Geometry(shape);
        using TensorPair input = Random(10, g.N, g.InChannels + 2, g.H, g.W);
        using TensorPair x = input.Slice(1, g.InChannels);
        using TensorPair weight = Random(11, g.OutChannels, g.InChannels, g.KernelH, g.KernelW);
        using TensorPair bias = Random(12, g.OutChannels);
        using TensorPair output = Random(13, g.N, g.OutChannels + 3, g.OutH, g.OutW);
        using TensorPair y = output.Slice(2, g.OutChannels);

        _cpu.Conv2dForward(g, x.Cpu, weight.Cpu, bias.Cpu, y.Cpu, relu: true);
        _cuda.Conv2dForward(g, x.Cuda, weight.Cuda, bias.Cuda, y.Cuda, relu: true);
        AssertClose(output, Reduction, $"Conv2dForward {g} {algorithm} with bias and ReLU");

        _cpu.Conv2dForward(g, x.Cpu, weight.Cpu, null, y.Cpu, relu: false);
        _cuda.Conv2dForward(g, x.Cuda, weight.Cuda, null, y.Cuda, relu: false);
        AssertClose(output, Reduction, $"Conv2dForward {g} {algorithm} without bias");
    }

    [Theory]
    [MemberData(nameof(ConvolutionCases))]
    public void Conv2dBackwardData_SliceViews_MatchesCpu(int[] shape, ConvolutionAlgorithm algorithm)
    {
        _cuda.ConvolutionAlgorithm = algorithm;
        Conv2dGeometry g = Geometry(shape);
        using TensorPair gradient = Random(20, g.N, g.OutChannels + 1, g.OutH, g.OutW);
        using TensorPair dy = gradient.Slice(1, g.OutChannels);
        using TensorPair weight = Random(21, g.OutChannels, g.InChannels, g.KernelH, g.KernelW);
        using TensorPair inputGradient = Random(22, g.N, g.InChannels + 2, g.H, g.W);
        using TensorPair dx = inputGradient.Slice(0, g.InChannels);

        _cpu.Conv2dBackwardData(g, dy.Cpu, weight.Cpu, dx.Cpu);
        _cuda.Conv2dBackwardData(g, dy.Cuda, weight.Cuda, dx.Cuda);
        AssertClose(inputGradient, Reduction, $"Conv2dBackwardData {g} {algorithm}");
    }

    [Theory]
    [MemberData(nameof(ConvolutionCases))]
    public void Conv2dBackwardFilter_AddsIntoGradients_MatchesCpu(int[] shape, ConvolutionAlgorithm algorithm)
    {
        _cuda.ConvolutionAlgorithm = algorithm;
        Conv2dGeometry g = Geometry(shape);
        using TensorPair input = Random(30, g.N, g.InChannels + 1, g.H, g.W);
        using TensorPair x = input.Slice(1, g.InChannels);
        using TensorPair dy = Random(31, g.N, g.OutChannels, g.OutH, g.OutW);
        using TensorPair dWeight = Random(32, g.OutChannels, g.InChannels, g.KernelH, g.KernelW);
        using TensorPair dBias = Random(33, g.OutChannels);

        _cpu.Conv2dBackwardFilter(g, x.Cpu, dy.Cpu, dWeight.Cpu, dBias.Cpu);
        _cuda.Conv2dBackwardFilter(g, x.Cuda, dy.Cuda, dWeight.Cuda, dBias.Cuda);
        AssertClose(dWeight, Reduction, $"Conv2dBackwardFilter weights {g} {algorithm}");
        AssertClose(dBias, Reduction, $"Conv2dBackwardFilter bias {g} {algorithm}");
    }

    [Fact]
    public void Conv2dBackwardFilter_SplitReduction_MatchesCpu()
    {
        // 4 * 16 * 16 = 1024 output positions over one weight tile: the launch splits the reduction in four.
        _cuda.ConvolutionAlgorithm = ConvolutionAlgorithm.ImplicitGemm;
        var g = new Conv2dGeometry(4, 2, 16, 16, 4, 3, 3, 1, 1, 1, 1);
        Assert.Equal(4, CudaBackend.FilterSplits(g.OutChannels, 2 * 9, g.N * g.OutH * g.OutW).Splits);
        using TensorPair x = Random(40, g.N, g.InChannels, g.H, g.W);
        using TensorPair dy = Random(41, g.N, g.OutChannels, g.OutH, g.OutW);
        using TensorPair dWeight = Random(42, g.OutChannels, g.InChannels, g.KernelH, g.KernelW);

        _cpu.Conv2dBackwardFilter(g, x.Cpu, dy.Cpu, dWeight.Cpu, null);
        _cuda.Conv2dBackwardFilter(g, x.Cuda, dy.Cuda, dWeight.Cuda, null);
        AssertClose(dWeight, LongReduction, "Conv2dBackwardFilter with a split reduction of 1,024 terms");
    }

    [Fact]
    public void Conv2dBackwardFilter_RepeatedSplitCall_IsBitwiseIdentical()
    {
        _cuda.ConvolutionAlgorithm = ConvolutionAlgorithm.ImplicitGemm;
        var g = new Conv2dGeometry(4, 2, 16, 16, 4, 3, 3, 1, 1, 1, 1);
        using TensorPair x = Random(43, g.N, g.InChannels, g.H, g.W);
        using TensorPair dy = Random(44, g.N, g.OutChannels, g.OutH, g.OutW);
        using TensorPair first = Random(45, g.OutChannels, g.InChannels, g.KernelH, g.KernelW);
        using TensorPair second = Random(45, g.OutChannels, g.InChannels, g.KernelH, g.KernelW);

        _cuda.Conv2dBackwardFilter(g, x.Cuda, dy.Cuda, first.Cuda, null);
        _cuda.Conv2dBackwardFilter(g, x.Cuda, dy.Cuda, second.Cuda, null);
        float[] a = new float[first.Cuda.Count];
        float[] b = new float[second.Cuda.Count];
        _cuda.Download(first.Cuda, a);
        _cuda.Download(second.Cuda, b);

        Assert.Equal(a, b);
    }

    [Fact]
    public void Conv2dForward_EmptyBatch_LaunchesNothing()
    {
        var g = new Conv2dGeometry(0, 2, 5, 5, 3, 3, 3, 1, 1, 1, 1);
        using TensorPair x = Random(46, 0, 2, 5, 5);
        using TensorPair weight = Random(47, 3, 2, 3, 3);
        using TensorPair y = Random(48, 0, 3, 5, 5);

        _cuda.Conv2dForward(g, x.Cuda, weight.Cuda, null, y.Cuda, relu: true);
        _cuda.Synchronize();

        Assert.Equal(0, y.Cuda.Count);
    }
}
