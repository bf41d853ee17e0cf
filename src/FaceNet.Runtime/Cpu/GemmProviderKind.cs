namespace FaceNet.Runtime.Cpu;

/// <summary>Which SGEMM implementation a <see cref="CpuBackend"/> uses.</summary>
public enum GemmProviderKind
{
    /// <summary>
    /// The <c>FACENET_GEMM</c> environment variable (<c>openblas</c> or <c>managed</c>) when set; otherwise
    /// OpenBLAS when <c>libopenblas.so.0</c> loads, else the managed GEMM.
    /// </summary>
    Auto,

    /// <summary>OpenBLAS <c>cblas_sgemm</c>; the backend throws on first use when the library does not load.</summary>
    OpenBlas,

    /// <summary>The managed SIMD GEMM in <see cref="ManagedGemm"/>.</summary>
    Managed,
}
