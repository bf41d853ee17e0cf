using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Runtime.Cpu;

// TODO: placeholder bodies until the gemm kernels land.
public sealed partial class CpuBackend
{
    public void Gemm(bool transposeA, bool transposeB, int m, int n, int k, float alpha, Tensor a, int aOffset, int lda, Tensor b, int bOffset, int ldb, float beta, Tensor c, int cOffset, int ldc) => throw new NotImplementedException();
}
