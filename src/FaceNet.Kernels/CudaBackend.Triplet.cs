using FaceNet.Kernels.Driver;
using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Kernels;

public sealed partial class CudaBackend
{
    /// <summary>Per-anchor statistics slots written by <c>triplet_semihard_select</c> (see <c>triplet.cu</c>).</summary>
    private const int StatCount = 8;

    /// <summary>Dynamic shared memory of <c>pairwise_squared_distances</c>: two 16 x 33 float tiles.</summary>
    private const int DistanceSharedBytes = 2 * 16 * 33 * sizeof(float);

    /// <summary>Dynamic shared memory of <c>triplet_semihard_select</c>: scratch plus 8 statistics per warp slot.</summary>
    private const int SelectSharedBytes = ScratchBytes + 32 * StatCount * sizeof(float);

    private const int StatPairs = 0;
    private const int StatTriplets = 1;
    private const int StatActive = 2;
    private const int StatLoss = 3;
    private const int StatPositiveTriplets = 5;
    private const int StatNegative = 6;
    private const int StatPairwise = 7;

    /// <inheritdoc />
    public void PairwiseSquaredDistances(Tensor embeddings, Tensor distances)
    {
        int n = embeddings.N;
        if (n == 0)
        {
            return;
        }
        uint tiles = (uint)((n + 15) / 16);
        Launch("triplet", "pairwise_squared_distances", new Dim3(tiles, tiles), new Dim3(256), DistanceSharedBytes,
            Pointer(embeddings), embeddings.BatchStride, Pointer(distances), distances.BatchStride, n,
            embeddings.SampleSize);
    }

    /// <inheritdoc />
    public float TripletLoss(Tensor embeddings, ReadOnlySpan<int> anchors, ReadOnlySpan<int> positives,
        ReadOnlySpan<int> negatives, float alpha, Tensor gradient, float gradientScale)
    {
        int count = anchors.Length;
        if (positives.Length != count || negatives.Length != count)
        {
            throw new ArgumentException(
                $"TripletLoss: {count} anchors, {positives.Length} positives and {negatives.Length} negatives; " +
                "pass one of each per triplet.");
        }
        int n = embeddings.N;
        int dim = embeddings.SampleSize;
        if (count == 0)
        {
            Fill(gradient, 0f);
            return 0f;
        }

        int[] packed = new int[3 * count];
        CopyIndices("anchors", anchors, n, packed.AsSpan(0, count));
        CopyIndices("positives", positives, n, packed.AsSpan(count, count));
        CopyIndices("negatives", negatives, n, packed.AsSpan(2 * count, count));
        using Workspace triplets = UploadIntegers(packed);
        using Workspace losses = RentWorkspace((long)count * sizeof(float));

        Launch("triplet", "triplet_loss_given_forward", new Dim3((uint)((count + 7) / 8)), new Dim3(256), 0,
            Pointer(embeddings), embeddings.BatchStride, triplets.Pointer, losses.Pointer, count, dim, alpha);
        Launch("triplet", "triplet_loss_given_gradient", new Dim3((uint)n), new Dim3(128), 0,
            Pointer(embeddings), embeddings.BatchStride, triplets.Pointer, losses.Pointer, Pointer(gradient),
            gradient.BatchStride, count, dim, 2f * gradientScale / count);

        float[] host = new float[count];
        DownloadFloats(losses.Pointer, host);
        double sum = 0;
        foreach (float loss in host)
        {
            sum += loss;
        }
        return (float)(sum / count);
    }

    /// <inheritdoc />
    /// <remarks>
    /// Two launches: <c>triplet_semihard_select</c> (one block per anchor: distance row, negative selection,
    /// per-anchor statistics) and <c>triplet_semihard_gradient</c> (one block per row, gathering every active
    /// triplet that involves it). Anchor-positive pairs are ordered: (a, p) and (p, a) are two pairs.
    /// Needs three N x N scratch matrices (distances, negative counts, positive flags).
    /// </remarks>
    public TripletStats TripletSemiHard(Tensor embeddings, ReadOnlySpan<int> labels, float alpha,
        NegativePolicy policy, Tensor gradient, float gradientScale)
    {
        int n = embeddings.N;
        int dim = embeddings.SampleSize;
        if (labels.Length != n)
        {
            throw new ArgumentException(
                $"TripletSemiHard: {labels.Length} labels for embeddings {embeddings.ShapeText}; pass one label per row.");
        }
        if (n == 0)
        {
            return default;
        }

        long square = (long)n * n;
        using Workspace deviceLabels = UploadIntegers(labels);
        using Workspace distances = RentWorkspace(square * sizeof(float));
        using Workspace negativeCount = RentWorkspace(square * sizeof(int));
        using Workspace positiveUsed = RentWorkspace(square * sizeof(int));
        using Workspace stats = RentWorkspace((long)n * StatCount * sizeof(float));

        Launch("triplet", "triplet_semihard_select", new Dim3((uint)n), new Dim3(256), SelectSharedBytes,
            Pointer(embeddings), embeddings.BatchStride, deviceLabels.Pointer, distances.Pointer, negativeCount.Pointer,
            positiveUsed.Pointer, stats.Pointer, n, dim, alpha, (int)policy);
        Launch("triplet", "triplet_semihard_gradient", new Dim3((uint)n), new Dim3(128), ScratchBytes,
            Pointer(embeddings), embeddings.BatchStride, negativeCount.Pointer, positiveUsed.Pointer, stats.Pointer,
            Pointer(gradient), gradient.BatchStride, n, dim, gradientScale);

        float[] host = new float[n * StatCount];
        DownloadFloats(stats.Pointer, host);
        return SumTripletStats(host, n);
    }

    /// <summary>Adds the per-anchor statistics in double, in anchor order.</summary>
    private static TripletStats SumTripletStats(float[] perAnchor, int n)
    {
        double pairs = 0, triplets = 0, active = 0, loss = 0, positive = 0, negative = 0, pairwise = 0;
        for (int a = 0; a < n; a++)
        {
            int row = a * StatCount;
            pairs += perAnchor[row + StatPairs];
            triplets += perAnchor[row + StatTriplets];
            active += perAnchor[row + StatActive];
            loss += perAnchor[row + StatLoss];
            positive += perAnchor[row + StatPositiveTriplets];
            negative += perAnchor[row + StatNegative];
            pairwise += perAnchor[row + StatPairwise];
        }
        double pairCount = n * (n - 1) / 2.0;
        return new TripletStats(
            Loss: triplets > 0 ? (float)(loss / triplets) : 0f,
            Pairs: (int)pairs,
            Triplets: (int)triplets,
            ActiveTriplets: (int)active,
            MeanPositiveDistance: triplets > 0 ? (float)(positive / triplets) : 0f,
            MeanNegativeDistance: triplets > 0 ? (float)(negative / triplets) : 0f,
            MeanPairwiseDistance: pairCount > 0 ? (float)(pairwise / pairCount) : 0f);
    }

    private static void CopyIndices(string role, ReadOnlySpan<int> source, int n, Span<int> destination)
    {
        for (int i = 0; i < source.Length; i++)
        {
            if ((uint)source[i] >= (uint)n)
            {
                throw new ArgumentOutOfRangeException(
                    role, source[i], $"TripletLoss: {role}[{i}] = {source[i]} is outside the {n} embedding rows.");
            }
        }
        source.CopyTo(destination);
    }

    private unsafe void DownloadFloats(DevicePointer source, float[] destination)
    {
        fixed (float* host = destination)
        {
            _driver.CopyToHost(host, source, (long)destination.Length * sizeof(float));
        }
    }
}
