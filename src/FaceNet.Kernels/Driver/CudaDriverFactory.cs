using System.Runtime.InteropServices;

namespace FaceNet.Kernels.Driver;

/// <summary>Opens a driver by name: <c>cuda</c> for the GPU, <c>emulated</c> for the CPU emulator.</summary>
public static class CudaDriverFactory
{
    /// <summary>Driver names <see cref="Open"/> accepts.</summary>
    public static IReadOnlyList<string> Names { get; } = ["cuda", "emulated"];

    /// <summary>
    /// Opens the named driver. <c>cuda</c> throws <see cref="CudaException"/> when <c>libcuda.so.1</c> cannot be
    /// loaded or when the build embedded no PTX; <c>emulated</c> throws when <c>libfacenet_emu.so</c> is missing.
    /// </summary>
    /// <exception cref="ArgumentException">The name is neither <c>cuda</c> nor <c>emulated</c>.</exception>
    public static ICudaDriver Open(string name, int deviceOrdinal = 0)
    {
        ArgumentNullException.ThrowIfNull(name);
        switch (name.ToLowerInvariant())
        {
            case "cuda":
                if (!NativeLibrary.TryLoad(CudaApi.Library, out _))
                {
                    throw new CudaException($"The CUDA driver library {CudaApi.Library} could not be loaded: no NVIDIA " +
                        "driver is installed on this machine. Install the driver, or use the 'emulated' driver.");
                }
                if (!PtxResources.HasPtx("sm_90") && !PtxResources.HasPtx("sm_80"))
                {
                    throw new CudaException("FaceNet.Kernels was built without PTX because nvcc was not on PATH. " +
                        "Install CUDA 11.8 (nvcc) and rebuild, or use the 'emulated' driver.");
                }
                return new CudaDriver(deviceOrdinal);

            case "emulated":
                return new EmulatedDriver();

            default:
                throw new ArgumentException($"Unknown CUDA driver '{name}'; use one of: {string.Join(", ", Names)}.",
                    nameof(name));
        }
    }
}
