using FaceNet.Kernels.Driver;
using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Cpu;

namespace FaceNet.Kernels;

/// <summary>Creates the backend named by a <c>--device</c> option: <c>cpu</c>, <c>cuda</c> or <c>emulated</c>.</summary>
public static class BackendFactory
{
    /// <summary>Device names <see cref="Create"/> accepts.</summary>
    public static IReadOnlyList<string> Devices { get; } = ["cpu", "cuda", "emulated"];

    /// <summary>
    /// Returns the backend for <paramref name="device"/> (case-insensitive): <see cref="CpuBackend.Instance"/> for
    /// <c>cpu</c>, a new <see cref="CudaBackend"/> on the GPU driver for <c>cuda</c>, or on the CPU emulator for
    /// <c>emulated</c>. A CUDA backend owns its driver and must be disposed. The CPU backend is shared and not
    /// <see cref="IDisposable"/>, so callers dispose the result with <c>(backend as IDisposable)?.Dispose()</c>.
    /// </summary>
    /// <exception cref="ArgumentException">The name is not one of <see cref="Devices"/>.</exception>
    /// <exception cref="CudaException"><c>cuda</c>: no NVIDIA driver, no PTX in the build, or the GPU is older than
    /// compute capability 8.0; <c>emulated</c>: <c>libfacenet_emu.so</c> is missing. The message names the missing piece.</exception>
    public static IBackend Create(string device)
    {
        ArgumentNullException.ThrowIfNull(device);
        return device.ToLowerInvariant() switch
        {
            "cpu" => CpuBackend.Instance,
            "cuda" => CudaBackend.Open("cuda"),
            "emulated" => CudaBackend.Open("emulated"),
            _ => throw new ArgumentException(
                $"Unknown device '{device}'; use one of: {string.Join(", ", Devices)}.", nameof(device)),
        };
    }
}
