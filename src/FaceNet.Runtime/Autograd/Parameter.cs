using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Runtime.Autograd;

/// <summary>
/// A trainable tensor with a persistent gradient of the same shape. The graph adds into
/// <see cref="Gradient"/> during the backward pass; the optimiser reads it and <see cref="ZeroGradient"/>
/// clears it before the next step.
/// </summary>
public sealed class Parameter : IDisposable
{
    /// <summary>Allocates a parameter and its gradient on <paramref name="backend"/>, both zero.</summary>
    public Parameter(string name, IBackend backend, params int[] dims)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
        Value = Tensor.Own(backend.Allocate(ElementCount(dims)), dims);
        Gradient = Tensor.Own(backend.Allocate(ElementCount(dims)), dims);
        backend.Fill(Value, 0f);
        backend.Fill(Gradient, 0f);
        Value.RequiresGrad = true;
        Value.Grad = Gradient;
    }

    /// <summary>Dotted name, unique in its model, such as <c>inception3a.branch3x3.conv.weight</c>.</summary>
    public string Name { get; }

    /// <summary>The weights.</summary>
    public Tensor Value { get; }

    /// <summary>d(loss)/d(weights), accumulated over backward passes until cleared.</summary>
    public Tensor Gradient { get; }

    /// <summary>Number of scalars.</summary>
    public int Count => Value.Count;

    /// <summary>Sets the gradient to zero.</summary>
    public void ZeroGradient() => Value.Backend.Fill(Gradient, 0f);

    /// <inheritdoc />
    public void Dispose()
    {
        Value.Dispose();
        Gradient.Dispose();
    }

    private static int ElementCount(int[] dims)
    {
        int c = 1;
        foreach (int d in dims)
        {
            c = checked(c * d);
        }
        return c;
    }
}
