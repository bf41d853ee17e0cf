namespace FaceNet.Runtime.Evaluation;

/// <summary>
/// Agglomerative clustering cut at a distance threshold. The dendrogram is built with the
/// nearest-neighbour chain algorithm over a condensed pairwise distance matrix: O(n^2) time and
/// n (n - 1) / 2 doubles of memory (100 MB at 5,000 points). The chain algorithm gives the same
/// dendrogram as greedy closest-pair merging for single, complete and average linkage, because these
/// linkages are reducible: a merged cluster is never closer to a third cluster than both of its parts.
/// </summary>
public static class Clustering
{
    /// <summary>
    /// Clusters <paramref name="embeddings"/> so that two clusters merge while their linkage distance is at
    /// or below <paramref name="threshold"/>. Distances use the threshold's metric; a cosine-similarity
    /// threshold s clusters on cosine distance at 1 - s.
    /// </summary>
    /// <exception cref="ArgumentException">The embeddings mix dimensions, contain NaN or infinity, or are too many for
    /// one distance matrix.</exception>
    public static ClusteringResult Agglomerative(IReadOnlyList<float[]> embeddings, Threshold threshold, Linkage linkage)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        ArgumentNullException.ThrowIfNull(threshold);
        Threshold cut = threshold.Metric == DistanceMetric.CosineSimilarity
            ? new Threshold(1.0 - threshold.Value, DistanceMetric.CosineDistance)
            : threshold;

        double[] condensed = PairwiseDistances(embeddings, cut.Metric);
        ClusterMerge[] merges = BuildDendrogram(condensed, embeddings.Count, linkage);
        int[] assignments = CutDendrogram(merges, embeddings.Count, cut.Value);
        int clusterCount = embeddings.Count == 0 ? 0 : assignments.Max() + 1;
        return new ClusteringResult(assignments, clusterCount, linkage, threshold, merges);
    }

    /// <summary>
    /// Builds the dendrogram of a condensed distance matrix (row-major upper triangle without the diagonal,
    /// the layout of SciPy's <c>pdist</c>). The matrix is overwritten. Merges are returned in increasing height.
    /// </summary>
    public static ClusterMerge[] BuildDendrogram(double[] condensed, int count, Linkage linkage)
    {
        ArgumentNullException.ThrowIfNull(condensed);
        if (condensed.LongLength != (long)count * (count - 1) / 2)
        {
            throw new ArgumentException(
                $"A condensed matrix for {count} points has {(long)count * (count - 1) / 2} entries, not {condensed.LongLength}.",
                nameof(condensed));
        }

        var sizes = new int[count];
        Array.Fill(sizes, 1);
        var active = new bool[count];
        Array.Fill(active, true);
        var merges = new List<ClusterMerge>(Math.Max(count - 1, 0));
        var chain = new List<int>();
        int remaining = count;
        int firstActive = 0;

        while (remaining > 1)
        {
            if (chain.Count == 0)
            {
                while (!active[firstActive])
                {
                    firstActive++;
                }
                chain.Add(firstActive);
            }

            int current = chain[^1];
            int previous = chain.Count >= 2 ? chain[^2] : -1;

            // Preferring the previous chain element on ties keeps the chain from cycling.
            int nearest = previous;
            double nearestDistance = previous >= 0 ? condensed[Index(current, previous, count)] : double.PositiveInfinity;
            for (int other = 0; other < count; other++)
            {
                if (other == current || !active[other])
                {
                    continue;
                }
                double distance = condensed[Index(current, other, count)];
                if (distance < nearestDistance)
                {
                    nearestDistance = distance;
                    nearest = other;
                }
            }

            if (nearest != previous)
            {
                chain.Add(nearest);
                continue;
            }

            // current and previous are reciprocal nearest neighbours: merge them into previous's slot.
            chain.RemoveRange(chain.Count - 2, 2);
            MergeInto(condensed, count, sizes, active, previous, current, linkage);
            merges.Add(new ClusterMerge(previous, current, nearestDistance, sizes[previous]));
            remaining--;
        }

        return merges.OrderBy(merge => merge.Height).ToArray();
    }

    /// <summary>Computes the condensed matrix of <paramref name="metric"/> between all point pairs.</summary>
    public static double[] PairwiseDistances(IReadOnlyList<float[]> embeddings, DistanceMetric metric)
    {
        int count = embeddings.Count;
        long entries = (long)count * (count - 1) / 2;
        if (entries > Array.MaxLength)
        {
            throw new ArgumentException(
                $"{count} points need {entries} pairwise distances, more than one array holds; cluster fewer points.",
                nameof(embeddings));
        }
        for (int i = 0; i < count; i++)
        {
            if (embeddings[i].Length != embeddings[0].Length)
            {
                throw new ArgumentException(
                    $"Embedding {i} has {embeddings[i].Length} dimensions, but embedding 0 has {embeddings[0].Length}.",
                    nameof(embeddings));
            }
        }

        for (int i = 0; i < count; i++)
        {
            int bad = Array.FindIndex(embeddings[i], value => !float.IsFinite(value));
            if (bad >= 0)
            {
                throw new ArgumentException(
                    $"Embedding {i} has the non-finite value {embeddings[i][bad]} at index {bad}; clustering needs finite embeddings.",
                    nameof(embeddings));
            }
        }

        var condensed = new double[entries];
        Parallel.For(0, count, i =>
        {
            long row = Index(i, i + 1, count);
            for (int j = i + 1; j < count; j++)
            {
                condensed[row + (j - i - 1)] = Distances.Compute(metric, embeddings[i], embeddings[j]);
            }
        });
        return condensed;
    }

    private static void MergeInto(double[] condensed, int count, int[] sizes, bool[] active, int keep, int drop, Linkage linkage)
    {
        int keepSize = sizes[keep];
        int dropSize = sizes[drop];
        for (int other = 0; other < count; other++)
        {
            if (!active[other] || other == keep || other == drop)
            {
                continue;
            }
            long keepIndex = Index(keep, other, count);
            double toKeep = condensed[keepIndex];
            double toDrop = condensed[Index(drop, other, count)];

            // Lance-Williams updates for the three linkages.
            condensed[keepIndex] = linkage switch
            {
                Linkage.Single => Math.Min(toKeep, toDrop),
                Linkage.Complete => Math.Max(toKeep, toDrop),
                Linkage.Average => (keepSize * toKeep + dropSize * toDrop) / (keepSize + dropSize),
                _ => throw new ArgumentOutOfRangeException(nameof(linkage), linkage, "Unknown linkage."),
            };
        }
        sizes[keep] = keepSize + dropSize;
        active[drop] = false;
    }

    private static int[] CutDendrogram(IReadOnlyList<ClusterMerge> merges, int count, double threshold)
    {
        var parent = new int[count];
        for (int i = 0; i < count; i++)
        {
            parent[i] = i;
        }
        foreach (ClusterMerge merge in merges)
        {
            if (merge.Height <= threshold)
            {
                parent[Find(parent, merge.First)] = Find(parent, merge.Second);
            }
        }

        var numbers = new Dictionary<int, int>();
        var assignments = new int[count];
        for (int i = 0; i < count; i++)
        {
            int root = Find(parent, i);
            if (!numbers.TryGetValue(root, out int number))
            {
                number = numbers.Count;
                numbers[root] = number;
            }
            assignments[i] = number;
        }
        return assignments;
    }

    private static int Find(int[] parent, int i)
    {
        while (parent[i] != i)
        {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        return i;
    }

    /// <summary>Position of pair (i, j), i != j, in the condensed upper-triangle layout.</summary>
    private static long Index(int i, int j, int count)
    {
        if (i > j)
        {
            (i, j) = (j, i);
        }
        return (long)i * count - (long)i * (i + 1) / 2 + (j - i - 1);
    }
}
