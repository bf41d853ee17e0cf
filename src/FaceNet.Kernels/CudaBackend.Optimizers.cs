using FaceNet.Runtime.Tensors;

namespace FaceNet.Kernels;

public sealed partial class CudaBackend
{
    /// <inheritdoc />
    public void AdaGradUpdate(Tensor parameter, Tensor gradient, Tensor accumulator, float learningRate,
        float epsilon, float weightDecay)
    {
        int total = parameter.Count;
        LaunchElementwise("optim", "adagrad_update", total, Pointer(parameter), parameter.BatchStride,
            Pointer(gradient), gradient.BatchStride, Pointer(accumulator), accumulator.BatchStride,
            parameter.SampleSize, total, learningRate, epsilon, weightDecay);
    }

    /// <inheritdoc />
    public void SgdUpdate(Tensor parameter, Tensor gradient, Tensor velocity, float learningRate, float momentum,
        float weightDecay)
    {
        int total = parameter.Count;
        LaunchElementwise("optim", "sgd_update", total, Pointer(parameter), parameter.BatchStride,
            Pointer(gradient), gradient.BatchStride, Pointer(velocity), velocity.BatchStride, parameter.SampleSize,
            total, learningRate, momentum, weightDecay);
    }

    /// <inheritdoc />
    public void AdamUpdate(Tensor parameter, Tensor gradient, Tensor m, Tensor v, float learningRate, float beta1,
        float beta2, float epsilon, float weightDecay, int step)
    {
        if (step < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(step), step, "AdamUpdate: the step count starts at 1.");
        }
        int total = parameter.Count;
        float correction1 = (float)(1.0 / (1.0 - Math.Pow(beta1, step)));
        float correction2 = (float)(1.0 / (1.0 - Math.Pow(beta2, step)));
        LaunchElementwise("optim", "adam_update", total, Pointer(parameter), parameter.BatchStride,
            Pointer(gradient), gradient.BatchStride, Pointer(m), m.BatchStride, Pointer(v), v.BatchStride,
            parameter.SampleSize, total, learningRate, beta1, beta2, epsilon, weightDecay, correction1, correction2);
    }
}
