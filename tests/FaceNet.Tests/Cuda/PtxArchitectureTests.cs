using FaceNet.Kernels.Driver;

namespace FaceNet.Tests.Cuda;

/// <summary>Checks which embedded PTX a GPU of a given compute capability loads.</summary>
public sealed class PtxArchitectureTests
{
    [Theory]
    [InlineData(80, "sm_80")]
    [InlineData(86, "sm_80")]
    [InlineData(89, "sm_80")]
    [InlineData(90, "sm_90")]
    [InlineData(100, "sm_90")]
    public void ArchitectureFor_ComputeCapability_PicksPtx(int computeCapability, string expected)
    {
        Assert.Equal(expected, PtxResources.ArchitectureFor(computeCapability));
    }

    [Fact]
    public void ArchitectureFor_Turing_Throws()
    {
        CudaException error = Assert.Throws<CudaException>(() => PtxResources.ArchitectureFor(75));

        Assert.Contains("7.5", error.Message);
    }

    [Fact]
    public void EmbeddedPtx_BothArchitectures_HaveSameModules()
    {
        Assert.Equal(PtxResources.ModuleNames("sm_90"), PtxResources.ModuleNames("sm_80"));
    }
}
