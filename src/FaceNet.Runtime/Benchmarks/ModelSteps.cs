using FaceNet.Runtime.Autograd;
using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Models;
using FaceNet.Runtime.Operations;
using FaceNet.Runtime.Tensors;
using FaceNet.Runtime.Training;

namespace FaceNet.Runtime.Benchmarks;

/// <summary>
/// A forward pass of a model over a fixed batch of seeded random images on an inference graph
/// (batch normalisation uses the running statistics). FLOPs are 2 * multiply-adds per image * batch.
/// </summary>
public sealed class InferenceStep : IBenchmarkStep
{
    private readonly FaceNetModel _model;
    private readonly IBackend _backend;
    private readonly Tensor _images;

    /// <summary>Allocates the model's weights (seeded) and a batch of random images on the backend.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The batch is smaller than 1.</exception>
    public InferenceStep(string architecture, IBackend backend, int batch, int seed = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        _backend = backend;
        _model = Architectures.Create(architecture);
        _model.Allocate(backend, seed);
        _images = RandomImages(_model, backend, batch, seed);
        Batch = batch;
        Flops = 2.0 * _model.MultiplyAdds * batch;
    }

    /// <inheritdoc />
    public string Mode => "inference";

    /// <inheritdoc />
    public int Batch { get; }

    /// <inheritdoc />
    public double Flops { get; }

    /// <summary>The allocated model, for per-layer breakdowns.</summary>
    public FaceNetModel Model => _model;

    /// <inheritdoc />
    public void Run()
    {
        using Graph graph = Graph.ForInference(_backend);
        _model.Forward(graph, _images);
        _backend.Synchronize();
    }

    /// <summary>Runs one forward pass and copies the embeddings (N, D) to the host.</summary>
    public float[] Embeddings()
    {
        using Graph graph = Graph.ForInference(_backend);
        Tensor y = _model.Forward(graph, _images);
        var host = new float[y.Count];
        _backend.Download(y, host);
        return host;
    }

    /// <summary>The input batch (N, 3, H, W) on the backend.</summary>
    public Tensor ImageTensor => _images;

    /// <summary>The input batch (N, 3, H, W) as host values.</summary>
    public float[] Images()
    {
        var host = new float[_images.Count];
        _backend.Download(_images, host);
        return host;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _images.Dispose();
        _model.Dispose();
    }

    /// <summary>Uploads uniform random pixels in [-1, 1) for the model's input size.</summary>
    internal static Tensor RandomImages(FaceNetModel model, IBackend backend, int batch, int seed)
    {
        int[] dims = [batch, 3, model.InputHeight, model.InputWidth];
        var host = new float[batch * 3 * model.InputHeight * model.InputWidth];
        var random = new Random(seed + 7919);
        for (int i = 0; i < host.Length; i++)
        {
            host[i] = (float)(random.NextDouble() * 2 - 1);
        }
        Tensor images = Tensor.Own(backend.Allocate(host.Length), dims);
        backend.Upload(host, images);
        return images;
    }
}

/// <summary>
/// One training step: forward pass on a training graph, the fused semi-hard triplet loss (margin 0.2) on
/// identities of <see cref="ImagesPerIdentity"/> images, the backward pass and an AdaGrad update.
/// FLOPs are counted as 3 forward passes (forward, gradient with respect to the data, gradient with respect
/// to the weights), that is 6 * multiply-adds per image * batch. The loss, normalisation and optimiser
/// work is not counted.
/// </summary>
public sealed class TrainingStep : IBenchmarkStep
{
    /// <summary>Images of each identity in the batch; the last identity may have fewer.</summary>
    public const int ImagesPerIdentity = 4;

    private readonly FaceNetModel _model;
    private readonly IBackend _backend;
    private readonly Tensor _images;
    private readonly int[] _labels;
    private readonly AdaGrad _optimizer;

    /// <summary>Allocates the model (seeded), a random batch, labels and the optimiser state.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The batch is smaller than 2, where batch
    /// normalisation has no variance and no anchor-positive pair exists.</exception>
    public TrainingStep(string architecture, IBackend backend, int batch, int seed = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 2);
        _backend = backend;
        _model = Architectures.Create(architecture);
        _model.Allocate(backend, seed);
        _images = InferenceStep.RandomImages(_model, backend, batch, seed);
        _labels = new int[batch];
        for (int i = 0; i < batch; i++)
        {
            _labels[i] = i / ImagesPerIdentity;
        }
        _optimizer = new AdaGrad(_model.Parameters());
        Batch = batch;
        Flops = 6.0 * _model.MultiplyAdds * batch;
    }

    /// <inheritdoc />
    public string Mode => "training";

    /// <inheritdoc />
    public int Batch { get; }

    /// <inheritdoc />
    public double Flops { get; }

    /// <summary>Loss of the most recent step.</summary>
    public float LastLoss { get; private set; }

    /// <inheritdoc />
    public void Run()
    {
        using Graph graph = Graph.ForTraining(_backend);
        Tensor embeddings = _model.Forward(graph, _images);
        TripletLossResult loss = TripletLoss.SemiHard(graph, embeddings, _labels);
        LastLoss = loss.Loss;
        loss.Backward();
        _optimizer.Step(AdaGrad.PaperLearningRate);
        _optimizer.ZeroGradients();
        _backend.Synchronize();
    }

    /// <summary>Runs one step and returns the time of each of its phases.</summary>
    public TrainingPhases RunPhases()
    {
        using Graph graph = Graph.ForTraining(_backend);
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        Tensor embeddings = _model.Forward(graph, _images);
        double forward = Lap(ref start);
        TripletLossResult loss = TripletLoss.SemiHard(graph, embeddings, _labels);
        double lossSeconds = Lap(ref start);
        loss.Backward();
        double backward = Lap(ref start);
        _optimizer.Step(AdaGrad.PaperLearningRate);
        _optimizer.ZeroGradients();
        _backend.Synchronize();
        double update = Lap(ref start);
        LastLoss = loss.Loss;
        return new TrainingPhases(forward, lossSeconds, backward, update);
    }

    /// <summary>The allocated model.</summary>
    public FaceNetModel Model => _model;

    /// <inheritdoc />
    public void Dispose()
    {
        _optimizer.Dispose();
        _images.Dispose();
        _model.Dispose();
    }

    private double Lap(ref long start)
    {
        _backend.Synchronize();
        long now = System.Diagnostics.Stopwatch.GetTimestamp();
        double seconds = System.Diagnostics.Stopwatch.GetElapsedTime(start, now).TotalSeconds;
        start = now;
        return seconds;
    }
}
