using FaceNet.Kernels;

namespace FaceNet.Tests.Cuda;

/// <summary>One <see cref="CudaBackend"/> on the emulated driver, shared by the parity tests of a class.</summary>
public sealed class EmulatedBackendFixture : IDisposable
{
    public EmulatedBackendFixture() => Backend = new CudaBackend(CreateDriver());

    public CudaBackend Backend { get; }

    public void Dispose() => Backend.Dispose();

    private static FaceNet.Kernels.Driver.ICudaDriver CreateDriver() =>
        throw new NotImplementedException("TODO: create the emulated driver once it is on main.");
}
