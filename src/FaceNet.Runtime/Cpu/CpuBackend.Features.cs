using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Runtime.Cpu;

// TODO: placeholder bodies until the features kernels land.
public sealed partial class CpuBackend
{
    public void ReluForward(Tensor x, Tensor y) => throw new NotImplementedException();

    public void ReluBackward(Tensor y, Tensor dy, Tensor dx) => throw new NotImplementedException();

    public void MaxoutForward(int groupSize, Tensor x, Tensor y) => throw new NotImplementedException();

    public void MaxoutBackward(int groupSize, Tensor x, Tensor dy, Tensor dx) => throw new NotImplementedException();

    public void ZeroPad2dForward(Tensor x, Tensor y, int top, int left) => throw new NotImplementedException();

    public void ZeroPad2dBackward(Tensor dy, Tensor dx, int top, int left) => throw new NotImplementedException();

    public void L2NormalizeForward(Tensor x, Tensor y, Tensor norms, float epsilon) => throw new NotImplementedException();

    public void L2NormalizeBackward(Tensor y, Tensor norms, Tensor dy, Tensor dx, float epsilon) => throw new NotImplementedException();
}
