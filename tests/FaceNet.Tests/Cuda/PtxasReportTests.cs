using FaceNet.Kernels.Driver;

namespace FaceNet.Tests.Cuda;

/// <summary>Checks the ptxas report embedded by the build: present whenever nvcc is installed, and no spills.</summary>
public sealed class PtxasReportTests
{
    private const string SampleLog = """
        # file: relu.ptx
        ptxas info    : 0 bytes gmem
        ptxas info    : Compiling entry function 'relu_forward' for 'sm_90'
        ptxas info    : Function properties for relu_forward
            0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
        ptxas info    : Used 8 registers
        ptxas info    : Compiling entry function 'gemm_tile' for 'sm_90'
        ptxas info    : Function properties for gemm_tile
            24 bytes stack frame, 16 bytes spill stores, 12 bytes spill loads
        ptxas info    : Used 255 registers, 8192 bytes smem, 360 bytes cmem[0]
        """;

    [Fact]
    public void Parse_SampleLog_ReadsRegistersSpillsAndShared()
    {
        IReadOnlyList<PtxasFunction> functions = PtxasReport.Parse(SampleLog.Replace("\r\n", "\n"));

        Assert.Equal(2, functions.Count);
        Assert.Equal(new PtxasFunction("relu.ptx", "relu_forward", 8, 0, 0, 0, 0), functions[0]);
        Assert.Equal(new PtxasFunction("relu.ptx", "gemm_tile", 255, 24, 16, 12, 8192), functions[1]);
    }

    [Fact]
    public void PtxasLog_NvccInstalled_IsEmbedded()
    {
        string? log = PtxResources.ReadPtxasLog();

        Assert.NotNull(log);
        if (FindOnPath("nvcc") is { } nvcc)
        {
            Assert.False(log.StartsWith(PtxResources.NotBuiltMarker, StringComparison.Ordinal),
                $"nvcc is installed at {nvcc}, but the build recorded that PTX was not built; rebuild FaceNet.Kernels.");
            Assert.NotEmpty(PtxasReport.Parse(log));
            Assert.True(PtxResources.HasPtx("sm_90"), "nvcc is installed but no sm_90 PTX is embedded.");
            Assert.Contains("emu_selftest", PtxResources.ModuleNames("sm_90"));
        }
        else
        {
            Assert.StartsWith(PtxResources.NotBuiltMarker, log, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void PtxasLog_EveryKernel_HasNoRegisterSpills()
    {
        string log = PtxResources.ReadPtxasLog() ?? "";

        var spilling = PtxasReport.Parse(log)
            .Where(function => function.SpillStoreBytes > 0 || function.SpillLoadBytes > 0)
            .Select(function => $"{function.File}: {function.Function} spills {function.SpillStoreBytes} bytes " +
                $"(stores) / {function.SpillLoadBytes} bytes (loads) with {function.Registers} registers")
            .ToArray();

        Assert.True(spilling.Length == 0, "Kernels spill registers on sm_90:\n" + string.Join("\n", spilling));
    }

    [Fact]
    public void PtxasLog_OutputFolderCopy_MatchesEmbedded()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "ptxas-sm_90.log");

        Assert.True(File.Exists(path), $"{path} is missing; the FaceNet.Kernels build copies it to the output folder.");
        Assert.Equal(PtxResources.ReadPtxasLog(), File.ReadAllText(path));
    }

    private static string? FindOnPath(string program)
    {
        string[] directories = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator,
            StringSplitOptions.RemoveEmptyEntries);
        return directories.Select(directory => Path.Combine(directory, program)).FirstOrDefault(File.Exists);
    }
}
