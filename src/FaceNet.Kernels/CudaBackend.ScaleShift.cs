using FaceNet.Kernels.Driver;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Kernels;

public sealed partial class CudaBackend
{
    /// <inheritdoc />
    public void ScaleShiftForward(Tensor x, Tensor scale, Tensor shift, Tensor y)
    {
        int total = x.Count;
        LaunchElementwise("scale_shift", "scale_shift_forward", total, Pointer(x), x.BatchStride, Pointer(scale),
            Pointer(shift), Pointer(y), y.BatchStride, x.C, x.H * x.W, total);
    }

    /// <inheritdoc />
    public void ScaleShiftBackwardData(Tensor dy, Tensor scale, Tensor dx)
    {
        int total = dy.Count;
        LaunchElementwise("scale_shift", "scale_shift_backward_data", total, Pointer(dy), dy.BatchStride,
            Pointer(scale), Pointer(dx), dx.BatchStride, dy.C, dy.H * dy.W, total);
    }

    /// <inheritdoc />
    public void ScaleShiftBackwardParameters(Tensor x, Tensor dy, Tensor dScale, Tensor dShift)
    {
        Launch("scale_shift", "scale_shift_backward_parameters", new Dim3((uint)x.C), new Dim3(256), ScratchBytes,
            Pointer(x), x.BatchStride, Pointer(dy), dy.BatchStride, Pointer(dScale), Pointer(dShift), x.N,
            x.H * x.W);
    }
}
