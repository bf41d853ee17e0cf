using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Runtime.Cpu;

// TODO: placeholder bodies until the pooling kernels land.
public sealed partial class CpuBackend
{
    public void Pool2dForward(PoolKind kind, in Pool2dGeometry g, Tensor x, Tensor y) => throw new NotImplementedException();

    public void Pool2dBackward(PoolKind kind, in Pool2dGeometry g, Tensor x, Tensor y, Tensor dy, Tensor dx) => throw new NotImplementedException();
}
