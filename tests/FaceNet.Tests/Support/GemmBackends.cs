using FaceNet.Runtime.Cpu;

namespace FaceNet.Tests.Support;

/// <summary>CPU backends pinned to each GEMM provider, so every GEMM-based test runs on both.</summary>
internal static class GemmBackends
{
    private static readonly CpuBackend Managed = new(GemmProviderKind.Managed);
    private static readonly CpuBackend OpenBlas = new(GemmProviderKind.OpenBlas);

    /// <summary>The backend for <c>managed</c> or <c>openblas</c>.</summary>
    public static CpuBackend Get(string provider) => provider switch
    {
        "managed" => Managed,
        "openblas" => OpenBlas,
        _ => throw new ArgumentException(
            $"Unknown GEMM provider '{provider}'; use 'managed' or 'openblas'.", nameof(provider)),
    };
}
