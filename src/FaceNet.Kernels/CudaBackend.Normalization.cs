using FaceNet.Kernels.Driver;
using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Kernels;

public sealed partial class CudaBackend
{
    /// <summary>Threads per block of the per-channel batch-normalisation kernels.</summary>
    private const int BatchNormThreads = 256;

    /// <inheritdoc />
    public void LrnForward(LrnParameters p, Tensor x, Tensor y, Tensor scale)
    {
        int total = x.Count;
        LaunchElementwise("lrn", "lrn_forward", total, Pointer(x), x.BatchStride, Pointer(y), y.BatchStride,
            Pointer(scale), scale.BatchStride, x.C, x.H * x.W, p.Size, p.Alpha, p.Beta, p.K, total);
    }

    /// <inheritdoc />
    public void LrnBackward(LrnParameters p, Tensor x, Tensor y, Tensor scale, Tensor dy, Tensor dx)
    {
        int total = x.Count;
        LaunchElementwise("lrn", "lrn_backward", total, Pointer(x), x.BatchStride, Pointer(y), y.BatchStride,
            Pointer(scale), scale.BatchStride, Pointer(dy), dy.BatchStride, Pointer(dx), dx.BatchStride, x.C,
            x.H * x.W, p.Size, p.Alpha, p.Beta, total);
    }

    /// <inheritdoc />
    public void BatchNormForwardTraining(Tensor x, Tensor gamma, Tensor beta, Tensor y, Tensor savedMean,
        Tensor savedInvStd, Tensor runningMean, Tensor runningVar, float momentum, float epsilon)
    {
        Launch("batchnorm", "batchnorm_forward_training", new Dim3((uint)x.C), new Dim3(BatchNormThreads), ScratchBytes,
            Pointer(x), x.BatchStride, Pointer(gamma), Pointer(beta), Pointer(y), y.BatchStride, Pointer(savedMean),
            Pointer(savedInvStd), Pointer(runningMean), Pointer(runningVar), x.N, x.C, x.H * x.W, momentum, epsilon);
    }

    /// <inheritdoc />
    public void BatchNormForwardInference(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
        float epsilon, Tensor y)
    {
        int total = x.Count;
        LaunchElementwise("batchnorm", "batchnorm_forward_inference", total, Pointer(x), x.BatchStride,
            Pointer(gamma), Pointer(beta), Pointer(runningMean), Pointer(runningVar), Pointer(y), y.BatchStride,
            x.C, x.H * x.W, epsilon, total);
    }

    /// <inheritdoc />
    public void BatchNormBackward(Tensor x, Tensor dy, Tensor gamma, Tensor savedMean, Tensor savedInvStd,
        Tensor dx, Tensor dGamma, Tensor dBeta)
    {
        Launch("batchnorm", "batchnorm_backward", new Dim3((uint)x.C), new Dim3(BatchNormThreads), ScratchBytes,
            Pointer(x), x.BatchStride, Pointer(dy), dy.BatchStride, Pointer(gamma), Pointer(savedMean),
            Pointer(savedInvStd), Pointer(dx), dx.BatchStride, Pointer(dGamma), Pointer(dBeta), x.N, x.C, x.H * x.W);
    }
}
