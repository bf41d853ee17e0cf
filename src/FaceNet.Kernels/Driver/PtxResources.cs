using System.Reflection;

namespace FaceNet.Kernels.Driver;

/// <summary>
/// PTX and the <c>ptxas -v</c> report that the build embeds in this assembly: resources <c>ptx/sm_90/&lt;file&gt;.ptx</c>
/// and <c>ptx/sm_80/&lt;file&gt;.ptx</c> for each <c>kernels/&lt;file&gt;.cu</c>, and <c>ptxas-sm_90.log</c>. Without
/// nvcc at build time there is no PTX, and the log contains a single line that records it.
/// </summary>
public static class PtxResources
{
    /// <summary>Resource name of the ptxas report.</summary>
    public const string PtxasLogResource = "ptxas-sm_90.log";

    /// <summary>First text of the report when the build did not compile PTX.</summary>
    public const string NotBuiltMarker = "# PTX not built";

    private static Assembly Assembly => typeof(PtxResources).Assembly;

    /// <summary>
    /// The embedded PTX architecture for a device of compute capability <paramref name="computeCapability"/>
    /// (major * 10 + minor): <c>sm_90</c> from 9.0 on, <c>sm_80</c> for 8.x. The driver JIT-compiles the PTX of
    /// an older architecture for a newer device, so a 10.x device also gets <c>sm_90</c>.
    /// </summary>
    /// <exception cref="CudaException">The device is older than compute capability 8.0, which the PTX needs.</exception>
    public static string ArchitectureFor(int computeCapability)
    {
        if (computeCapability < 80)
        {
            throw new CudaException($"The GPU has compute capability {computeCapability / 10}.{computeCapability % 10}, " +
                "but the kernels are compiled for 8.0 and later (sm_80, sm_90); use a newer GPU or the 'emulated' driver.");
        }
        return computeCapability >= 90 ? "sm_90" : "sm_80";
    }

    /// <summary>Whether the build embedded PTX for <paramref name="architecture"/> (e.g. <c>sm_90</c>).</summary>
    public static bool HasPtx(string architecture = "sm_90") => ModuleNames(architecture).Count > 0;

    /// <summary>Module names (the .cu file stems) with PTX for <paramref name="architecture"/>, sorted.</summary>
    public static IReadOnlyList<string> ModuleNames(string architecture = "sm_90")
    {
        string prefix = $"ptx/{architecture}/";
        return Assembly.GetManifestResourceNames()
            .Where(name => name.StartsWith(prefix, StringComparison.Ordinal) && name.EndsWith(".ptx", StringComparison.Ordinal))
            .Select(name => name[prefix.Length..^".ptx".Length])
            .Order(StringComparer.Ordinal)
            .ToArray();
    }

    /// <summary>
    /// The PTX of <c>kernels/<paramref name="module"/>.cu</c> for <paramref name="architecture"/>; throws
    /// <see cref="CudaException"/> when it was not embedded.
    /// </summary>
    public static byte[] ReadPtx(string module, string architecture = "sm_90")
    {
        string resource = $"ptx/{architecture}/{module}.ptx";
        using Stream? stream = Assembly.GetManifestResourceStream(resource);
        if (stream is null)
        {
            string reason = HasPtx(architecture)
                ? $"no kernels/{module}.cu was compiled; embedded modules: {string.Join(", ", ModuleNames(architecture))}"
                : "PTX was not built because nvcc was not on PATH when FaceNet.Kernels was built; install CUDA 11.8 and rebuild";
            throw new CudaException($"PTX resource '{resource}' is missing: {reason}.");
        }

        var buffer = new byte[stream.Length];
        stream.ReadExactly(buffer);
        return buffer;
    }

    /// <summary>The embedded <c>ptxas -v -arch=sm_90</c> report, or null when the assembly has none.</summary>
    public static string? ReadPtxasLog()
    {
        using Stream? stream = Assembly.GetManifestResourceStream(PtxasLogResource);
        if (stream is null)
        {
            return null;
        }
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
