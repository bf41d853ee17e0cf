using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Runtime.Cpu;

// TODO: placeholder bodies until the optimizers kernels land.
public sealed partial class CpuBackend
{
    public void AdaGradUpdate(Tensor parameter, Tensor gradient, Tensor accumulator, float learningRate, float epsilon, float weightDecay) => throw new NotImplementedException();

    public void SgdUpdate(Tensor parameter, Tensor gradient, Tensor velocity, float learningRate, float momentum, float weightDecay) => throw new NotImplementedException();

    public void AdamUpdate(Tensor parameter, Tensor gradient, Tensor m, Tensor v, float learningRate, float beta1, float beta2, float epsilon, float weightDecay, int step) => throw new NotImplementedException();
}
