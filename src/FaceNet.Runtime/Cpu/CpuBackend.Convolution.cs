using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Runtime.Cpu;

// TODO: placeholder bodies until the convolution kernels land.
public sealed partial class CpuBackend
{
    public void Conv2dForward(in Conv2dGeometry g, Tensor x, Tensor weight, Tensor? bias, Tensor y, bool relu) => throw new NotImplementedException();

    public void Conv2dBackwardData(in Conv2dGeometry g, Tensor dy, Tensor weight, Tensor dx) => throw new NotImplementedException();

    public void Conv2dBackwardFilter(in Conv2dGeometry g, Tensor x, Tensor dy, Tensor dWeight, Tensor? dBias) => throw new NotImplementedException();
}
