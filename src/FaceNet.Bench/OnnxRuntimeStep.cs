using FaceNet.Runtime.Benchmarks;
using FaceNet.Runtime.Cpu;
using FaceNet.Runtime.Export;
using FaceNet.Runtime.Models;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace FaceNet.Bench;

/// <summary>
/// Inference of an exported architecture (seeded random weights) in ONNX Runtime's CPU provider, with all
/// graph optimisations and one intra-op thread per core. FLOPs are counted as for the engine.
/// </summary>
public sealed class OnnxRuntimeStep : IBenchmarkStep
{
    private readonly InferenceSession _session;
    private readonly NamedOnnxValue[] _inputs;

    /// <summary>Exports the model, creates the session and a random batch.</summary>
    public OnnxRuntimeStep(string architecture, int batch, int seed = 1)
    {
        using FaceNetModel model = Architectures.Create(architecture);
        model.Allocate(new CpuBackend(), seed);
        byte[] onnx = OnnxExporter.ToBytes(model);
        var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            IntraOpNumThreads = Environment.ProcessorCount,
        };
        _session = new InferenceSession(onnx, options);

        var random = new Random(seed + 7919);
        var images = new float[batch * 3 * model.InputHeight * model.InputWidth];
        for (int i = 0; i < images.Length; i++)
        {
            images[i] = (float)(random.NextDouble() * 2 - 1);
        }
        var tensor = new DenseTensor<float>(images, [batch, 3, model.InputHeight, model.InputWidth]);
        _inputs = [NamedOnnxValue.CreateFromTensor(OnnxExporter.InputName, tensor)];
        Batch = batch;
        Flops = 2.0 * model.MultiplyAdds * batch;
    }

    /// <inheritdoc />
    public string Mode => "inference";

    /// <inheritdoc />
    public int Batch { get; }

    /// <inheritdoc />
    public double Flops { get; }

    /// <inheritdoc />
    public void Run()
    {
        using var results = _session.Run(_inputs);
    }

    /// <inheritdoc />
    public void Dispose() => _session.Dispose();
}
