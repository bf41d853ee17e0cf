using FaceNet.Kernels;
using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Cpu;

namespace FaceNet.Tests.Cuda;

/// <summary>Checks the device names that <see cref="BackendFactory"/> maps to backends.</summary>
public sealed class BackendFactoryTests
{
    [Fact]
    public void Create_Cpu_ReturnsSharedCpuBackend()
    {
        Assert.Same(CpuBackend.Instance, BackendFactory.Create("cpu"));
    }

    [Fact]
    public void Create_EmulatedUpperCase_ReturnsEmulatedCudaBackend()
    {
        IBackend backend = BackendFactory.Create("EMULATED");
        try
        {
            CudaBackend cuda = Assert.IsType<CudaBackend>(backend);
            Assert.Equal("emulated", cuda.Name);
        }
        finally
        {
            (backend as IDisposable)?.Dispose();
        }
    }

    [Fact]
    public void Create_UnknownDevice_ListsValidNames()
    {
        ArgumentException error = Assert.Throws<ArgumentException>(() => BackendFactory.Create("gpu"));

        Assert.Contains("cpu, cuda, emulated", error.Message);
    }
}
