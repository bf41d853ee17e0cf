using System.Runtime.InteropServices;

namespace FaceNet.Kernels.Driver;

/// <summary>A retained primary context of one device; releasing it drops the retain count.</summary>
internal sealed class CudaPrimaryContextHandle : SafeHandle
{
    public CudaPrimaryContextHandle(nint context, int device) : base(0, ownsHandle: true)
    {
        SetHandle(context);
        Device = device;
    }

    public int Device { get; }

    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle() => CudaApi.cuDevicePrimaryCtxRelease_v2(Device) == CudaApi.Success;
}

/// <summary>A loaded CUmodule.</summary>
internal sealed class CudaModuleHandle : SafeHandle
{
    public CudaModuleHandle(nint module) : base(0, ownsHandle: true) => SetHandle(module);

    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle() => CudaApi.cuModuleUnload(handle) == CudaApi.Success;
}

/// <summary>A CUstream created by the driver.</summary>
internal sealed class CudaStreamHandle : SafeHandle
{
    public CudaStreamHandle(nint stream) : base(0, ownsHandle: true) => SetHandle(stream);

    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle() => CudaApi.cuStreamDestroy_v2(handle) == CudaApi.Success;
}

/// <summary>A CUevent used for timing.</summary>
internal sealed class CudaEventHandle : SafeHandle
{
    public CudaEventHandle(nint cudaEvent) : base(0, ownsHandle: true) => SetHandle(cudaEvent);

    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle() => CudaApi.cuEventDestroy_v2(handle) == CudaApi.Success;
}

/// <summary>A cublasHandle_t.</summary>
internal sealed class CublasHandle : SafeHandle
{
    public CublasHandle(nint cublas) : base(0, ownsHandle: true) => SetHandle(cublas);

    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle() => CublasApi.cublasDestroy_v2(handle) == CublasApi.StatusSuccess;
}
