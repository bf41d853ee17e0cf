using FaceNet.Kernels.Driver;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Kernels;

public sealed partial class CudaBackend
{
    /// <summary>Threads per block of the row-wise L2 normalisation kernels.</summary>
    private const int RowThreads = 128;

    /// <inheritdoc />
    public void ReluForward(Tensor x, Tensor y)
    {
        int total = x.Count;
        LaunchElementwise("elementwise", "relu_forward", total, Pointer(x), x.BatchStride, Pointer(y), y.BatchStride,
            x.SampleSize, total);
    }

    /// <inheritdoc />
    public void ReluBackward(Tensor y, Tensor dy, Tensor dx)
    {
        int total = y.Count;
        LaunchElementwise("elementwise", "relu_backward", total, Pointer(y), y.BatchStride, Pointer(dy),
            dy.BatchStride, Pointer(dx), dx.BatchStride, y.SampleSize, total);
    }

    /// <inheritdoc />
    public void MaxoutForward(int groupSize, Tensor x, Tensor y)
    {
        int total = y.Count;
        LaunchElementwise("elementwise", "maxout_forward", total, Pointer(x), x.BatchStride, Pointer(y),
            y.BatchStride, groupSize, y.SampleSize, total);
    }

    /// <inheritdoc />
    public void MaxoutBackward(int groupSize, Tensor x, Tensor dy, Tensor dx)
    {
        int total = dy.Count;
        LaunchElementwise("elementwise", "maxout_backward", total, Pointer(x), x.BatchStride, Pointer(dy),
            dy.BatchStride, Pointer(dx), dx.BatchStride, groupSize, dy.SampleSize, total);
    }

    /// <inheritdoc />
    public void ZeroPad2dForward(Tensor x, Tensor y, int top, int left)
    {
        int total = y.Count;
        LaunchElementwise("elementwise", "zero_pad_forward", total, Pointer(x), x.BatchStride, Pointer(y),
            y.BatchStride, x.C, x.H, x.W, y.H, y.W, top, left, total);
    }

    /// <inheritdoc />
    public void ZeroPad2dBackward(Tensor dy, Tensor dx, int top, int left)
    {
        int total = dx.Count;
        LaunchElementwise("elementwise", "zero_pad_backward", total, Pointer(dy), dy.BatchStride, Pointer(dx),
            dx.BatchStride, dx.C, dx.H, dx.W, dy.H, dy.W, top, left, total);
    }

    /// <inheritdoc />
    public void L2NormalizeForward(Tensor x, Tensor y, Tensor norms, float epsilon)
    {
        if (x.N == 0)
        {
            return;
        }
        Launch("elementwise", "l2_normalize_forward", new Dim3((uint)x.N), new Dim3(RowThreads), ScratchBytes,
            Pointer(x), x.BatchStride, Pointer(y), y.BatchStride, Pointer(norms), norms.BatchStride, x.SampleSize,
            epsilon);
    }

    /// <inheritdoc />
    public void L2NormalizeBackward(Tensor y, Tensor norms, Tensor dy, Tensor dx, float epsilon)
    {
        if (y.N == 0)
        {
            return;
        }
        Launch("elementwise", "l2_normalize_backward", new Dim3((uint)y.N), new Dim3(RowThreads), ScratchBytes,
            Pointer(y), y.BatchStride, Pointer(norms), norms.BatchStride, Pointer(dy), dy.BatchStride, Pointer(dx),
            dx.BatchStride, y.SampleSize, epsilon);
    }
}
