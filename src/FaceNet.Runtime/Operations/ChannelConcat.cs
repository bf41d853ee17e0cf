using FaceNet.Runtime.Tensors;

namespace FaceNet.Runtime.Operations;

/// <summary>
/// An in-place channel concatenation: the output and the channel slices that branches write into. No copy
/// and no backward step are needed, because a slice's gradient is the same slice of the output's gradient.
/// </summary>
public sealed class ChannelConcat
{
    private readonly Tensor[] _slices;

    internal ChannelConcat(Tensor output, Tensor[] slices)
    {
        Output = output;
        _slices = slices;
    }

    /// <summary>The concatenated (N, sum of channels, H, W) tensor.</summary>
    public Tensor Output { get; }

    /// <summary>The channel slices of <see cref="Output"/>, one per part, in order.</summary>
    public IReadOnlyList<Tensor> Slices => _slices;

    /// <summary>The slice of part <paramref name="index"/>.</summary>
    public Tensor this[int index] => _slices[index];

    /// <summary>
    /// Marks the output as needing a gradient when any slice does (an operation that wrote into it had an
    /// input needing one) and returns it.
    /// </summary>
    public Tensor Finish()
    {
        foreach (Tensor slice in _slices)
        {
            if (slice.RequiresGrad)
            {
                Output.RequiresGrad = true;
            }
        }
        return Output;
    }
}
