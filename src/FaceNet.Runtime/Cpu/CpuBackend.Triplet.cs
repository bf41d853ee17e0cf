using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Runtime.Cpu;

// TODO: placeholder bodies until the triplet kernels land.
public sealed partial class CpuBackend
{
    public void PairwiseSquaredDistances(Tensor embeddings, Tensor distances) => throw new NotImplementedException();

    public float TripletLoss(Tensor embeddings, ReadOnlySpan<int> anchors, ReadOnlySpan<int> positives, ReadOnlySpan<int> negatives, float alpha, Tensor gradient, float gradientScale) => throw new NotImplementedException();

    public TripletStats TripletSemiHard(Tensor embeddings, ReadOnlySpan<int> labels, float alpha, NegativePolicy policy, Tensor gradient, float gradientScale) => throw new NotImplementedException();
}
