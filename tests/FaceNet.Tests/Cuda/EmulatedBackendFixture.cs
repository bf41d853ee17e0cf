using FaceNet.Kernels;
using FaceNet.Kernels.Driver;

namespace FaceNet.Tests.Cuda;

/// <summary>One <see cref="CudaBackend"/> on the emulated driver, shared by the parity tests of a class.</summary>
public sealed class EmulatedBackendFixture : IDisposable
{
    public EmulatedBackendFixture() => Backend = new CudaBackend(CreateDriver());

    public CudaBackend Backend { get; }

    public void Dispose() => Backend.Dispose();

    private static ICudaDriver CreateDriver() => CudaDriverFactory.Open("emulated");
}
