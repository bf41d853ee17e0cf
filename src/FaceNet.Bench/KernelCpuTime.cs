using System.Diagnostics;
using System.Globalization;
using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Cpu;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Bench;

/// <summary>
/// <c>kernels [--batch N] [--runs N]</c>: process CPU milliseconds per call of the CPU backend's convolution,
/// pooling, LRN and batch-normalisation kernels at nn4-small2 layer shapes. CPU time, unlike wall time, hardly
/// moves when other processes share the cores, so two builds can be compared on a loaded machine. It counts
/// thread-pool workers that spin while they wait, so a kernel whose parallel loop waits on a descheduled worker
/// still reads high.
/// </summary>
internal static class KernelCpuTime
{
    /// <summary>Untimed calls before timing; enough for the JIT to reach its optimised tier.</summary>
    private const int Warmup = 40;

    public static int Run(string[] args)
    {
        int batch = 64;
        int runs = 10;
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--batch":
                    batch = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
                    break;
                case "--runs":
                    runs = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
                    break;
                default:
                    Console.Error.WriteLine($"Unknown option '{args[i]}'. Usage: kernels [--batch N] [--runs N].");
                    return 1;
            }
        }

        var kernels = new KernelSet(CpuBackend.Instance, batch);
        Console.WriteLine($"CPU ms per call at batch {batch}, median of {runs} (load {LoadAverage()})");
        Console.WriteLine("| Kernel | Shape | Forward | Data gradient | Weight gradient |");
        Console.WriteLine("|---|---|---:|---:|---:|");
        foreach ((string name, int cin, int size, int cout, int kernel, int stride, int pad) in ConvolutionShapes)
        {
            var g = new Conv2dGeometry(batch, cin, size, size, cout, kernel, kernel, stride, stride, pad, pad);
            (double forward, double data, double filter) = kernels.Convolution(g, runs);
            Console.WriteLine(
                $"| {name} | {cin}x{size}x{size} to {cout}, {kernel}x{kernel}/{stride} | {forward:F1} | {data:F1} " +
                $"| {filter:F1} |");
        }
        foreach ((string name, PoolKind kind, int channels, int size, int stride) in PoolShapes)
        {
            var g = new Pool2dGeometry(batch, channels, size, size, 3, 3, stride, stride, 1, 1);
            (double forward, double backward) = kernels.Pool(kind, g, runs);
            Console.WriteLine($"| {name} | {channels}x{size}x{size}, 3x3/{stride} | {forward:F1} | {backward:F1} | - |");
        }
        foreach ((int channels, int size) in MapShapes)
        {
            (double forward, double backward) = kernels.Lrn(channels, size, runs);
            Console.WriteLine($"| LRN 5 | {channels}x{size}x{size} | {forward:F1} | {backward:F1} | - |");
            (forward, backward) = kernels.BatchNorm(channels, size, runs);
            Console.WriteLine($"| batch norm, batch statistics | {channels}x{size}x{size} | {forward:F1} | " +
                $"{backward:F1} | - |");
        }
        Console.WriteLine($"load {LoadAverage()} at the end");
        return 0;
    }

    private static readonly (string Name, int Cin, int Size, int Cout, int Kernel, int Stride, int Pad)[]
        ConvolutionShapes =
        [
            ("conv1", 3, 96, 64, 7, 2, 3),
            ("conv3", 64, 24, 192, 3, 1, 1),
            ("3a 3x3", 96, 12, 128, 3, 1, 1),
            ("3c 3x3/2", 128, 12, 256, 3, 2, 1),
            ("4a 1x1", 640, 6, 256, 1, 1, 0),
            ("5a 3x3", 96, 3, 384, 3, 1, 1),
            ("5a 1x1", 736, 3, 256, 1, 1, 0),
        ];

    private static readonly (string Name, PoolKind Kind, int Channels, int Size, int Stride)[] PoolShapes =
    [
        ("pool1 max", PoolKind.Max, 64, 48, 2),
        ("pool2 max", PoolKind.Max, 192, 24, 2),
        ("3a max", PoolKind.Max, 192, 12, 1),
        ("3b L2", PoolKind.L2, 192, 12, 1),
    ];

    private static readonly (int Channels, int Size)[] MapShapes = [(64, 24), (192, 12)];

    private static string LoadAverage()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Split(' ')[0];
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    /// <summary>Seeded tensors on one backend and the timing loop.</summary>
    private sealed class KernelSet(CpuBackend backend, int batch)
    {
        private readonly Random _random = new(5);

        public (double Forward, double Data, double Filter) Convolution(Conv2dGeometry g, int runs)
        {
            using Tensor x = Random(g.N, g.InChannels, g.H, g.W);
            using Tensor weight = Random(g.OutChannels, g.InChannels, g.KernelH, g.KernelW);
            using Tensor bias = Random(g.OutChannels);
            using Tensor y = Random(g.N, g.OutChannels, g.OutH, g.OutW);
            using Tensor dx = Random(g.N, g.InChannels, g.H, g.W);
            using Tensor dWeight = Random(g.OutChannels, g.InChannels, g.KernelH, g.KernelW);
            return (
                Median(() => backend.Conv2dForward(g, x, weight, bias, y, relu: true), runs),
                Median(() => backend.Conv2dBackwardData(g, y, weight, dx), runs),
                Median(() => backend.Conv2dBackwardFilter(g, x, y, dWeight, bias), runs));
        }

        public (double Forward, double Backward) Pool(PoolKind kind, Pool2dGeometry g, int runs)
        {
            using Tensor x = Random(g.N, g.Channels, g.H, g.W);
            using Tensor y = Random(g.N, g.Channels, g.OutH, g.OutW);
            using Tensor dy = Random(g.N, g.Channels, g.OutH, g.OutW);
            using Tensor dx = Random(g.N, g.Channels, g.H, g.W);
            double forward = Median(() => backend.Pool2dForward(kind, g, x, y), runs);
            return (forward, Median(() => backend.Pool2dBackward(kind, g, x, y, dy, dx), runs));
        }

        public (double Forward, double Backward) Lrn(int channels, int size, int runs)
        {
            LrnParameters p = LrnParameters.Default;
            using Tensor x = Random(batch, channels, size, size);
            using Tensor y = Random(batch, channels, size, size);
            using Tensor scale = Random(batch, channels, size, size);
            using Tensor dy = Random(batch, channels, size, size);
            using Tensor dx = Random(batch, channels, size, size);
            double forward = Median(() => backend.LrnForward(p, x, y, scale), runs);
            return (forward, Median(() => backend.LrnBackward(p, x, y, scale, dy, dx), runs));
        }

        public (double Forward, double Backward) BatchNorm(int channels, int size, int runs)
        {
            using Tensor x = Random(batch, channels, size, size);
            using Tensor y = Random(batch, channels, size, size);
            using Tensor dy = Random(batch, channels, size, size);
            using Tensor dx = Random(batch, channels, size, size);
            using Tensor gamma = Random(channels);
            using Tensor beta = Random(channels);
            using Tensor mean = Random(channels);
            using Tensor invStd = Random(channels);
            using Tensor runningMean = Random(channels);
            using Tensor runningVar = Random(channels);
            using Tensor dGamma = Random(channels);
            using Tensor dBeta = Random(channels);
            double forward = Median(() => backend.BatchNormForwardTraining(x, gamma, beta, y, mean, invStd,
                runningMean, runningVar, 0.1f, 1e-5f), runs);
            return (forward, Median(() => backend.BatchNormBackward(x, dy, gamma, mean, invStd, dx, dGamma, dBeta),
                runs));
        }

        /// <summary>Median process CPU milliseconds of one call, after <see cref="Warmup"/> untimed calls.</summary>
        private static double Median(Action call, int runs)
        {
            for (int i = 0; i < Warmup; i++)
            {
                call();
            }
            using Process process = Process.GetCurrentProcess();
            var milliseconds = new double[runs];
            for (int run = 0; run < runs; run++)
            {
                process.Refresh();
                TimeSpan start = process.TotalProcessorTime;
                call();
                process.Refresh();
                milliseconds[run] = (process.TotalProcessorTime - start).TotalMilliseconds;
            }
            System.Array.Sort(milliseconds);
            return runs % 2 == 1
                ? milliseconds[runs / 2]
                : (milliseconds[runs / 2 - 1] + milliseconds[runs / 2]) / 2;
        }

        /// <summary>Uniform values in (0, 1], positive so that LRN scales and divisors stay valid.</summary>
        private Tensor Random(params int[] dims)
        {
            int count = dims.Aggregate(1, (product, d) => product * d);
            var host = new float[count];
            for (int i = 0; i < count; i++)
            {
                host[i] = (float)(1.0 - _random.NextDouble());
            }
            Tensor tensor = Tensor.Own(backend.Allocate(count), dims);
            backend.Upload(host, tensor);
            return tensor;
        }
    }
}
