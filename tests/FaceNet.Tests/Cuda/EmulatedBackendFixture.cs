using FaceNet.Kernels;

namespace FaceNet.Tests.Cuda;

/// <summary>One <see cref="CudaBackend"/> on the emulated driver, shared by the parity tests of a class.</summary>
public sealed class EmulatedBackendFixture : IDisposable
{
    public EmulatedBackendFixture() => Backend = CudaBackend.Open("emulated");

    public CudaBackend Backend { get; }

    public void Dispose() => Backend.Dispose();
}
