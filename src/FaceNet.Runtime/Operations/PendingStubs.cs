// TEMPORARY: placeholders with the agreed signatures until the operations land on main; delete on merge.
using FaceNet.Runtime.Autograd;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Runtime.Operations;

public static class Convolution
{
    public static Tensor Conv2d(Graph g, Tensor x, Tensor weight, Tensor? bias, int strideH, int strideW, int padH,
        int padW, Tensor? output = null) => throw new NotImplementedException();
}

public static class Linear
{
    public static Tensor FullyConnected(Graph g, Tensor x, Tensor weight, Tensor? bias) =>
        throw new NotImplementedException();
}
