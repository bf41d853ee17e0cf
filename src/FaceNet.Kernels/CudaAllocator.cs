using FaceNet.Kernels.Driver;
using FaceNet.Runtime.Backends;

namespace FaceNet.Kernels;

/// <summary>
/// Caching device allocator. Requests are rounded up to a size class and freed blocks wait on a free list of
/// their class, so a training step that requests the same sizes every time stops calling the driver after
/// the first step. When the driver reports the device full, the allocator frees every cached block and
/// retries once before it gives up.
/// </summary>
internal sealed class CudaAllocator : IDisposable
{
    /// <summary>Smallest block; also the alignment of every block.</summary>
    internal const long MinimumBlockBytes = 256;

    private readonly ICudaDriver _driver;
    private readonly Dictionary<long, Stack<DevicePointer>> _free = new();
    private readonly Lock _lock = new();
    private long _fresh;
    private long _reuses;
    private long _live;
    private long _liveBytes;
    private long _cachedBytes;

    public CudaAllocator(ICudaDriver driver) => _driver = driver;

    /// <summary>
    /// Size class of a request: below 256 bytes, 256; otherwise the request rounded up to a quarter of its
    /// highest power of two, so at most 25% of a block is wasted.
    /// </summary>
    internal static long SizeClass(long bytes)
    {
        if (bytes <= MinimumBlockBytes)
        {
            return MinimumBlockBytes;
        }
        long power = 1L << (63 - (int)long.LeadingZeroCount(bytes));
        long step = power / 4;
        return (bytes + step - 1) / step * step;
    }

    /// <summary>Takes a block of at least <paramref name="bytes"/> bytes; returns its address and class size.</summary>
    public (DevicePointer Pointer, long BlockBytes) Rent(long bytes)
    {
        long size = SizeClass(bytes);
        lock (_lock)
        {
            _live++;
            _liveBytes += size;
            if (_free.TryGetValue(size, out Stack<DevicePointer>? stack) && stack.Count > 0)
            {
                _reuses++;
                _cachedBytes -= size;
                return (stack.Pop(), size);
            }
            _fresh++;
        }
        try
        {
            return (AllocateFromDriver(bytes, size), size);
        }
        catch
        {
            lock (_lock)
            {
                _live--;
                _liveBytes -= size;
                _fresh--;
            }
            throw;
        }
    }

    /// <summary>Puts a block from <see cref="Rent"/> on its free list.</summary>
    public void Return(DevicePointer pointer, long blockBytes)
    {
        lock (_lock)
        {
            _live--;
            _liveBytes -= blockBytes;
            if (!_free.TryGetValue(blockBytes, out Stack<DevicePointer>? stack))
            {
                stack = new Stack<DevicePointer>();
                _free[blockBytes] = stack;
            }
            stack.Push(pointer);
            _cachedBytes += blockBytes;
        }
    }

    /// <summary>Frees every cached block to the driver.</summary>
    public void Trim()
    {
        List<DevicePointer> blocks = [];
        lock (_lock)
        {
            foreach (Stack<DevicePointer> stack in _free.Values)
            {
                blocks.AddRange(stack);
            }
            _free.Clear();
            _cachedBytes = 0;
        }
        foreach (DevicePointer block in blocks)
        {
            _driver.Free(block);
        }
    }

    public PoolStatistics Statistics
    {
        get
        {
            lock (_lock)
            {
                return new PoolStatistics(_fresh, _reuses, _live, _cachedBytes);
            }
        }
    }

    /// <summary>Bytes in blocks handed out and not yet returned.</summary>
    public long LiveBytes
    {
        get
        {
            lock (_lock)
            {
                return _liveBytes;
            }
        }
    }

    private DevicePointer AllocateFromDriver(long requested, long size)
    {
        try
        {
            return _driver.Allocate(size);
        }
        catch (CudaOutOfMemoryException)
        {
            // Cached blocks of other size classes may be what the device is missing.
        }
        long cached;
        lock (_lock)
        {
            cached = _cachedBytes;
        }
        Trim();
        try
        {
            return _driver.Allocate(size);
        }
        catch (CudaOutOfMemoryException e)
        {
            throw new CudaOutOfMemoryException(
                $"CUDA allocator: allocating {requested:N0} bytes (block {size:N0}) failed because device " +
                $"'{_driver.DeviceName}' is out of memory, even after freeing {cached:N0} cached bytes; " +
                $"{LiveBytes - size:N0} bytes are in live buffers. Reduce the batch size or release tensors " +
                $"sooner. Driver message: {e.Message}");
        }
    }

    public void Dispose() => Trim();
}
