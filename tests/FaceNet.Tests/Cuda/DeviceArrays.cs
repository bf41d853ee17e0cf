using FaceNet.Kernels.Driver;

namespace FaceNet.Tests.Cuda;

/// <summary>Copies arrays to and from driver memory for kernel tests.</summary>
internal static unsafe class DeviceArrays
{
    public static DevicePointer Upload<T>(ICudaDriver driver, T[] values) where T : unmanaged
    {
        long bytes = (long)values.Length * sizeof(T);
        DevicePointer pointer = driver.Allocate(bytes);
        fixed (T* source = values)
        {
            driver.CopyToDevice(pointer, source, bytes);
        }
        return pointer;
    }

    public static DevicePointer Filled<T>(ICudaDriver driver, int count, T value) where T : unmanaged
    {
        var values = new T[count];
        Array.Fill(values, value);
        return Upload(driver, values);
    }

    public static T[] Download<T>(ICudaDriver driver, DevicePointer pointer, int count) where T : unmanaged
    {
        var values = new T[count];
        fixed (T* destination = values)
        {
            driver.CopyToHost(destination, pointer, (long)count * sizeof(T));
        }
        return values;
    }
}
