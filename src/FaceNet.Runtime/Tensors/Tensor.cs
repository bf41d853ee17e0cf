using FaceNet.Runtime.Backends;

namespace FaceNet.Runtime.Tensors;

/// <summary>
/// A float32 tensor stored on one backend. Rank-4 tensors are NCHW; rank-2 tensors are (N, F).
/// </summary>
/// <remarks>
/// A tensor may be a view into another tensor's buffer. The only views the engine makes are batch
/// strided: sample <c>n</c> starts at <c>Offset + n * BatchStride</c> and its <see cref="SampleSize"/>
/// elements are contiguous. A channel slice of an NCHW tensor (how inception branches write straight
/// into the concatenated output) is such a view, and so is a contiguous tensor, whose
/// <see cref="BatchStride"/> equals <see cref="SampleSize"/>. Every kernel addresses element
/// (n, c, h, w) as <c>Offset + n * BatchStride + (c * H + h) * W + w</c>.
/// </remarks>
public sealed class Tensor : IDisposable
{
    private readonly int[] _dims;
    private DeviceBuffer? _buffer;

    private Tensor(DeviceBuffer buffer, int[] dims, int offset, int batchStride, Tensor? parent)
    {
        _buffer = buffer;
        _dims = dims;
        Offset = offset;
        BatchStride = batchStride;
        Parent = parent;
    }

    /// <summary>Wraps a buffer the caller hands over; disposing the tensor releases the buffer.</summary>
    public static Tensor Own(DeviceBuffer buffer, ReadOnlySpan<int> dims)
    {
        int[] copy = CheckDims(dims);
        long count = Product(copy);
        if (count > buffer.Length)
        {
            throw new ArgumentException(
                $"Tensor of shape {Format(copy)} needs {count} elements but the buffer holds {buffer.Length}.");
        }
        int sample = (int)Product(copy.AsSpan(1));
        return new Tensor(buffer, copy, 0, sample, null);
    }

    /// <summary>Dimensions, outermost first.</summary>
    public ReadOnlySpan<int> Dims => _dims;

    /// <summary>Number of dimensions.</summary>
    public int Rank => _dims.Length;

    /// <summary>Dimension <paramref name="axis"/>; negative values count from the end.</summary>
    public int Dim(int axis) => _dims[axis < 0 ? _dims.Length + axis : axis];

    /// <summary>Batch size (first dimension).</summary>
    public int N => _dims[0];

    /// <summary>Channels of an NCHW tensor, or features of an (N, F) tensor.</summary>
    public int C => _dims[1];

    /// <summary>Height of an NCHW tensor; 1 for rank 2.</summary>
    public int H => _dims.Length >= 4 ? _dims[2] : 1;

    /// <summary>Width of an NCHW tensor; 1 for rank 2.</summary>
    public int W => _dims.Length >= 4 ? _dims[3] : 1;

    /// <summary>Total number of elements (the view's, not the buffer's).</summary>
    public int Count => checked((int)Product(_dims));

    /// <summary>Elements of one sample: the product of every dimension after the first.</summary>
    public int SampleSize => (int)Product(_dims.AsSpan(1));

    /// <summary>Element offset of sample 0 inside <see cref="Buffer"/>.</summary>
    public int Offset { get; }

    /// <summary>Elements between the starts of consecutive samples.</summary>
    public int BatchStride { get; }

    /// <summary>True when the samples follow each other without gaps.</summary>
    public bool IsContiguous => BatchStride == SampleSize || N <= 1;

    /// <summary>The tensor this one views, or null when it owns its buffer.</summary>
    public Tensor? Parent { get; }

    /// <summary>The storage; throws after the tensor is disposed.</summary>
    public DeviceBuffer Buffer =>
        _buffer ?? throw new ObjectDisposedException(nameof(Tensor), $"Tensor {Format(_dims)} was already released.");

    /// <summary>The backend that holds the storage.</summary>
    public IBackend Backend => Buffer.Backend;

    /// <summary>Gradient accumulated by <see cref="Autograd.Graph.Backward"/>, or null.</summary>
    public Tensor? Grad { get; internal set; }

    /// <summary>Whether the graph computes a gradient for this tensor.</summary>
    public bool RequiresGrad { get; set; }

    /// <summary>Shape as text, such as <c>[64, 192, 12, 12]</c>.</summary>
    public string ShapeText => Format(_dims);

    /// <summary>
    /// A view of channels [<paramref name="start"/>, <paramref name="start"/> + <paramref name="count"/>)
    /// of an NCHW tensor or of features of an (N, F) tensor. It shares the buffer; disposing it does nothing.
    /// </summary>
    public Tensor SliceChannels(int start, int count)
    {
        if (Rank != 4 && Rank != 2)
        {
            throw new InvalidOperationException($"SliceChannels needs an NCHW or (N, F) tensor, got {ShapeText}.");
        }
        if (start < 0 || count < 0 || start + count > C)
        {
            throw new ArgumentOutOfRangeException(
                nameof(start), $"Channel slice [{start}, {start + count}) is outside tensor {ShapeText}.");
        }
        int[] dims = (int[])_dims.Clone();
        dims[1] = count;
        int plane = H * W;
        return new Tensor(Buffer, dims, Offset + start * plane, BatchStride, this);
    }

    /// <summary>
    /// A view with other dimensions and the same batch size; only for tensors whose samples are contiguous,
    /// which every tensor's are.
    /// </summary>
    public Tensor Reshape(ReadOnlySpan<int> dims)
    {
        int[] copy = CheckDims(dims);
        if (copy[0] != N || Product(copy) != Count)
        {
            throw new ArgumentException($"Reshape from {ShapeText} to {Format(copy)} changes the batch or element count.");
        }
        return new Tensor(Buffer, copy, Offset, BatchStride, this);
    }

    /// <summary>
    /// The view that this tensor is of <see cref="Parent"/>, made on <paramref name="otherParent"/>, which must
    /// have the parent's dimensions and batch stride. Autograd uses it to give a view its slice of the
    /// parent's gradient.
    /// </summary>
    internal Tensor SameViewOf(Tensor otherParent)
    {
        if (Parent is null)
        {
            throw new InvalidOperationException($"Tensor {ShapeText} is not a view.");
        }
        if (!otherParent.HasShape(Parent.Dims) || otherParent.BatchStride != Parent.BatchStride)
        {
            throw new ArgumentException(
                $"View of {Parent.ShapeText} cannot be made on {otherParent.ShapeText} with another layout.");
        }
        return new Tensor(otherParent.Buffer, _dims, otherParent.Offset + (Offset - Parent.Offset), BatchStride, otherParent);
    }

    /// <summary>Whether this tensor has exactly the given dimensions.</summary>
    public bool HasShape(ReadOnlySpan<int> dims) => dims.SequenceEqual(_dims);

    /// <summary>Releases the buffer to its backend's pool; views release nothing.</summary>
    public void Dispose()
    {
        if (Parent is null && _buffer is not null)
        {
            _buffer.Backend.Release(_buffer);
        }
        _buffer = null;
    }

    /// <summary>Whether <see cref="Dispose"/> has run.</summary>
    public bool IsDisposed => _buffer is null;

    /// <inheritdoc />
    public override string ToString() => $"Tensor{ShapeText}";

    /// <summary>Formats dimensions as <c>[a, b, c]</c>.</summary>
    public static string Format(ReadOnlySpan<int> dims) => "[" + string.Join(", ", dims.ToArray()) + "]";

    private static int[] CheckDims(ReadOnlySpan<int> dims)
    {
        if (dims.Length == 0)
        {
            throw new ArgumentException("A tensor needs at least one dimension.");
        }
        foreach (int d in dims)
        {
            if (d < 0)
            {
                throw new ArgumentException($"Negative dimension in shape {Format(dims)}.");
            }
        }
        return dims.ToArray();
    }

    private static long Product(ReadOnlySpan<int> dims)
    {
        long p = 1;
        foreach (int d in dims)
        {
            p *= d;
        }
        return p;
    }
}
