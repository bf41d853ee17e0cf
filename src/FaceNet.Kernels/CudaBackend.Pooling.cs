using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Kernels;

public sealed partial class CudaBackend
{
    /// <inheritdoc />
    public void Pool2dForward(PoolKind kind, in Pool2dGeometry g, Tensor x, Tensor y)
    {
        int total = y.Count;
        LaunchElementwise("pool", "pool2d_forward", total, Pointer(x), x.BatchStride, Pointer(y), y.BatchStride,
            (int)kind, g.Channels, g.H, g.W, g.OutH, g.OutW, g.KernelH, g.KernelW, g.StrideH, g.StrideW, g.PadH,
            g.PadW, total);
    }

    /// <inheritdoc />
    public void Pool2dBackward(PoolKind kind, in Pool2dGeometry g, Tensor x, Tensor y, Tensor dy, Tensor dx)
    {
        int total = dx.Count;
        LaunchElementwise("pool", "pool2d_backward", total, Pointer(x), x.BatchStride, Pointer(y), y.BatchStride,
            Pointer(dy), dy.BatchStride, Pointer(dx), dx.BatchStride, (int)kind, g.Channels, g.H, g.W, g.OutH,
            g.OutW, g.KernelH, g.KernelW, g.StrideH, g.StrideW, g.PadH, g.PadW, total);
    }
}
