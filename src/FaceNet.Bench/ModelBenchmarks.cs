using BenchmarkDotNet.Attributes;
using FaceNet.Runtime.Benchmarks;
using FaceNet.Runtime.Cpu;
using FaceNet.Runtime.Models;

namespace FaceNet.Bench;

/// <summary>
/// Inference of every architecture at batch 1 and 64 on the CPU backend. Each invocation is one forward
/// pass over the batch; FLOPs are 2 * the model's counted multiply-adds per image * batch.
/// </summary>
[Config(typeof(ThroughputConfig))]
public class InferenceBenchmarks : IThroughputWork
{
    private InferenceStep? _step;

    /// <summary>Architecture name.</summary>
    [Params("nns2", "nn4-small2", "nn4", "nns1", "nn3", "nn2", "nn1")]
    public string Arch { get; set; } = "nn4-small2";

    /// <summary>Images per forward pass.</summary>
    [Params(1, 64)]
    public int Batch { get; set; } = 1;

    /// <inheritdoc />
    public double Items => Batch;

    /// <inheritdoc />
    public double Flops => 2.0 * Architectures.Create(Arch).MultiplyAdds * Batch;

    /// <summary>Allocates the model and the batch.</summary>
    [GlobalSetup]
    public void Setup() => _step = new InferenceStep(Arch, new CpuBackend(), Batch);

    /// <summary>Releases the model.</summary>
    [GlobalCleanup]
    public void Cleanup() => _step?.Dispose();

    /// <summary>One forward pass.</summary>
    [Benchmark]
    public void Forward() => _step!.Run();
}

/// <summary>
/// One training step per invocation: forward, semi-hard triplet loss, backward and AdaGrad update.
/// FLOPs count 3 forward passes (forward, data gradient, weight gradient).
/// </summary>
[Config(typeof(ThroughputConfig))]
public class TrainingBenchmarks : IThroughputWork
{
    private TrainingStep? _step;

    /// <summary>Architecture name.</summary>
    [Params("nns2", "nn4-small2", "nn4", "nns1", "nn3", "nn2", "nn1")]
    public string Arch { get; set; } = "nn4-small2";

    /// <summary>
    /// Images per step: 64 for models under 0.3 G multiply-adds per image, 16 for the rest, which keeps the
    /// activations of nn1 and nn2 to a few GiB.
    /// </summary>
    public int Batch => Architectures.Create(Arch).MultiplyAdds < 300_000_000 ? 64 : 16;

    /// <inheritdoc />
    public double Items => Batch;

    /// <inheritdoc />
    public double Flops => 6.0 * Architectures.Create(Arch).MultiplyAdds * Batch;

    /// <summary>Allocates the model, batch and optimiser state.</summary>
    [GlobalSetup]
    public void Setup() => _step = new TrainingStep(Arch, new CpuBackend(), Batch);

    /// <summary>Releases the model.</summary>
    [GlobalCleanup]
    public void Cleanup() => _step?.Dispose();

    /// <summary>One training step.</summary>
    [Benchmark]
    public void Step() => _step!.Run();
}
