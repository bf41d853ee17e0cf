using FaceNet.Kernels.Driver;

namespace FaceNet.Kernels;

/// <summary>
/// One kernel parameter value as the bytes <c>cuLaunchKernel</c> reads: a device pointer (8 bytes) or an
/// <c>int</c> or <c>float</c> (4 bytes, stored in the low half on little-endian hosts).
/// </summary>
internal readonly struct KernelArgument
{
    private KernelArgument(ulong bits) => Bits = bits;

    /// <summary>The value's bytes, zero-extended to 8.</summary>
    public ulong Bits { get; }

    public static implicit operator KernelArgument(DevicePointer pointer) => new(pointer.Address);

    public static implicit operator KernelArgument(int value) => new((uint)value);

    public static implicit operator KernelArgument(float value) => new(BitConverter.SingleToUInt32Bits(value));

    public static implicit operator KernelArgument(bool value) => new(value ? 1u : 0u);
}
