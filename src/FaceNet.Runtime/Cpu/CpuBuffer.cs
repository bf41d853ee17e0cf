using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Runtime.Cpu;

/// <summary>A managed float array owned by a <see cref="CpuBackend"/>.</summary>
public sealed class CpuBuffer : DeviceBuffer
{
    internal CpuBuffer(CpuBackend backend, float[] array)
        : base(array.Length)
    {
        Owner = backend;
        Array = array;
    }

    /// <summary>The storage, exactly <see cref="DeviceBuffer.Length"/> elements long.</summary>
    public float[] Array { get; }

    internal CpuBackend Owner { get; }

    /// <inheritdoc />
    public override IBackend Backend => Owner;
}
