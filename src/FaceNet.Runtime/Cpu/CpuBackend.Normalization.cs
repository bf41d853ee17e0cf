using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Runtime.Cpu;

// TODO: placeholder bodies until the normalization kernels land.
public sealed partial class CpuBackend
{
    public void LrnForward(LrnParameters p, Tensor x, Tensor y, Tensor scale) => throw new NotImplementedException();

    public void LrnBackward(LrnParameters p, Tensor x, Tensor y, Tensor scale, Tensor dy, Tensor dx) => throw new NotImplementedException();

    public void BatchNormForwardTraining(Tensor x, Tensor gamma, Tensor beta, Tensor y, Tensor savedMean, Tensor savedInvStd, Tensor runningMean, Tensor runningVar, float momentum, float epsilon) => throw new NotImplementedException();

    public void BatchNormForwardInference(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, float epsilon, Tensor y) => throw new NotImplementedException();

    public void BatchNormBackward(Tensor x, Tensor dy, Tensor gamma, Tensor savedMean, Tensor savedInvStd, Tensor dx, Tensor dGamma, Tensor dBeta) => throw new NotImplementedException();
}
