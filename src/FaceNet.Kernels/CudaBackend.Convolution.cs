using FaceNet.Kernels.Driver;
using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Kernels;

public sealed partial class CudaBackend
{
    /// <summary>Output tile edge of the implicit-GEMM kernels (rows and columns).</summary>
    private const int ConvTile = 64;

    /// <summary>Reduction depth staged per step by the implicit-GEMM kernels; split depths are multiples of it.</summary>
    private const int ConvTileDepth = 16;

    /// <summary>Threads per block of the implicit-GEMM kernels.</summary>
    private const int ConvThreads = 256;

    /// <summary>Dynamic shared memory of the implicit-GEMM kernels: a 16 x 65 and a 16 x 64 float tile.</summary>
    private const int ConvSharedBytes = (ConvTileDepth * (ConvTile + 1) + ConvTileDepth * ConvTile) * sizeof(float);

    /// <summary>
    /// Blocks the filter-gradient launch aims for when it splits its reduction: enough to fill an H200's
    /// 132 multiprocessors twice. Fewer blocks leave the GPU idle because weight tiles are few.
    /// </summary>
    private const int FilterTargetBlocks = 264;

    /// <summary>Smallest reduction slice of the filter gradient, so slices stay long enough to be worth a block.</summary>
    private const int FilterMinimumSplitDepth = 256;

    /// <inheritdoc />
    public void Conv2dForward(in Conv2dGeometry g, Tensor x, Tensor weight, Tensor? bias, Tensor y, bool relu)
    {
        if (ConvolutionAlgorithm == ConvolutionAlgorithm.Im2colGemm)
        {
            Conv2dForwardIm2col(g, x, weight, bias, y, relu);
            return;
        }
        int columns = g.N * g.OutH * g.OutW;
        Dim3 grid = new(Tiles(columns), Tiles(g.OutChannels));
        Launch("conv", "conv2d_forward", grid, new Dim3(ConvThreads), ConvSharedBytes,
            Pointer(x), x.BatchStride, Pointer(weight), PointerOrNull(bias), Pointer(y), y.BatchStride,
            g.N, g.InChannels, g.H, g.W, g.OutChannels, g.KernelH, g.KernelW, g.StrideH, g.StrideW, g.PadH, g.PadW,
            g.OutH, g.OutW, relu);
    }

    /// <inheritdoc />
    public void Conv2dBackwardData(in Conv2dGeometry g, Tensor dy, Tensor weight, Tensor dx)
    {
        if (ConvolutionAlgorithm == ConvolutionAlgorithm.Im2colGemm)
        {
            Conv2dBackwardDataIm2col(g, dy, weight, dx);
            return;
        }
        int columns = g.N * g.H * g.W;
        Dim3 grid = new(Tiles(columns), Tiles(g.InChannels));
        Launch("conv", "conv2d_backward_data", grid, new Dim3(ConvThreads), ConvSharedBytes,
            Pointer(dy), dy.BatchStride, Pointer(weight), Pointer(dx), dx.BatchStride,
            g.N, g.InChannels, g.H, g.W, g.OutChannels, g.KernelH, g.KernelW, g.StrideH, g.StrideW, g.PadH, g.PadW,
            g.OutH, g.OutW);
    }

    /// <inheritdoc />
    public void Conv2dBackwardFilter(in Conv2dGeometry g, Tensor x, Tensor dy, Tensor dWeight, Tensor? dBias)
    {
        if (ConvolutionAlgorithm == ConvolutionAlgorithm.Im2colGemm)
        {
            Conv2dBackwardFilterIm2col(g, x, dy, dWeight);
        }
        else
        {
            Conv2dBackwardFilterImplicit(g, x, dy, dWeight);
        }
        if (dBias is not null)
        {
            Launch("conv", "conv2d_backward_bias", new Dim3((uint)g.OutChannels), new Dim3(256), ScratchBytes,
                Pointer(dy), dy.BatchStride, Pointer(dBias), g.N, g.OutH * g.OutW);
        }
    }

    /// <summary>
    /// Filter gradient by implicit GEMM. The reduction over N*OH*OW is split into slices when the weight
    /// tiles alone would leave the device idle; slices write partial sums that a second kernel adds in order.
    /// </summary>
    private void Conv2dBackwardFilterImplicit(in Conv2dGeometry g, Tensor x, Tensor dy, Tensor dWeight)
    {
        int columns = g.InChannels * g.KernelH * g.KernelW;
        int depth = g.N * g.OutH * g.OutW;
        (int splits, int splitDepth) = FilterSplits(g.OutChannels, columns, depth);
        Dim3 grid = new(Tiles(columns), Tiles(g.OutChannels), (uint)splits);
        int count = g.OutChannels * columns;
        using Workspace partials = RentWorkspace(splits > 1 ? (long)splits * count * sizeof(float) : sizeof(float));
        Launch("conv", "conv2d_backward_filter", grid, new Dim3(ConvThreads), ConvSharedBytes,
            Pointer(x), x.BatchStride, Pointer(dy), dy.BatchStride, Pointer(dWeight), partials.Pointer,
            g.N, g.InChannels, g.H, g.W, g.OutChannels, g.KernelH, g.KernelW, g.StrideH, g.StrideW, g.PadH, g.PadW,
            g.OutH, g.OutW, splitDepth);
        if (splits > 1)
        {
            LaunchElementwise("conv", "conv2d_backward_filter_reduce", count, partials.Pointer, Pointer(dWeight),
                splits, count);
        }
    }

    /// <summary>Number of reduction slices and the depth of each (a multiple of the tile depth).</summary>
    internal static (int Splits, int SplitDepth) FilterSplits(int outChannels, int columns, int depth)
    {
        long tiles = (long)Tiles(columns) * Tiles(outChannels);
        int maxSplits = Math.Max(1, depth / FilterMinimumSplitDepth);
        int splits = (int)Math.Clamp((FilterTargetBlocks + tiles - 1) / tiles, 1, maxSplits);
        int splitDepth = (depth + splits - 1) / splits;
        splitDepth = (splitDepth + ConvTileDepth - 1) / ConvTileDepth * ConvTileDepth;
        splits = (depth + splitDepth - 1) / splitDepth;
        return (splits, splitDepth);
    }

    private static uint Tiles(int size) => (uint)((size + ConvTile - 1) / ConvTile);

    // ---- im2col + cuBLAS path ----------------------------------------------------------------------

    private void Conv2dForwardIm2col(in Conv2dGeometry g, Tensor x, Tensor weight, Tensor? bias, Tensor y, bool relu)
    {
        int depth = g.InChannels * g.KernelH * g.KernelW;
        int plane = g.OutH * g.OutW;
        using Workspace col = RentWorkspace((long)depth * plane * sizeof(float));
        for (int n = 0; n < g.N; n++)
        {
            Im2col(g, SamplePointer(x, n), col.Pointer);
            RowMajorGemm(false, false, g.OutChannels, plane, depth, 1f, Pointer(weight), depth, col.Pointer, plane,
                0f, SamplePointer(y, n), plane);
        }
        if (bias is not null || relu)
        {
            int total = y.Count;
            LaunchElementwise("conv", "conv2d_bias_relu", total, Pointer(y), y.BatchStride, PointerOrNull(bias),
                g.OutChannels, plane, total, relu);
        }
    }

    private void Conv2dBackwardDataIm2col(in Conv2dGeometry g, Tensor dy, Tensor weight, Tensor dx)
    {
        int depth = g.InChannels * g.KernelH * g.KernelW;
        int plane = g.OutH * g.OutW;
        using Workspace col = RentWorkspace((long)depth * plane * sizeof(float));
        for (int n = 0; n < g.N; n++)
        {
            RowMajorGemm(true, false, depth, plane, g.OutChannels, 1f, Pointer(weight), depth, SamplePointer(dy, n),
                plane, 0f, col.Pointer, plane);
            LaunchElementwise("conv", "col2im", g.InChannels * g.H * g.W, col.Pointer, SamplePointer(dx, n),
                g.InChannels, g.H, g.W, g.KernelH, g.KernelW, g.StrideH, g.StrideW, g.PadH, g.PadW, g.OutH, g.OutW);
        }
    }

    private void Conv2dBackwardFilterIm2col(in Conv2dGeometry g, Tensor x, Tensor dy, Tensor dWeight)
    {
        int depth = g.InChannels * g.KernelH * g.KernelW;
        int plane = g.OutH * g.OutW;
        using Workspace col = RentWorkspace((long)depth * plane * sizeof(float));
        for (int n = 0; n < g.N; n++)
        {
            Im2col(g, SamplePointer(x, n), col.Pointer);
            RowMajorGemm(false, true, g.OutChannels, depth, plane, 1f, SamplePointer(dy, n), plane, col.Pointer, plane,
                1f, Pointer(dWeight), depth);
        }
    }

    private void Im2col(in Conv2dGeometry g, DevicePointer sample, DevicePointer col)
    {
        int total = g.InChannels * g.KernelH * g.KernelW * g.OutH * g.OutW;
        LaunchElementwise("conv", "im2col", total, sample, col, g.InChannels, g.H, g.W, g.KernelH, g.KernelW,
            g.StrideH, g.StrideW, g.PadH, g.PadW, g.OutH, g.OutW);
    }
}
