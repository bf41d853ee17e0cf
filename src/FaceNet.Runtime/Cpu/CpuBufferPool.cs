using FaceNet.Runtime.Backends;

namespace FaceNet.Runtime.Cpu;

/// <summary>
/// Pool of float arrays keyed by exact length. A training step asks for the same lengths every time,
/// so after the first step every request is served from the pool and no large array is allocated.
/// </summary>
internal sealed class CpuBufferPool
{
    private readonly Dictionary<int, Stack<float[]>> _free = new();
    private readonly Lock _lock = new();
    private long _fresh;
    private long _reuses;
    private long _live;
    private long _pooledBytes;

    public float[] Rent(int length)
    {
        lock (_lock)
        {
            _live++;
            if (_free.TryGetValue(length, out Stack<float[]>? stack) && stack.Count > 0)
            {
                _reuses++;
                _pooledBytes -= length * sizeof(float);
                return stack.Pop();
            }
            _fresh++;
        }
        return GC.AllocateUninitializedArray<float>(length);
    }

    public void Return(float[] array)
    {
        lock (_lock)
        {
            _live--;
            if (!_free.TryGetValue(array.Length, out Stack<float[]>? stack))
            {
                stack = new Stack<float[]>();
                _free[array.Length] = stack;
            }
            stack.Push(array);
            _pooledBytes += array.Length * sizeof(float);
        }
    }

    /// <summary>Drops every idle array so the garbage collector can take them.</summary>
    public void Trim()
    {
        lock (_lock)
        {
            _free.Clear();
            _pooledBytes = 0;
        }
    }

    public PoolStatistics Statistics
    {
        get
        {
            lock (_lock)
            {
                return new PoolStatistics(_fresh, _reuses, _live, _pooledBytes);
            }
        }
    }
}
