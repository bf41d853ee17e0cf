using FaceNet.Runtime.Autograd;
using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Runtime.Training;

/// <summary>
/// Base of the optimisers. It keeps the parameters, one set of state tensors per parameter (same shape, on
/// the parameter's backend) and the number of steps taken. <see cref="Step"/> updates every parameter from its
/// accumulated gradient; <see cref="ZeroGradients"/> clears the gradients for the next batch.
/// </summary>
/// <remarks>
/// For an exact resume a checkpoint stores every tensor of <see cref="State"/> and <see cref="StepCount"/>,
/// and restores them into a freshly built optimiser of the same kind over the same parameters.
/// </remarks>
public abstract class Optimizer : IDisposable
{
    private readonly Dictionary<string, Tensor> _state = new(StringComparer.Ordinal);
    private int _stepCount;

    /// <summary>Takes the parameters to optimise; their names must be unique.</summary>
    /// <exception cref="ArgumentException">The list is empty, contains a repeated name, or the weight decay is
    /// negative or not finite.</exception>
    protected Optimizer(IEnumerable<Parameter> parameters, float weightDecay)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Parameters = parameters.ToArray();
        if (Parameters.Count == 0)
        {
            throw new ArgumentException($"{GetType().Name}: no parameters to optimise.", nameof(parameters));
        }
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (Parameter p in Parameters)
        {
            if (!names.Add(p.Name))
            {
                throw new ArgumentException(
                    $"{GetType().Name}: parameter name '{p.Name}' appears twice; names key the optimiser state.",
                    nameof(parameters));
            }
        }
        if (!float.IsFinite(weightDecay) || weightDecay < 0f)
        {
            throw new ArgumentException(
                $"{GetType().Name}: weight decay {weightDecay} must be finite and at least 0.", nameof(weightDecay));
        }
        WeightDecay = weightDecay;
    }

    /// <summary>The parameters, in the order they are updated.</summary>
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>L2 penalty coefficient added to each gradient as <c>g + WeightDecay * p</c>.</summary>
    public float WeightDecay { get; }

    /// <summary>
    /// Steps completed. Adam's bias correction depends on it, so a resumed run must restore it.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Set to a negative value.</exception>
    public int StepCount
    {
        get => _stepCount;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value, nameof(StepCount));
            _stepCount = value;
        }
    }

    /// <summary>
    /// State tensors by name, <c>slot/parameterName</c> such as <c>accumulator/conv1.weight</c>. Restoring a
    /// checkpoint uploads into these tensors in place.
    /// </summary>
    public IReadOnlyDictionary<string, Tensor> State => _state;

    /// <summary>Updates every parameter from its gradient with <paramref name="learningRate"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The learning rate is negative, infinite or NaN.</exception>
    public void Step(float learningRate)
    {
        if (!float.IsFinite(learningRate) || learningRate < 0f)
        {
            throw new ArgumentOutOfRangeException(nameof(learningRate),
                $"{GetType().Name}: learning rate {learningRate} must be finite and at least 0.");
        }
        _stepCount++;
        foreach (Parameter p in Parameters)
        {
            Update(p, learningRate, _stepCount);
        }
    }

    /// <summary>Sets every parameter's gradient to zero.</summary>
    public void ZeroGradients()
    {
        foreach (Parameter p in Parameters)
        {
            p.ZeroGradient();
        }
    }

    /// <summary>Names a state tensor: <c>slot/parameterName</c>.</summary>
    public static string StateName(string slot, Parameter parameter) => $"{slot}/{parameter.Name}";

    /// <summary>Releases the state tensors; the parameters belong to the model and stay.</summary>
    public void Dispose()
    {
        foreach (Tensor t in _state.Values)
        {
            t.Dispose();
        }
        _state.Clear();
        GC.SuppressFinalize(this);
    }

    /// <summary>Applies one update to <paramref name="parameter"/>; <paramref name="step"/> is 1-based.</summary>
    protected abstract void Update(Parameter parameter, float learningRate, int step);

    /// <summary>
    /// Creates a state tensor of the parameter's shape on its backend, filled with <paramref name="initialValue"/>.
    /// Derived classes call it from their constructor for each parameter.
    /// </summary>
    protected Tensor CreateState(string slot, Parameter parameter, float initialValue)
    {
        IBackend backend = parameter.Value.Backend;
        Tensor t = Tensor.Own(backend.Allocate(parameter.Count), parameter.Value.Dims);
        backend.Fill(t, initialValue);
        _state.Add(StateName(slot, parameter), t);
        return t;
    }

    /// <summary>The state tensor of <paramref name="slot"/> for <paramref name="parameter"/>.</summary>
    protected Tensor GetState(string slot, Parameter parameter) => _state[StateName(slot, parameter)];
}
