using FaceNet.Kernels.Driver;
using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Kernels;

public sealed partial class CudaBackend
{
    /// <inheritdoc />
    public void DepthwiseConv2dForward(in Conv2dGeometry g, Tensor x, Tensor weight, Tensor? bias, Tensor y)
    {
        int total = y.Count;
        LaunchElementwise("depthwise", "depthwise_conv2d_forward", total, Pointer(x), x.BatchStride, Pointer(weight),
            PointerOrNull(bias), bias is not null, Pointer(y), y.BatchStride, g.InChannels, g.H, g.W, g.KernelH,
            g.KernelW, g.StrideH, g.StrideW, g.PadH, g.PadW, g.OutH, g.OutW, total);
    }

    /// <inheritdoc />
    public void DepthwiseConv2dBackwardData(in Conv2dGeometry g, Tensor dy, Tensor weight, Tensor dx)
    {
        int total = dx.Count;
        LaunchElementwise("depthwise", "depthwise_conv2d_backward_data", total, Pointer(dy), dy.BatchStride,
            Pointer(weight), Pointer(dx), dx.BatchStride, g.InChannels, g.H, g.W, g.KernelH, g.KernelW, g.StrideH,
            g.StrideW, g.PadH, g.PadW, g.OutH, g.OutW, total);
    }

    /// <inheritdoc />
    public void DepthwiseConv2dBackwardFilter(in Conv2dGeometry g, Tensor x, Tensor dy, Tensor dWeight,
        Tensor? dBias)
    {
        // One block per (channel, filter tap), plus one per channel for the bias gradient.
        int taps = g.KernelH * g.KernelW + (dBias is null ? 0 : 1);
        Launch("depthwise", "depthwise_conv2d_backward_filter", new Dim3((uint)g.InChannels, (uint)taps),
            new Dim3(256), ScratchBytes, Pointer(x), x.BatchStride, Pointer(dy), dy.BatchStride, Pointer(dWeight),
            PointerOrNull(dBias), g.N, g.InChannels, g.H, g.W, g.KernelH, g.KernelW, g.StrideH, g.StrideW, g.PadH,
            g.PadW, g.OutH, g.OutW);
    }
}
