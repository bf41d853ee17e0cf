namespace FaceNet.Runtime.Training;

/// <summary>One training mini-batch: image indices into the dataset and their labels for mining.</summary>
/// <param name="Images">Dataset image indices, identity groups first, extra negatives last.</param>
/// <param name="Labels">Identity of each image; -1 marks an extra negative, which is never an anchor.</param>
/// <param name="Identities">Number of identity groups (the P of P x K).</param>
public sealed record TrainingBatch(int[] Images, int[] Labels, int Identities);

/// <summary>
/// Draws mini-batches of P identities x up to K images each, plus extra negatives drawn from other
/// identities, as FaceNet's batches hold about 40 faces per identity plus random negatives.
/// </summary>
/// <remarks>
/// Batch <c>s</c> depends only on the seed and <c>s</c>, never on earlier draws, so a run resumed at
/// step s draws exactly the batches an uninterrupted run would. Identities are visited in a seeded
/// shuffled order that is reshuffled every pass over the identities.
/// </remarks>
public sealed class BatchSampler
{
    private readonly int[][] _imagesByIdentity;
    private readonly int[] _eligible;
    private readonly int _totalImages;

    /// <summary>Creates a sampler.</summary>
    /// <param name="imagesByIdentity">Dataset image indices grouped by identity.</param>
    /// <param name="identitiesPerBatch">P: identity groups per batch (at least 1).</param>
    /// <param name="imagesPerIdentity">K: maximum images per group (at least 2, so groups give positives).</param>
    /// <param name="extraNegatives">Images of other identities added to each batch.</param>
    /// <param name="seed">Seed of every draw.</param>
    /// <exception cref="ArgumentException">When no identity has two images or a size is out of range.</exception>
    public BatchSampler(IReadOnlyList<int[]> imagesByIdentity, int identitiesPerBatch, int imagesPerIdentity,
        int extraNegatives, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(identitiesPerBatch, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(imagesPerIdentity, 2);
        ArgumentOutOfRangeException.ThrowIfNegative(extraNegatives);
        _imagesByIdentity = imagesByIdentity.Select(g => g.ToArray()).ToArray();
        _eligible = Enumerable.Range(0, _imagesByIdentity.Length).Where(i => _imagesByIdentity[i].Length >= 2).ToArray();
        if (_eligible.Length == 0)
        {
            throw new ArgumentException(
                "No identity has two or more images, so no anchor-positive pair can be formed; add images " +
                "or choose a dataset with repeated identities.", nameof(imagesByIdentity));
        }
        _totalImages = _imagesByIdentity.Sum(g => g.Length);
        IdentitiesPerBatch = Math.Min(identitiesPerBatch, _eligible.Length);
        ImagesPerIdentity = imagesPerIdentity;
        ExtraNegatives = extraNegatives;
        Seed = seed;
    }

    /// <summary>P, capped at the number of identities with two or more images.</summary>
    public int IdentitiesPerBatch { get; }

    /// <summary>K.</summary>
    public int ImagesPerIdentity { get; }

    /// <summary>Extra negatives per batch.</summary>
    public int ExtraNegatives { get; }

    /// <summary>Seed of every draw.</summary>
    public int Seed { get; }

    /// <summary>Identities with two or more images.</summary>
    public int EligibleIdentities => _eligible.Length;

    /// <summary>The batch of step <paramref name="step"/> (0-based).</summary>
    public TrainingBatch Draw(long step)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        int perPass = Math.Max(1, _eligible.Length / IdentitiesPerBatch);
        long pass = step / perPass;
        int slot = (int)(step % perPass);

        // The identity order of this pass: a seeded shuffle, so it is a function of (seed, pass) alone.
        int[] order = (int[])_eligible.Clone();
        Shuffle(order, new Random(Mix(Seed, pass, 0x51ed)));
        var chosen = new HashSet<int>();
        var images = new List<int>();
        var labels = new List<int>();
        var random = new Random(Mix(Seed, step, 0x7a3b));
        for (int i = 0; i < IdentitiesPerBatch; i++)
        {
            int identity = order[(slot * IdentitiesPerBatch + i) % order.Length];
            chosen.Add(identity);
            int[] pool = (int[])_imagesByIdentity[identity].Clone();
            Shuffle(pool, random);
            foreach (int image in pool.Take(ImagesPerIdentity))
            {
                images.Add(image);
                labels.Add(identity);
            }
        }

        // Extra negatives: images of identities outside the batch's groups, drawn uniformly over images.
        int available = _totalImages - chosen.Sum(id => _imagesByIdentity[id].Length);
        int extraCount = Math.Min(ExtraNegatives, available);
        var extraImages = new HashSet<int>();
        while (extraImages.Count < extraCount)
        {
            int identity = random.Next(_imagesByIdentity.Length);
            if (chosen.Contains(identity) || _imagesByIdentity[identity].Length == 0)
            {
                continue;
            }
            int[] group = _imagesByIdentity[identity];
            int image = group[random.Next(group.Length)];
            if (extraImages.Add(image))
            {
                images.Add(image);
                labels.Add(-1);
            }
        }
        return new TrainingBatch(images.ToArray(), labels.ToArray(), IdentitiesPerBatch);
    }

    /// <summary>A 32-bit seed mixed from a base seed, a counter and a stream constant (SplitMix64 finaliser).</summary>
    internal static int Mix(int seed, long counter, int stream)
    {
        ulong z = (ulong)(uint)seed * 0x9E3779B97F4A7C15UL ^ (ulong)counter * 0xBF58476D1CE4E5B9UL ^ (ulong)(uint)stream;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (int)(z & 0x7FFFFFFF);
    }

    private static void Shuffle(int[] values, Random random)
    {
        for (int i = values.Length - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (values[i], values[j]) = (values[j], values[i]);
        }
    }
}
