namespace FaceNet.Runtime.Tensors;

/// <summary>
/// A block of float32 storage owned by one <see cref="Backends.IBackend"/>: a managed array on the CPU,
/// device memory on CUDA. Buffers come from the backend's pool and go back to it on release.
/// </summary>
public abstract class DeviceBuffer
{
    protected DeviceBuffer(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Length = length;
    }

    /// <summary>Number of float32 elements.</summary>
    public int Length { get; }

    /// <summary>The backend that allocated this buffer and must release it.</summary>
    public abstract Backends.IBackend Backend { get; }
}
