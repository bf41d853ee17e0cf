using FaceNet.Runtime.Backends;

namespace FaceNet.Runtime.Cpu;

/// <summary>
/// Pool of float arrays keyed by exact length. A training step with a fixed batch requests the same
/// lengths every time, so after the first step every request is served from the pool and no large array
/// is allocated.
/// </summary>
/// <remarks>
/// Idle arrays are capped at <see cref="IdleLimitBytes"/>. When a batch size changes from step to step,
/// every new size brings a new set of lengths. Without the cap the pool would keep the arrays of every size
/// it has seen. Over the cap, the lengths used least recently are dropped first.
/// </remarks>
internal sealed class CpuBufferPool
{
    /// <summary>Environment variable that sets the idle cap in MiB.</summary>
    public const string IdleLimitVariable = "FACENET_POOL_LIMIT_MB";

    /// <summary>Default idle cap: 4 GiB, several times the activations of an nn4-small2 step at batch 64.</summary>
    public const long DefaultIdleLimitBytes = 4L << 30;

    private readonly Dictionary<int, Bucket> _free = new();
    private readonly Lock _lock = new();
    private long _fresh;
    private long _reuses;
    private long _live;
    private long _pooledBytes;
    private long _clock;

    public CpuBufferPool(long? idleLimitBytes = null)
    {
        IdleLimitBytes = idleLimitBytes ?? ReadLimit();
    }

    /// <summary>Bytes of idle arrays the pool keeps at most.</summary>
    public long IdleLimitBytes { get; }

    public float[] Rent(int length)
    {
        lock (_lock)
        {
            _live++;
            if (_free.TryGetValue(length, out Bucket? bucket) && bucket.Arrays.Count > 0)
            {
                _reuses++;
                bucket.LastUse = ++_clock;
                _pooledBytes -= (long)length * sizeof(float);
                return bucket.Arrays.Pop();
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
            if (!_free.TryGetValue(array.Length, out Bucket? bucket))
            {
                bucket = new Bucket();
                _free[array.Length] = bucket;
            }
            bucket.Arrays.Push(array);
            bucket.LastUse = ++_clock;
            _pooledBytes += (long)array.Length * sizeof(float);
            if (_pooledBytes > IdleLimitBytes)
            {
                EvictLeastRecentlyUsed();
            }
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

    /// <summary>Drops whole buckets, oldest use first, until the idle bytes are under the cap again.</summary>
    private void EvictLeastRecentlyUsed()
    {
        foreach (var (length, bucket) in _free.OrderBy(entry => entry.Value.LastUse).ToArray())
        {
            if (_pooledBytes <= IdleLimitBytes)
            {
                break;
            }
            _pooledBytes -= (long)length * sizeof(float) * bucket.Arrays.Count;
            _free.Remove(length);
        }
    }

    private static long ReadLimit()
    {
        string? text = Environment.GetEnvironmentVariable(IdleLimitVariable);
        if (text is null)
        {
            return DefaultIdleLimitBytes;
        }
        if (!long.TryParse(text, out long megabytes) || megabytes < 0)
        {
            throw new InvalidOperationException(
                $"{IdleLimitVariable}='{text}' is invalid; give the idle buffer cap in MiB as a whole number.");
        }
        return megabytes << 20;
    }

    private sealed class Bucket
    {
        public Stack<float[]> Arrays { get; } = new();

        public long LastUse { get; set; }
    }
}
