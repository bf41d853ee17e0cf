using FaceNet.Kernels.Driver;
using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Kernels;

/// <summary>
/// Device memory owned by a <see cref="CudaBackend"/>: <see cref="DeviceBuffer.Length"/> float32 elements at
/// <see cref="Pointer"/>, inside a pooled block of <see cref="BlockBytes"/> bytes (rounded up to a size class).
/// </summary>
public sealed class CudaBuffer : DeviceBuffer
{
    internal CudaBuffer(CudaBackend owner, DevicePointer pointer, int length, long blockBytes)
        : base(length)
    {
        Owner = owner;
        Pointer = pointer;
        BlockBytes = blockBytes;
    }

    /// <summary>Device address of element 0.</summary>
    public DevicePointer Pointer { get; }

    /// <summary>Bytes of the pooled block behind this buffer.</summary>
    public long BlockBytes { get; }

    /// <summary>Whether the buffer went back to the pool; using it afterwards is a bug.</summary>
    public bool IsReleased { get; internal set; }

    internal CudaBackend Owner { get; }

    /// <inheritdoc />
    public override IBackend Backend => Owner;
}
