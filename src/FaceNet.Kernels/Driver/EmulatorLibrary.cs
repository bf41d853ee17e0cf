using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace FaceNet.Kernels.Driver;

/// <summary>
/// The C API of <c>libfacenet_emu.so</c> (native/emu/cuda_emu_api.h), bound through function pointers because the
/// library is loaded from an explicit path. A library is loaded once per process and never unloaded: its worker
/// threads live until the process exits.
/// </summary>
internal sealed unsafe class EmulatorLibrary
{
    /// <summary>File name of the emulation library in the application folder.</summary>
    public const string DefaultFileName = "libfacenet_emu.so";

    /// <summary>Environment variable that names another library (a file name in the application folder or a path).</summary>
    public const string LibraryVariable = "FACENET_EMU_LIBRARY";

    private static readonly ConcurrentDictionary<string, EmulatorLibrary> Loaded = new();

    private readonly delegate* unmanaged<byte*, nint> _findKernel;
    private readonly delegate* unmanaged<nint, uint, uint, uint, uint, uint, uint, uint, void**, int> _launch;
    private readonly delegate* unmanaged<byte*> _lastError;
    private readonly delegate* unmanaged<int> _kernelCount;
    private readonly delegate* unmanaged<int, byte*> _kernelName;
    private readonly delegate* unmanaged<int> _threadCount;
    private readonly delegate* unmanaged<int, int> _setThreadCount;
    private readonly delegate* unmanaged<nint, int, int> _setMaxDynamicShared;
    private readonly delegate* unmanaged<nuint, void*> _deviceAlloc;
    private readonly delegate* unmanaged<void*, void> _deviceFree;

    private EmulatorLibrary(string path)
    {
        Path = path;
        nint library = NativeLibrary.Load(path);
        _findKernel = (delegate* unmanaged<byte*, nint>)NativeLibrary.GetExport(library, "facenet_emu_find_kernel");
        _launch = (delegate* unmanaged<nint, uint, uint, uint, uint, uint, uint, uint, void**, int>)
            NativeLibrary.GetExport(library, "facenet_emu_launch");
        _lastError = (delegate* unmanaged<byte*>)NativeLibrary.GetExport(library, "facenet_emu_last_error");
        _kernelCount = (delegate* unmanaged<int>)NativeLibrary.GetExport(library, "facenet_emu_kernel_count");
        _kernelName = (delegate* unmanaged<int, byte*>)NativeLibrary.GetExport(library, "facenet_emu_kernel_name");
        _threadCount = (delegate* unmanaged<int>)NativeLibrary.GetExport(library, "facenet_emu_thread_count");
        _setThreadCount = (delegate* unmanaged<int, int>)NativeLibrary.GetExport(library, "facenet_emu_set_thread_count");
        _setMaxDynamicShared = (delegate* unmanaged<nint, int, int>)
            NativeLibrary.GetExport(library, "facenet_emu_set_max_dynamic_shared");
        _deviceAlloc = (delegate* unmanaged<nuint, void*>)NativeLibrary.GetExport(library, "facenet_emu_device_alloc");
        _deviceFree = (delegate* unmanaged<void*, void>)NativeLibrary.GetExport(library, "facenet_emu_device_free");
    }

    /// <summary>Full path of the loaded library.</summary>
    public string Path { get; }

    /// <summary>
    /// Loads the library named by <see cref="LibraryVariable"/>, else <see cref="DefaultFileName"/>, from the
    /// application folder; throws <see cref="CudaException"/> naming the path when it is missing.
    /// </summary>
    public static EmulatorLibrary Open(string? fileNameOrPath = null)
    {
        string name = fileNameOrPath ?? Environment.GetEnvironmentVariable(LibraryVariable) ?? DefaultFileName;
        string path = System.IO.Path.IsPathRooted(name) ? name : System.IO.Path.Combine(AppContext.BaseDirectory, name);
        if (!File.Exists(path))
        {
            throw new CudaException($"The CUDA emulation library '{path}' was not found. Build FaceNet.Kernels, which " +
                "compiles native/emu and kernels/*.cu with clang++-14 or g++ and copies the library next to the " +
                "application (for the ASan variant pass -p:FaceNetEmuAsan=true).");
        }
        return Loaded.GetOrAdd(path, static p => new EmulatorLibrary(p));
    }

    /// <summary>Status codes of native/emu/cuda_emu_api.h by name.</summary>
    public static string ErrorName(int code) => code switch
    {
        0 => "FACENET_EMU_SUCCESS",
        1 => "FACENET_EMU_ERROR_KERNEL_NOT_FOUND",
        2 => "FACENET_EMU_ERROR_INVALID_CONFIGURATION",
        3 => "FACENET_EMU_ERROR_SHARED_MEMORY",
        4 => "FACENET_EMU_ERROR_DEADLOCK",
        5 => "FACENET_EMU_ERROR_INVALID_WARP_COLLECTIVE",
        6 => "FACENET_EMU_ERROR_OUT_OF_RESOURCES",
        7 => "FACENET_EMU_ERROR_INVALID_VALUE",
        _ => $"emulator status {code}",
    };

    public nint FindKernel(string name)
    {
        byte[] utf8 = [.. System.Text.Encoding.UTF8.GetBytes(name), 0];
        fixed (byte* pointer = utf8)
        {
            return _findKernel(pointer);
        }
    }

    public int Launch(nint kernel, Dim3 grid, Dim3 block, uint dynamicSharedBytes, void** arguments) =>
        _launch(kernel, grid.X, grid.Y, grid.Z, block.X, block.Y, block.Z, dynamicSharedBytes, arguments);

    /// <summary>Message of the calling thread's last failed emulator call.</summary>
    public string LastError() => Marshal.PtrToStringUTF8((nint)_lastError()) ?? "";

    /// <summary>Names of every kernel compiled into the library.</summary>
    public IReadOnlyList<string> KernelNames()
    {
        int count = _kernelCount();
        var names = new string[count];
        for (int i = 0; i < count; i++)
        {
            names[i] = Marshal.PtrToStringUTF8((nint)_kernelName(i)) ?? "";
        }
        return names;
    }

    /// <summary>Allocates 256-byte aligned memory of exactly <paramref name="bytes"/> bytes; null when out of memory.</summary>
    public void* DeviceAlloc(nuint bytes) => _deviceAlloc(bytes);

    public void DeviceFree(void* memory) => _deviceFree(memory);

    public int ThreadCount => _threadCount();

    public int SetThreadCount(int count) => _setThreadCount(count);

    public int SetMaxDynamicShared(nint kernel, int bytes) => _setMaxDynamicShared(kernel, bytes);
}
