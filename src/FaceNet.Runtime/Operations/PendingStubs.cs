// TEMPORARY: placeholders with the agreed signatures until the operations land on main; delete on merge.
using FaceNet.Runtime.Autograd;
using FaceNet.Runtime.Backends;
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

public static class Pooling
{
    public static Tensor MaxPool2d(Graph g, Tensor x, int kernel, int stride, int pad, bool ceilMode,
        Tensor? output = null) => throw new NotImplementedException();

    public static Tensor AvgPool2d(Graph g, Tensor x, int kernel, int stride, int pad, bool ceilMode,
        Tensor? output = null) => throw new NotImplementedException();

    public static Tensor L2Pool2d(Graph g, Tensor x, int kernel, int stride, int pad, bool ceilMode,
        Tensor? output = null) => throw new NotImplementedException();
}

public static class Normalization
{
    public static Tensor Lrn(Graph g, Tensor x, LrnParameters p) => throw new NotImplementedException();

    public static Tensor BatchNorm(Graph g, Tensor x, Tensor gamma, Tensor beta, Tensor runningMean,
        Tensor runningVar, float momentum, float eps, Tensor? output = null) => throw new NotImplementedException();
}

public static class Features
{
    public static Tensor Maxout(Graph g, Tensor x, int p) => throw new NotImplementedException();

    public static Tensor ZeroPad2d(Graph g, Tensor x, int top, int bottom, int left, int right) =>
        throw new NotImplementedException();

    public static Tensor Flatten(Graph g, Tensor x) => throw new NotImplementedException();

    public static Tensor L2Normalize(Graph g, Tensor x) => throw new NotImplementedException();
}

public static class Concat
{
    public static Tensor Channels(Graph g, IReadOnlyList<Tensor> parts) => throw new NotImplementedException();
}
