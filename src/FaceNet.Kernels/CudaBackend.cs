using FaceNet.Kernels.Driver;
using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Kernels;

/// <summary>How <see cref="CudaBackend"/> runs convolutions.</summary>
public enum ConvolutionAlgorithm
{
    /// <summary>The implicit-GEMM kernels in <c>conv.cu</c>, which never store an im2col matrix.</summary>
    ImplicitGemm,

    /// <summary>Per sample, <c>im2col</c> (or <c>col2im</c>) kernels around a cuBLAS SGEMM.</summary>
    Im2colGemm,
}

/// <summary>
/// The CUDA backend: tensors in device memory from a caching allocator and the kernels of <c>kernels/*.cu</c>
/// launched through an <see cref="ICudaDriver"/>, which is the real driver on a GPU or the emulated driver
/// that runs the same kernel sources on the CPU. The kernels for each operation family live in the partial
/// files beside this one.
/// </summary>
public sealed partial class CudaBackend : IBackend, IDisposable
{
    /// <summary>Threads per block of the 1-D grid-stride kernels.</summary>
    private const int ElementwiseThreads = 256;

    /// <summary>Upper bound on blocks of a grid-stride launch; each thread loops over the rest.</summary>
    private const int MaxElementwiseBlocks = 4096;

    /// <summary>Dynamic shared memory of a kernel that calls <c>block_sum</c>: 32 floats of scratch.</summary>
    private const int ScratchBytes = 32 * sizeof(float);

    private readonly ICudaDriver _driver;
    private readonly bool _ownsDriver;
    private readonly CudaAllocator _allocator;
    private readonly Dictionary<string, CudaModule> _modules = new();
    private readonly Dictionary<(string Module, string Kernel), CudaFunction> _functions = new();
    private readonly Lock _moduleLock = new();
    private bool _disposed;

    /// <summary>Creates a backend over <paramref name="driver"/>; with <paramref name="ownsDriver"/> disposing it disposes the driver.</summary>
    public CudaBackend(ICudaDriver driver, bool ownsDriver = true)
    {
        ArgumentNullException.ThrowIfNull(driver);
        _driver = driver;
        _ownsDriver = ownsDriver;
        _allocator = new CudaAllocator(driver);
    }

    /// <summary>
    /// Opens the named driver (<c>cuda</c> for the GPU, <c>emulated</c> for the CPU emulator) and creates a
    /// backend that owns it.
    /// </summary>
    /// <exception cref="CudaException">The driver cannot be opened. The message gives the reason.</exception>
    /// <exception cref="ArgumentException">The name is neither <c>cuda</c> nor <c>emulated</c>.</exception>
    public static CudaBackend Open(string driverName = "cuda") => new(CudaDriverFactory.Open(driverName));

    /// <summary>The driver's name: <c>cuda</c> or <c>emulated</c>.</summary>
    public string Name => _driver.Name;

    /// <summary>The driver the kernels run on.</summary>
    public ICudaDriver Driver => _driver;

    /// <summary>Convolution implementation; <see cref="ConvolutionAlgorithm.ImplicitGemm"/> by default.</summary>
    public ConvolutionAlgorithm ConvolutionAlgorithm { get; set; } = ConvolutionAlgorithm.ImplicitGemm;

    /// <inheritdoc />
    public PoolStatistics PoolStatistics => _allocator.Statistics;

    /// <inheritdoc />
    public DeviceBuffer Allocate(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        (DevicePointer pointer, long blockBytes) = _allocator.Rent((long)length * sizeof(float));
        return new CudaBuffer(this, pointer, length, blockBytes);
    }

    /// <inheritdoc />
    public void Release(DeviceBuffer buffer)
    {
        CudaBuffer cuda = Own(buffer);
        if (cuda.IsReleased)
        {
            throw new InvalidOperationException(
                $"CUDA buffer of {cuda.Length} elements was released twice; a tensor was disposed more than once.");
        }
        cuda.IsReleased = true;
        _allocator.Return(cuda.Pointer, cuda.BlockBytes);
    }

    /// <summary>Frees every idle pooled block to the driver.</summary>
    public void TrimPool() => _allocator.Trim();

    /// <inheritdoc />
    public void Synchronize() => _driver.Synchronize();

    /// <inheritdoc />
    public unsafe void Upload(ReadOnlySpan<float> source, Tensor destination)
    {
        CheckLength("Upload", source.Length, destination);
        if (source.IsEmpty)
        {
            return;
        }
        int sample = destination.SampleSize;
        fixed (float* host = source)
        {
            if (destination.IsContiguous)
            {
                _driver.CopyToDevice(Pointer(destination), host, (long)source.Length * sizeof(float));
                return;
            }
            for (int n = 0; n < destination.N; n++)
            {
                _driver.CopyToDevice(SamplePointer(destination, n), host + (long)n * sample, (long)sample * sizeof(float));
            }
        }
    }

    /// <inheritdoc />
    public unsafe void Download(Tensor source, Span<float> destination)
    {
        CheckLength("Download", destination.Length, source);
        if (destination.IsEmpty)
        {
            return;
        }
        int sample = source.SampleSize;
        fixed (float* host = destination)
        {
            if (source.IsContiguous)
            {
                _driver.CopyToHost(host, Pointer(source), (long)destination.Length * sizeof(float));
                return;
            }
            for (int n = 0; n < source.N; n++)
            {
                _driver.CopyToHost(host + (long)n * sample, SamplePointer(source, n), (long)sample * sizeof(float));
            }
        }
    }

    /// <inheritdoc />
    public void Fill(Tensor tensor, float value)
    {
        int total = tensor.Count;
        if (total == 0)
        {
            return;
        }
        if (tensor.IsContiguous)
        {
            _driver.Memset32(Pointer(tensor), BitConverter.SingleToUInt32Bits(value), total);
            return;
        }
        LaunchElementwise("elementwise", "fill", total, Pointer(tensor), tensor.BatchStride, tensor.SampleSize, total, value);
    }

    /// <inheritdoc />
    public void Copy(Tensor source, Tensor destination)
    {
        CheckSameCount("Copy", source, destination);
        int total = source.Count;
        if (total == 0)
        {
            return;
        }
        if (source.IsContiguous && destination.IsContiguous)
        {
            _driver.CopyDeviceToDevice(Pointer(destination), Pointer(source), (long)total * sizeof(float));
            return;
        }
        LaunchElementwise("elementwise", "copy_strided", total, Pointer(source), source.BatchStride,
            Pointer(destination), destination.BatchStride, source.SampleSize, total);
    }

    /// <inheritdoc />
    public void AddScaled(Tensor source, float alpha, Tensor destination)
    {
        CheckSameCount("AddScaled", source, destination);
        int total = source.Count;
        LaunchElementwise("elementwise", "add_scaled", total, Pointer(source), source.BatchStride, alpha,
            Pointer(destination), destination.BatchStride, source.SampleSize, total);
    }

    /// <summary>Frees the pooled memory and, when the backend owns it, the driver.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        _allocator.Dispose();
        if (_ownsDriver)
        {
            _driver.Dispose();
        }
    }

    // ---- helpers shared by the partial files ---------------------------------------------------

    /// <summary>The buffer as this backend's, with a clear error for another backend's buffer.</summary>
    private CudaBuffer Own(DeviceBuffer buffer)
    {
        if (buffer is CudaBuffer cuda && ReferenceEquals(cuda.Owner, this))
        {
            return cuda;
        }
        throw new InvalidOperationException(
            $"A {buffer.Backend.Name} buffer was passed to the {Name} backend; copy the tensor to this backend first.");
    }

    /// <summary>Device address of the tensor's first element (its view offset applied).</summary>
    internal DevicePointer Pointer(Tensor tensor) => Own(tensor.Buffer).Pointer.Add((long)tensor.Offset * sizeof(float));

    /// <summary><see cref="Pointer(Tensor)"/>, or null for a missing optional tensor.</summary>
    private DevicePointer PointerOrNull(Tensor? tensor) => tensor is null ? DevicePointer.Null : Pointer(tensor);

    private DevicePointer SamplePointer(Tensor tensor, int n) =>
        Pointer(tensor).Add((long)n * tensor.BatchStride * sizeof(float));

    /// <summary>Blocks for a 1-D grid-stride launch over <paramref name="total"/> elements.</summary>
    private static uint ElementwiseBlocks(int total) =>
        (uint)Math.Clamp((total + ElementwiseThreads - 1) / ElementwiseThreads, 1, MaxElementwiseBlocks);

    /// <summary>Launches a 1-D grid-stride kernel over <paramref name="total"/> elements; nothing when it is 0.</summary>
    private void LaunchElementwise(string module, string kernel, int total, params ReadOnlySpan<KernelArgument> arguments)
    {
        if (total == 0)
        {
            return;
        }
        Launch(module, kernel, new Dim3(ElementwiseBlocks(total)), new Dim3(ElementwiseThreads), 0, arguments);
    }

    /// <summary>
    /// Launches <paramref name="kernel"/> of <paramref name="module"/>, passing each argument as a pointer to
    /// a stack copy of its value. A grid with no blocks (an empty batch) launches nothing, because CUDA
    /// rejects it as an invalid configuration.
    /// </summary>
    private unsafe void Launch(string module, string kernel, Dim3 grid, Dim3 block, int sharedBytes,
        params ReadOnlySpan<KernelArgument> arguments)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (grid.X == 0 || grid.Y == 0 || grid.Z == 0)
        {
            return;
        }
        CudaFunction function = Function(module, kernel);
        ulong* values = stackalloc ulong[arguments.Length];
        void** pointers = stackalloc void*[arguments.Length];
        for (int i = 0; i < arguments.Length; i++)
        {
            values[i] = arguments[i].Bits;
            pointers[i] = values + i;
        }
        _driver.Launch(function, grid, block, sharedBytes, pointers);
    }

    private CudaFunction Function(string module, string kernel)
    {
        lock (_moduleLock)
        {
            if (_functions.TryGetValue((module, kernel), out CudaFunction? function))
            {
                return function;
            }
            if (!_modules.TryGetValue(module, out CudaModule? loaded))
            {
                loaded = _driver.LoadModule(module, ReadPtx(module));
                _modules[module] = loaded;
            }
            function = _driver.GetFunction(loaded, kernel);
            _functions[(module, kernel)] = function;
            return function;
        }
    }

    /// <summary>
    /// PTX of <c>kernels/{module}.cu</c>, embedded by the build, for the GPU's architecture: sm_80 on a device of
    /// compute capability 8.x, sm_90 on 9.0 and later (<see cref="CudaDriver.PtxArchitecture"/>), and sm_90 for
    /// any other driver. The emulated driver ignores the bytes, so under emulation a build without nvcc loads
    /// the module from an empty array.
    /// </summary>
    private byte[] ReadPtx(string module)
    {
        string architecture = _driver is CudaDriver cuda ? cuda.PtxArchitecture : "sm_90";
        if (_driver.Name == "emulated" && !PtxResources.HasPtx(architecture))
        {
            return [];
        }
        return PtxResources.ReadPtx(module, architecture);
    }

    /// <summary>
    /// Device scratch memory for one call, returned to the pool on dispose. Kernels queued on the single
    /// stream finish before any later use of the block, so it can go back before they run.
    /// </summary>
    private readonly struct Workspace(CudaAllocator allocator, DevicePointer pointer, long blockBytes) : IDisposable
    {
        public DevicePointer Pointer { get; } = pointer;

        public void Dispose() => allocator.Return(Pointer, blockBytes);
    }

    private Workspace RentWorkspace(long bytes)
    {
        (DevicePointer pointer, long blockBytes) = _allocator.Rent(Math.Max(bytes, 4));
        return new Workspace(_allocator, pointer, blockBytes);
    }

    /// <summary>Copies host integers into a fresh workspace.</summary>
    private unsafe Workspace UploadIntegers(ReadOnlySpan<int> values)
    {
        Workspace workspace = RentWorkspace((long)values.Length * sizeof(int));
        if (values.Length > 0)
        {
            fixed (int* host = values)
            {
                _driver.CopyToDevice(workspace.Pointer, host, (long)values.Length * sizeof(int));
            }
        }
        return workspace;
    }

    private static void CheckLength(string operation, int length, Tensor tensor)
    {
        if (length != tensor.Count)
        {
            throw new ArgumentException(
                $"{operation}: host span has {length} elements but tensor {tensor.ShapeText} has {tensor.Count}.");
        }
    }

    private static void CheckSameCount(string operation, Tensor a, Tensor b)
    {
        if (a.N != b.N || a.SampleSize != b.SampleSize)
        {
            throw new ArgumentException($"{operation}: shapes {a.ShapeText} and {b.ShapeText} differ.");
        }
    }
}
