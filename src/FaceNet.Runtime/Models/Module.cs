using FaceNet.Runtime.Autograd;
using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Runtime.Models;

/// <summary>
/// A layer or a group of layers. A module is first built as a description (shapes, parameter counts,
/// multiply-adds) that owns no memory; <see cref="Allocate"/> then creates its parameters and state
/// tensors on a backend so that <see cref="Forward(Graph, Tensor)"/> can run.
/// </summary>
/// <remarks>
/// Parameter and state names are dotted paths: the module's <see cref="Path"/> followed by the local
/// name, such as <c>inception3a.branch3x3.conv.weight</c>. Paths are assigned by the root of the module
/// tree (see <see cref="AssignPaths"/>), so the same module type can appear many times with unique names.
/// </remarks>
public abstract class Module : IDisposable
{
    private readonly List<TensorSpec> _parameterSpecs = new();
    private readonly List<TensorSpec> _stateSpecs = new();
    private readonly Dictionary<string, Parameter> _parameters = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Tensor> _states = new(StringComparer.Ordinal);

    /// <summary>Creates a module with a local name (no dots).</summary>
    protected Module(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (name.Contains('.'))
        {
            throw new ArgumentException($"Module name '{name}' contains a dot; dots separate path levels.", nameof(name));
        }
        Name = name;
        Path = name;
    }

    /// <summary>Local name, unique among its siblings.</summary>
    public string Name { get; }

    /// <summary>Dotted path from the root of the module tree.</summary>
    public string Path { get; private set; }

    /// <summary>Short description of the layer type for layer tables, such as <c>conv 7x7/2</c>.</summary>
    public abstract string Kind { get; }

    /// <summary>Sub-modules in forward order; empty for leaf layers.</summary>
    public virtual IReadOnlyList<Module> Children => Array.Empty<Module>();

    /// <summary>Whether <see cref="Allocate"/> has created the tensors.</summary>
    public bool IsAllocated { get; private set; }

    /// <summary>Trainable scalars of this module and its children.</summary>
    public long ParameterCount
    {
        get
        {
            long count = 0;
            foreach (TensorSpec spec in _parameterSpecs)
            {
                count += spec.Count;
            }
            foreach (Module child in Children)
            {
                count += child.ParameterCount;
            }
            return count;
        }
    }

    /// <summary>Runs the module on a batch; the result belongs to <paramref name="graph"/>.</summary>
    public abstract Tensor Forward(Graph graph, Tensor x);

    /// <summary>
    /// Runs the module and writes its result into <paramref name="output"/> (such as a channel slice of an
    /// inception block's output), then returns <paramref name="output"/>. Layers whose last operation takes
    /// an output tensor write there directly; the default computes the result and copies it.
    /// </summary>
    public virtual Tensor Forward(Graph graph, Tensor x, Tensor output) =>
        CopyInto.Run(graph, Forward(graph, x), output);

    /// <summary>Shape of one sample's output for an input of shape <paramref name="input"/>; throws when it does not fit.</summary>
    public abstract FeatureShape OutputShape(FeatureShape input);

    /// <summary>Multiply-adds of this module alone (not its children) for one sample of shape <paramref name="input"/>.</summary>
    protected virtual long OwnMultiplyAdds(FeatureShape input) => 0;

    /// <summary>
    /// The layer table for one sample of shape <paramref name="input"/>: a row for this module (a summary
    /// for composites) followed by its children's rows one level deeper. Allocates no activations.
    /// </summary>
    public IReadOnlyList<LayerRow> Describe(FeatureShape input)
    {
        var rows = new List<LayerRow>();
        Describe(input, 0, rows);
        return rows;
    }

    /// <summary>Appends this module's rows at <paramref name="depth"/> and returns its output shape.</summary>
    protected internal virtual FeatureShape Describe(FeatureShape input, int depth, List<LayerRow> rows)
    {
        FeatureShape output = OutputShape(input);
        if (Children.Count == 0)
        {
            rows.Add(new LayerRow(Path, Kind, depth, output, ParameterCount, OwnMultiplyAdds(input)));
            return output;
        }

        // Composite: reserve the summary row, describe the children, then fill in their totals.
        int summary = rows.Count;
        rows.Add(null!);
        DescribeChildren(input, depth + 1, rows);
        long multiplyAdds = OwnMultiplyAdds(input);
        for (int i = summary + 1; i < rows.Count; i++)
        {
            if (rows[i].Depth == depth + 1)
            {
                multiplyAdds += rows[i].MultiplyAdds;
            }
        }
        rows[summary] = new LayerRow(Path, Kind, depth, output, ParameterCount, multiplyAdds);
        return output;
    }

    /// <summary>Appends the children's rows; the default feeds them in sequence.</summary>
    protected virtual void DescribeChildren(FeatureShape input, int depth, List<LayerRow> rows)
    {
        FeatureShape shape = input;
        foreach (Module child in Children)
        {
            shape = child.Describe(shape, depth, rows);
        }
    }

    /// <summary>
    /// Sets this module's path to <paramref name="prefix"/>.Name (or Name when the prefix is empty) and its
    /// children's paths below it. Call once on the root after building the tree.
    /// </summary>
    public void AssignPaths(string prefix)
    {
        Path = prefix.Length == 0 ? Name : prefix + "." + Name;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (Module child in Children)
        {
            if (!seen.Add(child.Name))
            {
                throw new InvalidOperationException($"Module '{Path}' has two children named '{child.Name}'.");
            }
            child.AssignPaths(Path);
        }
    }

    /// <summary>Names and dimensions of every trainable tensor of this module and its children, in order.</summary>
    public IEnumerable<(string Name, int[] Dims)> ParameterShapes()
    {
        foreach (TensorSpec spec in _parameterSpecs)
        {
            yield return (Path + "." + spec.LocalName, spec.Dims);
        }
        foreach (Module child in Children)
        {
            foreach (var entry in child.ParameterShapes())
            {
                yield return entry;
            }
        }
    }

    /// <summary>Names and dimensions of every state tensor (such as running statistics), in order.</summary>
    public IEnumerable<(string Name, int[] Dims)> StateShapes()
    {
        foreach (TensorSpec spec in _stateSpecs)
        {
            yield return (Path + "." + spec.LocalName, spec.Dims);
        }
        foreach (Module child in Children)
        {
            foreach (var entry in child.StateShapes())
            {
                yield return entry;
            }
        }
    }

    /// <summary>
    /// Creates the parameters and state tensors of this module and its children on <paramref name="backend"/>,
    /// drawing initial weights from <paramref name="random"/> in declaration order, so the same seed gives
    /// the same weights.
    /// </summary>
    /// <exception cref="InvalidOperationException">The module is already allocated.</exception>
    public void Allocate(IBackend backend, Random random)
    {
        if (IsAllocated)
        {
            throw new InvalidOperationException($"Module '{Path}' is already allocated.");
        }
        foreach (TensorSpec spec in _parameterSpecs)
        {
            var parameter = new Parameter(Path + "." + spec.LocalName, backend, spec.Dims);
            float[] values = WeightInitializer.Create(spec, random);
            backend.Upload(values, parameter.Value);
            _parameters.Add(spec.LocalName, parameter);
        }
        foreach (TensorSpec spec in _stateSpecs)
        {
            Tensor state = Tensor.Own(backend.Allocate(spec.Count), spec.Dims);
            backend.Fill(state, spec.Init == Initialization.Ones ? 1f : 0f);
            _states.Add(spec.LocalName, state);
        }
        foreach (Module child in Children)
        {
            child.Allocate(backend, random);
        }
        IsAllocated = true;
    }

    /// <summary>Every parameter of this module and its children, in declaration order.</summary>
    public IEnumerable<Parameter> Parameters()
    {
        RequireAllocated();
        foreach (TensorSpec spec in _parameterSpecs)
        {
            yield return _parameters[spec.LocalName];
        }
        foreach (Module child in Children)
        {
            foreach (Parameter p in child.Parameters())
            {
                yield return p;
            }
        }
    }

    /// <summary>Every non-trainable state tensor with its dotted name, in declaration order.</summary>
    public IEnumerable<(string Name, Tensor Tensor)> States()
    {
        RequireAllocated();
        foreach (TensorSpec spec in _stateSpecs)
        {
            yield return (Path + "." + spec.LocalName, _states[spec.LocalName]);
        }
        foreach (Module child in Children)
        {
            foreach (var state in child.States())
            {
                yield return state;
            }
        }
    }

    /// <summary>Releases the parameters and states of this module and its children.</summary>
    public void Dispose()
    {
        foreach (Parameter p in _parameters.Values)
        {
            p.Dispose();
        }
        foreach (Tensor t in _states.Values)
        {
            t.Dispose();
        }
        _parameters.Clear();
        _states.Clear();
        foreach (Module child in Children)
        {
            child.Dispose();
        }
        IsAllocated = false;
        GC.SuppressFinalize(this);
    }

    /// <summary>Declares a trainable tensor; call from the constructor.</summary>
    /// <param name="localName">Name inside the module, such as <c>weight</c>.</param>
    /// <param name="dims">Dimensions.</param>
    /// <param name="init">How <see cref="Allocate"/> fills it.</param>
    /// <param name="fanIn">Inputs feeding each output unit, for the scaled initialisations.</param>
    protected void DeclareParameter(string localName, int[] dims, Initialization init, int fanIn = 1) =>
        _parameterSpecs.Add(new TensorSpec(localName, dims, init, fanIn));

    /// <summary>Declares a non-trainable state tensor, filled with zeros or ones.</summary>
    protected void DeclareState(string localName, int[] dims, Initialization init) =>
        _stateSpecs.Add(new TensorSpec(localName, dims, init, 1));

    /// <summary>The parameter declared as <paramref name="localName"/>.</summary>
    protected Parameter GetParameter(string localName)
    {
        RequireAllocated();
        return _parameters[localName];
    }

    /// <summary>The state tensor declared as <paramref name="localName"/>.</summary>
    protected Tensor GetState(string localName)
    {
        RequireAllocated();
        return _states[localName];
    }

    /// <summary>Creates the exception for an input shape this module does not accept.</summary>
    protected InvalidOperationException ShapeError(FeatureShape input, string expected) =>
        new($"Layer '{Path}' ({Kind}) expects {expected} per sample but got {input}.");

    /// <summary>The per-sample shape of a batch tensor.</summary>
    protected static FeatureShape ShapeOf(Tensor x) =>
        x.Rank == 2 ? FeatureShape.Flat(x.C) : new FeatureShape(x.C, x.H, x.W);

    private void RequireAllocated()
    {
        if (!IsAllocated)
        {
            throw new InvalidOperationException(
                $"Module '{Path}' has no tensors yet; call Allocate(backend, random) on the model first.");
        }
    }
}
