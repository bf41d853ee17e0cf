using System.Diagnostics;
using FaceNet.Runtime.Autograd;
using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Operations;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Kernels.Selftest;

/// <summary>
/// The operation parity table: every kernel family (convolution, pooling, LRN, batch normalisation,
/// element-wise and feature operations, fully connected, triplet loss, optimiser updates) at two or three
/// shapes, each run forward and backward through autograd on a reference and a candidate backend. Shapes are
/// odd on purpose, so launches end in partial blocks and tiles.
/// </summary>
public static class OperationParity
{
    /// <summary>The cases of the table, in report order.</summary>
    public static IReadOnlyList<ParityCase> Cases { get; } = BuildCases();

    /// <summary>
    /// Runs every case of <see cref="Cases"/> on <paramref name="reference"/> and <paramref name="candidate"/> and
    /// returns one row per compared output.
    /// </summary>
    public static IReadOnlyList<ParityResult> RunAll(IBackend reference, IBackend candidate) =>
        Cases.SelectMany(c => Run(c, reference, candidate)).ToArray();

    /// <summary>
    /// Runs <paramref name="parityCase"/> on both backends and compares each output; the time is the candidate's,
    /// measured after its work is synchronised.
    /// </summary>
    /// <exception cref="InvalidOperationException">The backends returned different output names or lengths.</exception>
    public static IReadOnlyList<ParityResult> Run(ParityCase parityCase, IBackend reference, IBackend candidate)
    {
        ArgumentNullException.ThrowIfNull(parityCase);
        IReadOnlyList<(string Output, float[] Values)> expected = parityCase.Run(reference);
        var watch = Stopwatch.StartNew();
        IReadOnlyList<(string Output, float[] Values)> actual = parityCase.Run(candidate);
        candidate.Synchronize();
        double milliseconds = watch.Elapsed.TotalMilliseconds;

        var rows = new List<ParityResult>();
        for (int i = 0; i < expected.Count; i++)
        {
            (string name, float[] values) = expected[i];
            if (i >= actual.Count || actual[i].Output != name || actual[i].Values.Length != values.Length)
            {
                throw new InvalidOperationException(
                    $"{parityCase.Operation}: output '{name}' of {values.Length} values has no counterpart on the " +
                    $"{candidate.Name} backend; the case returns different outputs per backend.");
            }
            rows.Add(Compare($"{parityCase.Operation} / {name}", parityCase.Shape, values, actual[i].Values,
                parityCase.Tolerance, milliseconds));
        }
        return rows;
    }

    /// <summary>Compares two arrays value by value; see <see cref="ParityResult"/> for the error measures.</summary>
    public static ParityResult Compare(string operation, string shape, float[] expected, float[] actual,
        ParityTolerance tolerance, double milliseconds)
    {
        double maxAbsolute = 0;
        double maxRelative = 0;
        int failures = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            if (!tolerance.Accepts(expected[i], actual[i]))
            {
                failures++;
            }
            double error = Math.Abs((double)expected[i] - actual[i]);
            if (double.IsNaN(error))
            {
                continue;
            }
            maxAbsolute = Math.Max(maxAbsolute, error);
            double magnitude = Math.Abs((double)expected[i]);
            if (magnitude > tolerance.Absolute && magnitude > 0)
            {
                maxRelative = Math.Max(maxRelative, error / magnitude);
            }
        }
        return new ParityResult(operation, shape, expected.Length, maxAbsolute, maxRelative, tolerance, failures,
            milliseconds);
    }

    private static List<ParityCase> BuildCases()
    {
        var cases = new List<ParityCase>
        {
            Conv("conv2d 3x3", 2, 3, 9, 9, 8, 3, stride: 1, padding: 1, ParityTolerance.Reduction),
            Conv("conv2d 5x5 stride 2", 1, 16, 13, 13, 24, 5, stride: 2, padding: 2, ParityTolerance.LongReduction),
            Conv("conv2d 1x1", 3, 64, 7, 7, 33, 1, stride: 1, padding: 0, ParityTolerance.Reduction),
            Unary("max pool 3x3/2 ceil", [2, 8, 11, 11], ParityTolerance.Exact,
                (g, x) => Pooling.MaxPool2d(g, x, 3, 2, 1, ceilMode: true)),
            Unary("avg pool 3x3/1", [2, 8, 7, 7], ParityTolerance.Elementwise,
                (g, x) => Pooling.AvgPool2d(g, x, 3, 1, 1)),
            Unary("l2 pool 3x3/1", [2, 8, 7, 7], ParityTolerance.Transcendental,
                (g, x) => Pooling.L2Pool2d(g, x, 3, 1, 1)),
            Unary("lrn size 5", [2, 16, 6, 6], ParityTolerance.Transcendental,
                (g, x) => Normalization.Lrn(g, x, LrnParameters.Default)),
            BatchNorm([4, 8, 5, 5]),
            BatchNorm([3, 5, 1, 1]),
            Unary("relu", [3, 17, 5, 5], ParityTolerance.Exact, (g, x) => Activations.Relu(g, x)),
            Unary("maxout p=2", [4, 66], ParityTolerance.Exact, (g, x) => Features.Maxout(g, x, 2)),
            Unary("zero pad 2", [2, 3, 5, 7], ParityTolerance.Exact, (g, x) => Features.ZeroPad2d(g, x, 2)),
            Unary("l2 normalize", [5, 128], ParityTolerance.Statistics, (g, x) => Features.L2Normalize(g, x)),
            Unary("l2 normalize", [3, 1000], ParityTolerance.Statistics, (g, x) => Features.L2Normalize(g, x)),
            FullyConnected(4, 96, 32),
            FullyConnected(7, 1024, 128),
            Triplet(8, 16),
            Triplet(30, 128),
            AdaGrad(1000),
            AdaGrad(4097),
        };
        return cases;
    }

    private static ParityCase Conv(string name, int n, int cin, int h, int w, int cout, int kernel, int stride,
        int padding, ParityTolerance tolerance)
    {
        int[] xDims = [n, cin, h, w];
        int[] weightDims = [cout, cin, kernel, kernel];
        return new ParityCase(name, $"x {Dims(xDims)}, weight {Dims(weightDims)}, stride {stride}, pad {padding}",
            tolerance, backend => RunGraph(backend, [("x", xDims, 1f), ("weight", weightDims, 0.3f), ("bias", [cout], 0.1f)],
                (g, t) => Activations.Relu(g, Convolution.Conv2d(g, t[0], t[1], t[2], stride, padding))));
    }

    private static ParityCase Unary(string name, int[] dims, ParityTolerance tolerance, Func<Graph, Tensor, Tensor> forward) =>
        new(name, $"x {Dims(dims)}", tolerance, backend => RunGraph(backend, [("x", dims, 1f)], (g, t) => forward(g, t[0])));

    private static ParityCase BatchNorm(int[] dims)
    {
        int c = dims[1];
        return new ParityCase("batch norm training", $"x {Dims(dims)}", ParityTolerance.Statistics, backend =>
        {
            Tensor mean = Tensor.Own(backend.Allocate(c), [c]);
            Tensor variance = Tensor.Own(backend.Allocate(c), [c]);
            try
            {
                backend.Fill(mean, 0f);
                backend.Fill(variance, 1f);
                var outputs = RunGraph(backend, [("x", dims, 1f), ("gamma", [c], 1f), ("beta", [c], 0.5f)],
                    (g, t) => Normalization.BatchNorm(g, t[0], t[1], t[2], mean, variance, 0.1f, 1e-5f)).ToList();
                outputs.Add(("running mean", Download(backend, mean)));
                outputs.Add(("running variance", Download(backend, variance)));
                return outputs;
            }
            finally
            {
                mean.Dispose();
                variance.Dispose();
            }
        });
    }

    private static ParityCase FullyConnected(int n, int features, int outputs)
    {
        int[] xDims = [n, features];
        int[] weightDims = [outputs, features];
        ParityTolerance tolerance = features > 500 ? ParityTolerance.LongReduction : ParityTolerance.Reduction;
        return new ParityCase("fully connected", $"x {Dims(xDims)}, weight {Dims(weightDims)}", tolerance,
            backend => RunGraph(backend, [("x", xDims, 1f), ("weight", weightDims, 0.1f), ("bias", [outputs], 0.1f)],
                (g, t) => Linear.FullyConnected(g, t[0], t[1], t[2])));
    }

    /// <summary>
    /// The fused semi-hard triplet loss on L2-normalised embeddings of n / 2 identities with two images each,
    /// with the hardest negative as fallback so that every pair contributes.
    /// </summary>
    private static ParityCase Triplet(int n, int dimension)
    {
        int[] labels = Enumerable.Range(0, n).Select(i => i / 2).ToArray();
        return new ParityCase("triplet semi-hard", $"embeddings [{n}, {dimension}]", ParityTolerance.Reduction, backend =>
        {
            using Graph graph = Graph.ForTraining(backend);
            Tensor raw = graph.FromHost(RandomValues(n * dimension, 1001 + n, 1f), n, dimension);
            Tensor embeddings = Features.L2Normalize(graph, raw);
            TripletLossResult loss = TripletLoss.SemiHard(graph, embeddings, labels, TripletLoss.DefaultMargin,
                NegativePolicy.SemiHardOrHardest);
            return
            [
                ("loss", [loss.Stats.Loss]),
                ("active triplets", [loss.Stats.ActiveTriplets]),
                ("gradient", Download(backend, loss.Gradient)),
            ];
        });
    }

    private static ParityCase AdaGrad(int count) =>
        new("adagrad update", $"parameters [{count}]", ParityTolerance.Transcendental, backend =>
        {
            Tensor parameter = Upload(backend, RandomValues(count, 2001, 1f), count);
            Tensor gradient = Upload(backend, RandomValues(count, 2002, 0.5f), count);
            Tensor accumulator = Upload(backend, RandomValues(count, 2003, 1f).Select(Math.Abs).ToArray(), count);
            try
            {
                backend.AdaGradUpdate(parameter, gradient, accumulator, 0.05f, 1e-10f, 1e-4f);
                return [("parameter", Download(backend, parameter)), ("accumulator", Download(backend, accumulator))];
            }
            finally
            {
                parameter.Dispose();
                gradient.Dispose();
                accumulator.Dispose();
            }
        });

    /// <summary>
    /// Creates the inputs from fixed seeds (scaled to [-scale, scale)), runs <paramref name="forward"/>, seeds the
    /// backward pass with random values and returns the output followed by each input's gradient.
    /// </summary>
    private static IReadOnlyList<(string Output, float[] Values)> RunGraph(IBackend backend,
        (string Name, int[] Dims, float Scale)[] inputs, Func<Graph, Tensor[], Tensor> forward)
    {
        using Graph graph = Graph.ForTraining(backend);
        var tensors = new Tensor[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            (_, int[] dims, float scale) = inputs[i];
            tensors[i] = graph.FromHost(RandomValues(Count(dims), 100 + i, scale), dims);
            tensors[i].RequiresGrad = true;
        }

        Tensor y = forward(graph, tensors);
        var outputs = new List<(string, float[])> { ("forward", Download(backend, y)) };
        Tensor seed = graph.FromHost(RandomValues(y.Count, 99, 1f), y.Dims.ToArray());
        graph.Backward(y, seed, keepTensors: true);
        for (int i = 0; i < inputs.Length; i++)
        {
            outputs.Add(($"d{inputs[i].Name}", Download(backend, graph.GradientOf(tensors[i]))));
        }
        return outputs;
    }

    private static float[] RandomValues(int count, int seed, float scale)
    {
        var random = new Random(seed);
        float[] values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = (float)((random.NextDouble() * 2 - 1) * scale);
        }
        return values;
    }

    private static Tensor Upload(IBackend backend, float[] values, params int[] dims)
    {
        Tensor tensor = Tensor.Own(backend.Allocate(values.Length), dims);
        backend.Upload(values, tensor);
        return tensor;
    }

    private static float[] Download(IBackend backend, Tensor tensor)
    {
        float[] values = new float[tensor.Count];
        backend.Download(tensor, values);
        return values;
    }

    private static int Count(int[] dims) => dims.Aggregate(1, (a, b) => a * b);

    private static string Dims(int[] dims) => $"[{string.Join(", ", dims)}]";
}
