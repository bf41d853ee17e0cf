using FaceNet.Kernels;
using FaceNet.Kernels.Driver;
using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Data;
using FaceNet.Runtime.Embedding;
using FaceNet.Runtime.Evaluation;
using FaceNet.Runtime.Imaging;
using FaceNet.Runtime.Pretrained;

namespace FaceNet.Cli.Commands;

/// <summary>
/// The LFW plumbing the experiments share: resolving the pairs of the chosen folds, embedding their
/// images (through the same cache as <c>facenet lfw</c>, or after a degradation), and scoring pairs whose
/// two images may be embedded by two different models.
/// </summary>
internal sealed class ExperimentLfw
{
    private ExperimentLfw(LfwPairs pairs, LfwResolution resolution, FoldSelection folds, string lfwFolder)
    {
        Pairs = pairs;
        Resolution = resolution;
        Folds = folds;
        LfwFolder = lfwFolder;
    }

    /// <summary>Every pair of pairs.txt.</summary>
    public LfwPairs Pairs { get; }

    /// <summary>The evaluated folds' pairs with their image paths.</summary>
    public LfwResolution Resolution { get; }

    /// <summary>The evaluated folds.</summary>
    public FoldSelection Folds { get; }

    /// <summary>The lfw folder of the data root.</summary>
    public string LfwFolder { get; }

    /// <summary>Distinct images of the evaluated pairs.</summary>
    public IReadOnlyList<string> Images => Resolution.DistinctImagePaths();

    /// <summary>
    /// Loads pairs.txt and resolves the pairs of <paramref name="foldText"/>. Missing images are an error:
    /// the experiments compare conditions on exactly the same pairs.
    /// </summary>
    public static ExperimentLfw Open(string? dataRoot, string foldText)
    {
        string lfw = Path.Combine(DataRoot.RequireExisting(dataRoot), "lfw");
        string pairsPath = Path.Combine(lfw, "pairs.txt");
        if (!File.Exists(pairsPath))
        {
            throw new UsageException($"LFW pairs file '{pairsPath}' not found; check --data-root.");
        }
        LfwPairs pairs = LfwPairs.Load(pairsPath);
        FoldSelection folds = ParseFolds(foldText, pairs.FoldCount, "--folds");
        RequireTwoFolds(folds, foldText);
        LfwResolution resolution = pairs.Resolve(LfwPairs.FindImageRoot(lfw), folds);
        if (resolution.Missing.Count > 0)
        {
            throw new InvalidDataException(
                $"{resolution.Missing.Count} LFW pairs of folds {foldText} have missing images, first: " +
                $"{resolution.Missing[0]}. Restore the images; the experiments need every pair.");
        }
        return new ExperimentLfw(pairs, resolution, folds, lfw);
    }

    /// <summary>
    /// Loads a checkpoint, or face-api's pretrained ResNet when <paramref name="path"/> is 'face-api-resnet',
    /// on the backend --device names. A missing driver or GPU is a data error.
    /// </summary>
    public static FaceEmbedder LoadCheckpoint(string path, string device, int batchSize)
    {
        IBackend backend;
        try
        {
            backend = BackendFactory.Create(device);
        }
        catch (CudaException e)
        {
            throw new InvalidDataException(ModelOptions.DeviceFailureMessage(device, e), e);
        }
        FaceEmbedder embedder = FaceEmbedder.IsFaceApiResNetName(path)
            ? FaceEmbedder.FaceApiResNet(backend)
            : FaceEmbedder.Load(path, backend);
        embedder.BatchSize = batchSize;
        return embedder;
    }

    /// <summary>Distinct images of the pairs in other folds, for calibration; at most <paramref name="limit"/>.</summary>
    public IReadOnlyList<string> ImagesOfFolds(string foldText, int limit)
    {
        FoldSelection folds = ParseFolds(foldText, Pairs.FoldCount, "--calibration-folds");
        LfwResolution resolution = Pairs.Resolve(LfwPairs.FindImageRoot(LfwFolder), folds);
        return resolution.DistinctImagePaths().Take(limit).ToArray();
    }

    /// <summary>Parses a fold selection; an invalid one is a usage error that names the option.</summary>
    public static FoldSelection ParseFolds(string text, int foldCount, string option)
    {
        try
        {
            return FoldSelection.Parse(text, foldCount);
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            throw new UsageException($"Invalid {option} '{text}': {CommandRunner.MessageOf(e)}");
        }
    }

    /// <summary>
    /// Rejects a --folds selection of one fold before anything is embedded: each fold's threshold is
    /// chosen on the other selected folds, so the protocol needs at least two.
    /// </summary>
    public static void RequireTwoFolds(FoldSelection folds, string foldText)
    {
        if (folds.Folds.Count < 2)
        {
            throw new UsageException(
                $"Invalid --folds '{foldText}': select at least two folds, such as '6-10'; each fold's threshold " +
                "is chosen on the other selected folds.");
        }
    }

    /// <summary>
    /// Embeds the images, reusing and filling the embedding cache of <c>facenet lfw</c> when
    /// <paramref name="cacheFolder"/> is given. With face detection, an image without a face is aligned
    /// from landmarks found in its central half, as <c>facenet lfw</c> does, and the count is printed.
    /// Any other image that fails aborts the run.
    /// </summary>
    public static Dictionary<string, float[]> Embed(FaceEmbedder embedder, IReadOnlyList<string> images,
        string? cacheFolder, TextWriter error, string label = "embedding")
    {
        int fallbacksBefore = UseCentreFallback(embedder);
        IReadOnlyList<float[]> vectors = cacheFolder is null
            ? EmbedFiles(embedder, images, error, label)
            : new EmbeddingCache(cacheFolder, embedder.Model.Checksum)
                .GetOrCompute(images, missing => EmbedFiles(embedder, missing, error, label));
        var result = new Dictionary<string, float[]>(StringComparer.Ordinal);
        for (int i = 0; i < images.Count; i++)
        {
            result[images[i]] = vectors[i];
        }
        ReportFallbacks(embedder, fallbacksBefore, label, error);
        return result;
    }

    /// <summary>
    /// Turns on the centre-box fallback of the face pipeline, if there is one: every LFW image shows a
    /// centred face, and the protocol needs every image embedded. Returns the fallback count so far.
    /// </summary>
    private static int UseCentreFallback(FaceEmbedder embedder)
    {
        if (embedder.Faces is null)
        {
            return 0;
        }
        embedder.Faces.Fallback = NoFaceFallback.CentreBox;
        return embedder.Faces.FallbackCount;
    }

    /// <summary>Prints how many images of this pass were aligned with the centre-box fallback, if any.</summary>
    private static void ReportFallbacks(FaceEmbedder embedder, int fallbacksBefore, string label, TextWriter error)
    {
        if (embedder.Faces is { } faces && faces.FallbackCount > fallbacksBefore)
        {
            error.WriteLine($"{label}: no face found by the {faces.DetectorName} detector in " +
                $"{faces.FallbackCount - fallbacksBefore} of the images embedded in this pass; those were aligned " +
                "from landmarks found in the central half of the image.");
        }
    }

    /// <summary>
    /// Decodes each image, applies <paramref name="degrade"/> in memory and embeds the result. Nothing is
    /// cached, because the cache is keyed by file and the pixels are no longer the file's. Images without a
    /// face are handled as in <see cref="Embed"/>.
    /// </summary>
    public static Dictionary<string, float[]> EmbedDegraded(FaceEmbedder embedder, IReadOnlyList<string> images,
        Func<RgbImage, RgbImage> degrade, TextWriter error, string label)
    {
        int fallbacksBefore = UseCentreFallback(embedder);
        var decoder = new ImageDecoder();
        var progress = new EmbeddingProgress(label, images.Count, error);
        var result = new Dictionary<string, float[]>(StringComparer.Ordinal);
        int chunk = Math.Max(embedder.BatchSize, 1) * 4;
        for (int start = 0; start < images.Count; start += chunk)
        {
            int count = Math.Min(chunk, images.Count - start);
            var degraded = new RgbImage[count];
            Parallel.For(0, count, i => degraded[i] = degrade(decoder.Decode(images[start + i])));
            float[][] vectors = embedder.EmbedImages(degraded);
            for (int i = 0; i < count; i++)
            {
                result[images[start + i]] = vectors[i];
            }
            progress.Report(start + count);
        }
        ReportFallbacks(embedder, fallbacksBefore, label, error);
        return result;
    }

    /// <summary>
    /// Runs the verification protocol on the evaluated folds. The first image of each pair is looked up in
    /// <paramref name="first"/> and the second in <paramref name="second"/>, so two models can be compared
    /// across (pass the same map twice for the usual protocol).
    /// </summary>
    public VerificationResult Evaluate(IReadOnlyDictionary<string, float[]> first,
        IReadOnlyDictionary<string, float[]> second)
    {
        var scored = new List<ScoredPair>(Resolution.Available.Count);
        foreach (ResolvedLfwPair pair in Resolution.Available)
        {
            float[] a = first[pair.FirstPath];
            float[] b = second[pair.SecondPath];
            if (a.Length != b.Length)
            {
                throw new UsageException(
                    $"Pair '{pair.Pair}' has embeddings of {a.Length} and {b.Length} dimensions; models compared " +
                    "across must have the same embedding size.");
            }
            scored.Add(new ScoredPair(pair.Pair.Fold, pair.Pair.IsSame, Distances.SquaredL2(a, b)));
        }
        return VerificationProtocol.Evaluate(scored, Folds, 0);
    }

    /// <summary>Runs the usual protocol on one set of embeddings.</summary>
    public VerificationResult Evaluate(IReadOnlyDictionary<string, float[]> embeddings) =>
        Evaluate(embeddings, embeddings);

    private static IReadOnlyList<float[]> EmbedFiles(FaceEmbedder embedder, IReadOnlyList<string> images,
        TextWriter error, string label)
    {
        IReadOnlyList<FileEmbedding> results = embedder.EmbedFiles(images, new EmbeddingProgress(label, images.Count, error));
        FileEmbedding? failed = results.FirstOrDefault(r => !r.Succeeded);
        if (failed is not null)
        {
            throw new InvalidDataException($"LFW image '{failed.Path}' could not be embedded: {failed.Error}");
        }
        return results.Select(r => r.Vector!).ToArray();
    }
}
