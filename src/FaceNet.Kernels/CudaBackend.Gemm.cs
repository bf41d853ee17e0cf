using FaceNet.Kernels.Driver;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Kernels;

public sealed partial class CudaBackend
{
    /// <inheritdoc />
    /// <remarks>The offsets are element offsets into each buffer; the tensors' view offsets are not added.</remarks>
    public void Gemm(bool transposeA, bool transposeB, int m, int n, int k, float alpha, Tensor a, int aOffset, int lda,
        Tensor b, int bOffset, int ldb, float beta, Tensor c, int cOffset, int ldc)
    {
        DevicePointer pa = Own(a.Buffer).Pointer.Add((long)aOffset * sizeof(float));
        DevicePointer pb = Own(b.Buffer).Pointer.Add((long)bOffset * sizeof(float));
        DevicePointer pc = Own(c.Buffer).Pointer.Add((long)cOffset * sizeof(float));
        RowMajorGemm(transposeA, transposeB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
    }

    /// <summary>
    /// Row-major <c>C = alpha op(A) op(B) + beta C</c> on column-major cuBLAS: a row-major matrix is its
    /// transpose in column-major order, so it computes <c>C^T = op(B)^T op(A)^T</c> with the operands swapped.
    /// </summary>
    private void RowMajorGemm(bool transposeA, bool transposeB, int m, int n, int k, float alpha, DevicePointer a,
        int lda, DevicePointer b, int ldb, float beta, DevicePointer c, int ldc)
    {
        if (m == 0 || n == 0)
        {
            return;
        }
        _driver.Sgemm(transposeB, transposeA, n, m, k, alpha, b, ldb, a, lda, beta, c, ldc);
    }
}
