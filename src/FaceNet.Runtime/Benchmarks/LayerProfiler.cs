using System.Diagnostics;
using FaceNet.Runtime.Autograd;
using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Models;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Runtime.Benchmarks;

/// <summary>Median time of one top-level layer of a forward pass.</summary>
/// <param name="Name">Layer path.</param>
/// <param name="Kind">Layer kind, such as <c>inception</c>.</param>
/// <param name="MultiplyAdds">Counted multiply-adds for the whole batch.</param>
/// <param name="Seconds">Median wall time.</param>
public sealed record LayerTiming(string Name, string Kind, long MultiplyAdds, double Seconds)
{
    /// <summary>2 * multiply-adds / seconds, in GFLOP/s; 0 for layers without counted work.</summary>
    public double Gflops => 2.0 * MultiplyAdds / Seconds / 1e9;
}

/// <summary>Median times of the phases of a training step.</summary>
/// <param name="Forward">Forward pass on a training graph.</param>
/// <param name="Loss">Fused semi-hard triplet loss and its gradient.</param>
/// <param name="Backward">Backward pass through the tape.</param>
/// <param name="Update">AdaGrad update and gradient reset.</param>
public sealed record TrainingPhases(double Forward, double Loss, double Backward, double Update);

/// <summary>
/// Per-layer timing of a forward pass: each top-level layer of a model is timed on its own, in order, on
/// an inference graph. The per-layer medians add up to about the whole pass, since the graph bookkeeping
/// between layers is small.
/// </summary>
public static class LayerProfiler
{
    /// <summary>
    /// Times every top-level layer over <paramref name="runs"/> passes after <paramref name="warmup"/> passes.
    /// </summary>
    /// <param name="model">An allocated model.</param>
    /// <param name="backend">The backend the model lives on.</param>
    /// <param name="images">A batch (N, 3, H, W) on the backend.</param>
    /// <param name="warmup">Untimed passes.</param>
    /// <param name="runs">Timed passes; the median per layer is reported.</param>
    public static IReadOnlyList<LayerTiming> ProfileForward(FaceNetModel model, IBackend backend, Tensor images,
        int warmup = 1, int runs = 3)
    {
        IReadOnlyList<Module> layers = model.Layers;
        var seconds = new double[layers.Count][];
        for (int i = 0; i < layers.Count; i++)
        {
            seconds[i] = new double[runs];
        }
        for (int run = -warmup; run < runs; run++)
        {
            using Graph graph = Graph.ForInference(backend);
            Tensor x = images;
            for (int i = 0; i < layers.Count; i++)
            {
                long start = Stopwatch.GetTimestamp();
                x = layers[i].Forward(graph, x);
                backend.Synchronize();
                if (run >= 0)
                {
                    seconds[i][run] = Stopwatch.GetElapsedTime(start).TotalSeconds;
                }
            }
        }

        List<LayerRow> rows = model.Describe().Where(r => r.Depth == 0).ToList();
        var timings = new List<LayerTiming>();
        for (int i = 0; i < layers.Count; i++)
        {
            timings.Add(new LayerTiming(rows[i].Name, rows[i].Kind, rows[i].MultiplyAdds * images.N,
                ThroughputMeter.Median(seconds[i])));
        }
        return timings;
    }
}
