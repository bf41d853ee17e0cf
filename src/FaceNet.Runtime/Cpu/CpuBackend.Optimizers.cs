using System.Numerics;
using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Runtime.Cpu;

// Optimiser updates: element-wise over the parameter and its state tensors, which all share one shape.
// Each update reads and writes only its own element, so splitting the work over threads cannot change
// the result.
public sealed partial class CpuBackend
{
    /// <summary>Elements per work item; tensors of at most this many elements update on the calling thread.</summary>
    private const int OptimizerChunk = 1 << 15;

    /// <inheritdoc />
    public void AdaGradUpdate(Tensor parameter, Tensor gradient, Tensor accumulator, float learningRate,
        float epsilon, float weightDecay)
    {
        CheckSameCount("AdaGradUpdate", parameter, gradient);
        CheckSameCount("AdaGradUpdate", parameter, accumulator);
        ForEachChunk([parameter, gradient, accumulator], (spans, length) =>
        {
            Span<float> p = spans[0];
            Span<float> g = spans[1];
            Span<float> acc = spans[2];
            int width = Vector<float>.Count;
            var lr = new Vector<float>(learningRate);
            var eps = new Vector<float>(epsilon);
            var wd = new Vector<float>(weightDecay);
            int i = 0;
            for (; i <= length - width; i += width)
            {
                var pv = new Vector<float>(p.Slice(i));
                Vector<float> gv = new Vector<float>(g.Slice(i)) + wd * pv;
                Vector<float> av = new Vector<float>(acc.Slice(i)) + gv * gv;
                av.CopyTo(acc.Slice(i));
                (pv - lr * gv / (Vector.SquareRoot(av) + eps)).CopyTo(p.Slice(i));
            }
            for (; i < length; i++)
            {
                float gi = g[i] + weightDecay * p[i];
                acc[i] += gi * gi;
                p[i] -= learningRate * gi / (MathF.Sqrt(acc[i]) + epsilon);
            }
        });
    }

    /// <inheritdoc />
    public void SgdUpdate(Tensor parameter, Tensor gradient, Tensor velocity, float learningRate, float momentum,
        float weightDecay)
    {
        CheckSameCount("SgdUpdate", parameter, gradient);
        CheckSameCount("SgdUpdate", parameter, velocity);
        ForEachChunk([parameter, gradient, velocity], (spans, length) =>
        {
            Span<float> p = spans[0];
            Span<float> g = spans[1];
            Span<float> v = spans[2];
            int width = Vector<float>.Count;
            var lr = new Vector<float>(learningRate);
            var mu = new Vector<float>(momentum);
            var wd = new Vector<float>(weightDecay);
            int i = 0;
            for (; i <= length - width; i += width)
            {
                var pv = new Vector<float>(p.Slice(i));
                Vector<float> gv = new Vector<float>(g.Slice(i)) + wd * pv;
                Vector<float> vv = mu * new Vector<float>(v.Slice(i)) + gv;
                vv.CopyTo(v.Slice(i));
                (pv - lr * vv).CopyTo(p.Slice(i));
            }
            for (; i < length; i++)
            {
                float gi = g[i] + weightDecay * p[i];
                v[i] = momentum * v[i] + gi;
                p[i] -= learningRate * v[i];
            }
        });
    }

    /// <inheritdoc />
    /// <remarks>
    /// Computed as <c>p -= (lr / (1 - b1^t)) * m / (sqrt(v / (1 - b2^t)) + eps)</c>, the contract's formula
    /// with the first bias correction folded into the step size. The corrections are formed in double.
    /// </remarks>
    public void AdamUpdate(Tensor parameter, Tensor gradient, Tensor m, Tensor v, float learningRate, float beta1,
        float beta2, float epsilon, float weightDecay, int step)
    {
        if (step < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(step), $"AdamUpdate: step {step} must be 1 or more.");
        }
        CheckSameCount("AdamUpdate", parameter, gradient);
        CheckSameCount("AdamUpdate", parameter, m);
        CheckSameCount("AdamUpdate", parameter, v);
        float stepSize = (float)(learningRate / (1 - Math.Pow(beta1, step)));
        float inverseCorrection2 = (float)(1 / (1 - Math.Pow(beta2, step)));
        ForEachChunk([parameter, gradient, m, v], (spans, length) =>
        {
            Span<float> p = spans[0];
            Span<float> g = spans[1];
            Span<float> ms = spans[2];
            Span<float> vs = spans[3];
            int width = Vector<float>.Count;
            var b1 = new Vector<float>(beta1);
            var b2 = new Vector<float>(beta2);
            var oneMinusB1 = new Vector<float>(1f - beta1);
            var oneMinusB2 = new Vector<float>(1f - beta2);
            var size = new Vector<float>(stepSize);
            var correction2 = new Vector<float>(inverseCorrection2);
            var eps = new Vector<float>(epsilon);
            var wd = new Vector<float>(weightDecay);
            int i = 0;
            for (; i <= length - width; i += width)
            {
                var pv = new Vector<float>(p.Slice(i));
                Vector<float> gv = new Vector<float>(g.Slice(i)) + wd * pv;
                Vector<float> mv = b1 * new Vector<float>(ms.Slice(i)) + oneMinusB1 * gv;
                Vector<float> vv = b2 * new Vector<float>(vs.Slice(i)) + oneMinusB2 * gv * gv;
                mv.CopyTo(ms.Slice(i));
                vv.CopyTo(vs.Slice(i));
                (pv - size * mv / (Vector.SquareRoot(vv * correction2) + eps)).CopyTo(p.Slice(i));
            }
            for (; i < length; i++)
            {
                float gi = g[i] + weightDecay * p[i];
                ms[i] = beta1 * ms[i] + (1f - beta1) * gi;
                vs[i] = beta2 * vs[i] + (1f - beta2) * gi * gi;
                p[i] -= stepSize * ms[i] / (MathF.Sqrt(vs[i] * inverseCorrection2) + epsilon);
            }
        });
    }

    private delegate void ChunkUpdate(ArraySegment<float>[] spans, int length);

    /// <summary>
    /// Calls <paramref name="update"/> on matching runs of elements of same-shaped tensors: the whole storage
    /// when all are contiguous, one sample at a time otherwise, in pieces of <see cref="OptimizerChunk"/>
    /// elements spread over the cores.
    /// </summary>
    private static void ForEachChunk(Tensor[] tensors, ChunkUpdate update)
    {
        bool contiguous = tensors.All(t => t.IsContiguous);
        int segments = contiguous ? 1 : tensors[0].N;
        int segmentLength = contiguous ? tensors[0].Count : tensors[0].SampleSize;
        int chunksPerSegment = Math.Max(1, (segmentLength + OptimizerChunk - 1) / OptimizerChunk);
        int total = segments * chunksPerSegment;

        void Run(int index)
        {
            int segment = index / chunksPerSegment;
            int start = index % chunksPerSegment * OptimizerChunk;
            int length = Math.Min(OptimizerChunk, segmentLength - start);
            if (length <= 0)
            {
                return;
            }
            var spans = new ArraySegment<float>[tensors.Length];
            for (int k = 0; k < tensors.Length; k++)
            {
                Tensor t = tensors[k];
                int offset = t.Offset + (contiguous ? 0 : segment * t.BatchStride) + start;
                spans[k] = new ArraySegment<float>(Array(t), offset, length);
            }
            update(spans, length);
        }

        if ((long)segments * segmentLength <= OptimizerChunk)
        {
            for (int index = 0; index < total; index++)
            {
                Run(index);
            }
        }
        else
        {
            Parallel.For(0, total, Run);
        }
    }
}
