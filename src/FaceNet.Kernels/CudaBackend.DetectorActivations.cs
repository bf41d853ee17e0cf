using FaceNet.Runtime.Tensors;

namespace FaceNet.Kernels;

/// <summary>Leaky ReLU and clipping (kernels/detect.cu).</summary>
public sealed partial class CudaBackend
{
    /// <inheritdoc />
    public void LeakyReluForward(Tensor x, Tensor y, float slope)
    {
        int total = x.Count;
        LaunchElementwise("detect", "leaky_relu_forward", total, Pointer(x), x.BatchStride, Pointer(y), y.BatchStride,
            x.SampleSize, total, slope);
    }

    /// <inheritdoc />
    public void LeakyReluBackward(Tensor x, Tensor dy, Tensor dx, float slope)
    {
        int total = x.Count;
        LaunchElementwise("detect", "leaky_relu_backward", total, Pointer(x), x.BatchStride, Pointer(dy),
            dy.BatchStride, Pointer(dx), dx.BatchStride, x.SampleSize, total, slope);
    }

    /// <inheritdoc />
    public void ClipForward(Tensor x, Tensor y, float min, float max)
    {
        int total = x.Count;
        LaunchElementwise("detect", "clip_forward", total, Pointer(x), x.BatchStride, Pointer(y), y.BatchStride,
            x.SampleSize, total, min, max);
    }

    /// <inheritdoc />
    public void ClipBackward(Tensor x, Tensor dy, Tensor dx, float min, float max)
    {
        int total = x.Count;
        LaunchElementwise("detect", "clip_backward", total, Pointer(x), x.BatchStride, Pointer(dy), dy.BatchStride,
            Pointer(dx), dx.BatchStride, x.SampleSize, total, min, max);
    }
}
