using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FaceNet.Runtime.Benchmarks;

/// <summary>
/// Theoretical single-precision peak of the host CPU:
/// <c>cores * clock * FMA units * FMA lanes * 2</c> FLOP/s, where one fused multiply-add counts as 2 FLOPs.
/// </summary>
/// <param name="Cores">Logical processors the process may use.</param>
/// <param name="FmaLanes">float32 lanes one FMA instruction retires per unit and cycle.</param>
/// <param name="FmaUnits">FMA pipes per core; assumed to be 2, as on recent Intel and AMD x86 cores.</param>
/// <param name="ClockGHz">Core clock used for the peak.</param>
/// <param name="ClockSource">How <paramref name="ClockGHz"/> was obtained.</param>
/// <param name="InstructionSet">Widest vector extension the runtime accelerates, such as <c>AVX-512</c>.</param>
/// <param name="Note">Why <paramref name="FmaLanes"/> differs from the register width, or empty.</param>
public sealed record CpuPeak(
    int Cores, int FmaLanes, int FmaUnits, double ClockGHz, string ClockSource, string InstructionSet, string Note)
{
    /// <summary>FMA pipes per core assumed for every x86 part (2 on Skylake-SP, Ice Lake, Zen 2 to Zen 5).</summary>
    public const int AssumedFmaUnits = 2;

    /// <summary>Peak in GFLOP/s.</summary>
    public double PeakGflops => Cores * ClockGHz * FmaUnits * FmaLanes * 2.0;

    /// <summary>Peak of one core in GFLOP/s, for single-threaded kernels.</summary>
    public double PeakGflopsPerCore => PeakGflops / Cores;

    /// <summary>
    /// Detects the vector width through <see cref="System.Runtime.Intrinsics"/>, counts the cores, and
    /// measures the clock with a dependent chain of integer adds (one cycle each on current x86 cores),
    /// keeping the fastest of many short runs so that a time slice lost to another process does not
    /// lower it. Falls back to the <c>cpu MHz</c> of <c>/proc/cpuinfo</c> when the
    /// measurement fails.
    /// </summary>
    public static CpuPeak Measure()
    {
        (int lanes, string isa, string note) = DetectFmaWidth();
        double ghz = MeasureClockGHz();
        string source = $"dependent integer-add chain, fastest of {ClockRuns} runs of 2^19 adds";
        if (!(ghz > 0.2 && ghz < 10))
        {
            ghz = ReadCpuInfoMHz() / 1000.0;
            source = "/proc/cpuinfo cpu MHz";
        }
        return new CpuPeak(Environment.ProcessorCount, lanes, AssumedFmaUnits, ghz, source, isa, note);
    }

    /// <summary>
    /// Whether the engine's assembly was compiled with the JIT optimiser disabled (a Debug build). Kernel
    /// timings of such a build do not predict those of a Release build.
    /// </summary>
    public static bool IsDebugBuild =>
        typeof(CpuPeak).Assembly.GetCustomAttributes(typeof(DebuggableAttribute), false) is [DebuggableAttribute d] &&
        d.IsJITOptimizerDisabled;

    /// <summary>Reads the first <c>cpu MHz</c> line of /proc/cpuinfo; 0 when there is none.</summary>
    public static double ReadCpuInfoMHz()
    {
        const string path = "/proc/cpuinfo";
        if (!File.Exists(path))
        {
            return 0;
        }
        foreach (string line in File.ReadLines(path))
        {
            if (line.StartsWith("cpu MHz", StringComparison.Ordinal))
            {
                string value = line[(line.IndexOf(':') + 1)..].Trim();
                return double.Parse(value, CultureInfo.InvariantCulture);
            }
        }
        return 0;
    }

    /// <summary>Reads the 1-minute load average from /proc/loadavg; NaN when unavailable.</summary>
    public static double ReadLoadAverage()
    {
        const string path = "/proc/loadavg";
        if (!File.Exists(path))
        {
            return double.NaN;
        }
        string first = File.ReadAllText(path).Split(' ')[0];
        return double.Parse(first, CultureInfo.InvariantCulture);
    }

    private static (int Lanes, string Isa, string Note) DetectFmaWidth()
    {
        if (Avx512F.IsSupported && Vector512.IsHardwareAccelerated)
        {
            // Zen 4 (family 19h) splits each 512-bit FMA into two 256-bit halves on its two FMA pipes,
            // so its peak per cycle equals that of AVX2.
            if (IsAmdFamily(0x19))
            {
                return (8, "AVX-512", "Zen 4 executes 512-bit FMAs as two 256-bit halves");
            }
            return (16, "AVX-512", "");
        }
        if (Fma.IsSupported && Vector256.IsHardwareAccelerated)
        {
            return (8, "AVX2+FMA", "");
        }
        if (Sse.IsSupported)
        {
            return (4, "SSE", "no FMA: the peak assumes one add and one multiply pipe");
        }
        return (System.Numerics.Vector<float>.Count, "unknown", "vector width from Vector<float>");
    }

    private static bool IsAmdFamily(int family)
    {
        if (!X86Base.IsSupported)
        {
            return false;
        }
        (int _, int ebx, int ecx, int edx) = X86Base.CpuId(0, 0);
        bool amd = ebx == 0x68747541 && edx == 0x69746e65 && ecx == 0x444d4163; // "AuthenticAMD"
        if (!amd)
        {
            return false;
        }
        (int eax, _, _, _) = X86Base.CpuId(1, 0);
        int baseFamily = (eax >> 8) & 0xF;
        int extendedFamily = (eax >> 20) & 0xFF;
        return baseFamily + extendedFamily == family;
    }

    // Many short runs: on a loaded machine the fastest of them is the one no other process interrupted.
    private const int ClockRuns = 300;

    private static double MeasureClockGHz()
    {
        const long iterations = 1 << 16;
        const int addsPerIteration = 8;
        double best = double.MaxValue;
        DependentAdds(1000, 1, 2);
        for (int run = 0; run < ClockRuns; run++)
        {
            long start = Stopwatch.GetTimestamp();
            long sink = DependentAdds(iterations, run + 1, run + 2);
            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            GC.KeepAlive(sink);
            best = Math.Min(best, seconds);
        }
        return iterations * addsPerIteration / best / 1e9;
    }

    // Each add needs the result of the one before, so the chain runs at one add per cycle. The loop
    // counter lives in another register and its increment and branch issue in parallel with the chain.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static long DependentAdds(long iterations, long a, long b)
    {
        for (long i = 0; i < iterations; i++)
        {
            a += b;
            b += a;
            a += b;
            b += a;
            a += b;
            b += a;
            a += b;
            b += a;
        }
        return a + b;
    }
}
