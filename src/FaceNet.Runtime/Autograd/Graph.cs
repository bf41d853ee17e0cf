using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Runtime.Autograd;

/// <summary>
/// A reverse-mode autograd tape for one forward pass. Operations allocate their outputs and saved
/// tensors through <see cref="NewTensor"/> and register a backward closure with <see cref="Record"/>;
/// <see cref="Backward"/> runs the closures in reverse order and then releases every tensor the graph
/// allocated, so nothing but the parameters' gradients outlives the pass.
/// </summary>
/// <remarks>
/// Backward kernels add into gradients, so a tensor read by several operations (an inception block's
/// input feeds four branches) sums its gradient without extra work. A view's gradient is the same view
/// of its parent's gradient, which is how branches that wrote straight into a concatenated output
/// receive their slice of its gradient.
/// </remarks>
public sealed class Graph : IDisposable
{
    private readonly List<Node> _tape = new();
    private readonly List<Tensor> _owned = new();

    /// <summary>Creates a graph on <paramref name="backend"/>.</summary>
    /// <param name="backend">Where tensors live and kernels run.</param>
    /// <param name="training">Batch normalisation uses batch statistics when true, running statistics otherwise.</param>
    /// <param name="recordGradients">Whether operations record backward closures.</param>
    public Graph(IBackend backend, bool training, bool recordGradients)
    {
        Backend = backend;
        IsTraining = training;
        RecordsGradients = recordGradients;
    }

    /// <summary>A graph for inference: running statistics, no tape.</summary>
    public static Graph ForInference(IBackend backend) => new(backend, training: false, recordGradients: false);

    /// <summary>A graph for training: batch statistics and a tape.</summary>
    public static Graph ForTraining(IBackend backend) => new(backend, training: true, recordGradients: true);

    /// <summary>The backend every tensor of this graph lives on.</summary>
    public IBackend Backend { get; }

    /// <summary>Whether batch normalisation uses batch statistics.</summary>
    public bool IsTraining { get; }

    /// <summary>Whether operations record backward closures.</summary>
    public bool RecordsGradients { get; }

    /// <summary>Number of recorded operations.</summary>
    public int NodeCount => _tape.Count;

    /// <summary>Number of tensors the graph holds and will release.</summary>
    public int OwnedTensorCount => _owned.Count;

    /// <summary>Allocates a tensor from the backend's pool that the graph releases on <see cref="Reset"/>.</summary>
    public Tensor NewTensor(params int[] dims)
    {
        long count = 1;
        foreach (int d in dims)
        {
            count *= d;
        }
        if (count > int.MaxValue)
        {
            throw new ArgumentException($"Tensor of shape {Tensor.Format(dims)} has more than 2^31 elements.");
        }
        Tensor t = Tensor.Own(Backend.Allocate((int)count), dims);
        _owned.Add(t);
        return t;
    }

    /// <summary>Allocates a tensor and sets it to zero.</summary>
    public Tensor NewZeroTensor(params int[] dims)
    {
        Tensor t = NewTensor(dims);
        Backend.Fill(t, 0f);
        return t;
    }

    /// <summary>Takes ownership of a tensor so that <see cref="Reset"/> releases it.</summary>
    public Tensor Adopt(Tensor tensor)
    {
        _owned.Add(tensor);
        return tensor;
    }

    /// <summary>Uploads host data into a new graph-owned tensor.</summary>
    public Tensor FromHost(ReadOnlySpan<float> data, params int[] dims)
    {
        Tensor t = NewTensor(dims);
        Backend.Upload(data, t);
        return t;
    }

    /// <summary>Whether a gradient must flow into <paramref name="tensor"/>.</summary>
    public bool NeedsGradient(Tensor tensor) => RecordsGradients && tensor.RequiresGrad;

    /// <summary>
    /// Records <paramref name="backward"/> for <paramref name="output"/> when any input needs a gradient,
    /// and marks the output as needing one. The closure reads <c>GradientOf(output)</c> and adds into
    /// <c>GradientOf(input)</c> for the inputs that need it.
    /// </summary>
    public void Record(string operation, Tensor output, Action backward, params Tensor?[] inputs)
    {
        if (!RecordsGradients)
        {
            return;
        }
        bool any = false;
        foreach (Tensor? input in inputs)
        {
            any |= input is not null && input.RequiresGrad;
        }
        if (!any)
        {
            return;
        }
        output.RequiresGrad = true;
        _tape.Add(new Node(operation, output, backward));
    }

    /// <summary>
    /// The gradient tensor of <paramref name="tensor"/>, created as zeros on first use. A view gets the
    /// matching view of its parent's gradient.
    /// </summary>
    public Tensor GradientOf(Tensor tensor)
    {
        if (tensor.Grad is not null)
        {
            return tensor.Grad;
        }
        Tensor grad;
        if (tensor.Parent is not null)
        {
            grad = Adopt(tensor.SameViewOf(GradientOf(tensor.Parent)));
        }
        else
        {
            grad = NewZeroTensor(tensor.Dims.ToArray());
        }
        tensor.Grad = grad;
        return grad;
    }

    /// <summary>
    /// Runs the backward pass from <paramref name="output"/> seeded with <paramref name="seed"/> (same shape;
    /// for a scalar loss a tensor holding 1), then releases the graph's tensors unless
    /// <paramref name="keepTensors"/> is set.
    /// </summary>
    public void Backward(Tensor output, Tensor seed, bool keepTensors = false)
    {
        if (!RecordsGradients)
        {
            throw new InvalidOperationException("Backward on a graph created without gradient recording.");
        }
        if (!output.HasShape(seed.Dims))
        {
            throw new ArgumentException($"Backward seed {seed.ShapeText} does not match output {output.ShapeText}.");
        }
        Backend.AddScaled(seed, 1f, GradientOf(output));
        for (int i = _tape.Count - 1; i >= 0; i--)
        {
            Node node = _tape[i];
            if (HasGradient(node.Output))
            {
                node.Backward();
            }
        }
        if (!keepTensors)
        {
            Reset();
        }
    }

    /// <summary>Releases every tensor the graph allocated and clears the tape; the graph can be reused.</summary>
    public void Reset()
    {
        _tape.Clear();

        // Every tensor an operation produced, and every gradient made for one, is in _owned. Parameters are
        // not, so their persistent gradients stay attached.
        foreach (Tensor t in _owned)
        {
            t.Grad = null;
            t.Dispose();
        }
        _owned.Clear();
    }

    /// <inheritdoc />
    public void Dispose() => Reset();

    private static bool HasGradient(Tensor t) => t.Grad is not null || (t.Parent is not null && HasGradient(t.Parent));

    private sealed record Node(string Operation, Tensor Output, Action Backward);
}
