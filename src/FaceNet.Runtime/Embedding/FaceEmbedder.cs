using System.Globalization;
using System.Runtime.ExceptionServices;
using System.Text.Json.Nodes;
using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Checkpoints;
using FaceNet.Runtime.Cpu;
using FaceNet.Runtime.Evaluation;
using FaceNet.Runtime.Imaging;
using FaceNet.Runtime.Models;
using FaceNet.Runtime.Pretrained;

namespace FaceNet.Runtime.Embedding;

/// <summary>
/// Turns face images into unit-length embeddings: decode, apply the model's preprocessing contract, run
/// the model. Distances between embeddings follow <see cref="Distances"/>; the FaceNet convention is the
/// squared L2 distance, 0 for identical faces and at most 4.
/// </summary>
/// <example>
/// <code>
/// using var embedder = FaceEmbedder.Load("runs/nn4-small2/final.fnet");
/// float[] a = embedder.Embed("a.jpg"), b = embedder.Embed("b.jpg");
/// bool same = embedder.Threshold.Accepts(Distances.SquaredL2(a, b));
/// </code>
/// </example>
public sealed class FaceEmbedder : IDisposable
{
    /// <summary>Checkpoint metadata key of the verification threshold on squared L2 distance.</summary>
    public const string ThresholdMetadataKey = "verification.threshold.squaredL2";

    /// <summary>
    /// Squared L2 threshold used when a checkpoint states none: 1.1, the value that separates every
    /// same/different example pair of the FaceNet paper's Figure 1. Calibrate with <c>facenet lfw</c>.
    /// </summary>
    public const double FallbackSquaredL2Threshold = 1.1;

    private readonly ImageDecoder _decoder;
    private readonly Preprocessor _preprocessor;
    private int _batchSize = 32;
    private bool _disposed;

    /// <summary>Wraps a model; the embedder disposes it.</summary>
    public FaceEmbedder(IEmbeddingModel model, Threshold? threshold = null, ImageDecoder? decoder = null)
        : this(model, null, threshold, decoder)
    {
    }

    /// <summary>
    /// Wraps a model fed by a face pipeline: every image is searched for faces, and the face the pipeline's
    /// <see cref="FacePipeline.Choice"/> names, aligned, is what the model embeds. The embedder disposes both.
    /// </summary>
    public FaceEmbedder(IEmbeddingModel model, FacePipeline? faces, Threshold? threshold = null,
        ImageDecoder? decoder = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        Faces = faces;
        Model = faces is null ? model : new FacePipelineModel(model, faces);
        Threshold = threshold ?? Threshold.SquaredL2(FallbackSquaredL2Threshold);
        _decoder = decoder ?? new ImageDecoder();
        _preprocessor = new Preprocessor(model.Preprocessing);
    }

    /// <summary>The model that produces the embeddings.</summary>
    public IEmbeddingModel Model { get; }

    /// <summary>
    /// The face detection and alignment applied to every image before the model, or null when images are
    /// already face crops.
    /// </summary>
    public FacePipeline? Faces { get; }

    /// <summary>The same/different decision threshold, with its metric.</summary>
    public Threshold Threshold { get; }

    /// <summary>Embedding dimension.</summary>
    public int Dimension => Model.Dimension;

    /// <summary>The model's preprocessing contract.</summary>
    public Preprocessing Preprocessing => Model.Preprocessing;

    /// <summary>Images per forward pass in <see cref="EmbedFiles"/> and <see cref="EmbedImages"/>.</summary>
    public int BatchSize
    {
        get => _batchSize;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            _batchSize = value;
        }
    }

    /// <summary>
    /// Loads a checkpoint: architecture, weights, preprocessing contract and threshold from its header. The name
    /// <c>face-api-resnet</c>, when no file of that name exists, loads <see cref="FaceApiResNet"/> instead.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="checkpointPath"/> is null or empty.</exception>
    /// <exception cref="InvalidDataException">The file is corrupt, incomplete or does not match its architecture,
    /// or its header contains an invalid preprocessing contract or threshold.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist, or the path is a folder.</exception>
    public static FaceEmbedder Load(string checkpointPath, IBackend? backend = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(checkpointPath);
        if (IsFaceApiResNetName(checkpointPath))
        {
            return FaceApiResNet(backend);
        }
        if (Directory.Exists(checkpointPath))
        {
            throw new FileNotFoundException(
                $"Checkpoint '{checkpointPath}' is a folder, not a checkpoint file; pass the file inside it, " +
                $"such as '{Path.Combine(checkpointPath, "checkpoint.fnet")}'.", checkpointPath);
        }
        if (!File.Exists(checkpointPath))
        {
            throw new FileNotFoundException($"Checkpoint '{checkpointPath}' does not exist.", checkpointPath);
        }
        backend ??= CpuBackend.Instance;
        CheckpointData header = CheckpointFile.Read(checkpointPath);
        if (!Architectures.IsKnown(header.Architecture))
        {
            throw new InvalidDataException(
                $"Checkpoint '{checkpointPath}' names architecture '{header.Architecture}', which this version does " +
                $"not know. Known: {string.Join(", ", Architectures.Names)}.");
        }
        FaceNetModel model = Architectures.Create(header.Architecture, header.EmbeddingSize);
        try
        {
            model.Allocate(backend, seed: 0);
            ModelCheckpoint.Apply(header, model, Path.GetFullPath(checkpointPath));
            Preprocessing preprocessing = header.Preprocessing is null
                ? ModelDefaults.For(model)
                : ReadPreprocessing(checkpointPath, header.Preprocessing.ToJsonString());
            Threshold? threshold = ReadThreshold(checkpointPath, header.Metadata);
            string checksum = EmbeddingCache.ComputeFileChecksum(checkpointPath);
            var network = new NetworkEmbeddingModel(model, backend, preprocessing,
                $"{model.Architecture} ({Path.GetFileName(checkpointPath)})", checksum);
            return new FaceEmbedder(network, threshold);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private static Preprocessing ReadPreprocessing(string checkpointPath, string json)
    {
        try
        {
            return Preprocessing.FromJson(json);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException(
                $"Checkpoint '{checkpointPath}' has an invalid preprocessing contract: {e.Message}", e);
        }
    }

    /// <summary>
    /// Reads the stored squared L2 threshold, or returns null when the header has none. A value that is not
    /// a number in [0, 4], the range of squared L2 between unit vectors, fails instead of being ignored,
    /// because a silent fallback would change every verdict.
    /// </summary>
    private static Threshold? ReadThreshold(string checkpointPath, IReadOnlyDictionary<string, string> metadata)
    {
        if (!metadata.TryGetValue(ThresholdMetadataKey, out string? text))
        {
            return null;
        }
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) ||
            !(value >= 0 && value <= 4))
        {
            throw new InvalidDataException(
                $"Checkpoint '{checkpointPath}' has an invalid {ThresholdMetadataKey} '{text}'; it must be a " +
                "squared L2 distance in [0, 4]. Fix or remove the entry and calibrate again with 'facenet lfw'.");
        }
        return Threshold.SquaredL2(value);
    }

    /// <summary>Whether <paramref name="name"/> names the pretrained face-api ResNet rather than a checkpoint file.</summary>
    public static bool IsFaceApiResNetName(string name) =>
        string.Equals(name, FaceRecognitionNet.ModelName, StringComparison.OrdinalIgnoreCase) && !File.Exists(name);

    /// <summary>
    /// face-api's pretrained recognition ResNet (see <see cref="FaceRecognitionNet"/>) with its weights from the
    /// model cache, fetched with npm on first use. Its descriptors are scaled to unit length
    /// (<see cref="UnitDescriptorModel"/>), like every embedding of this engine, and by default each also takes in
    /// the mirror image of its face. The threshold is <see cref="FaceRecognitionNet.UnitSquaredL2Threshold"/>.
    /// </summary>
    /// <param name="backend">Where the network runs; the CPU when null.</param>
    /// <param name="modelsDirectory">Cache root of the model files; the default of <see cref="FaceApiModelStore"/> when null.</param>
    /// <param name="preprocessing">How images become the 150x150 input; <see cref="FaceRecognitionNet.Preprocessing"/> when null.</param>
    /// <param name="mirror">Whether each descriptor adds the mirror image's (one more forward pass per face).</param>
    /// <exception cref="ModelStoreException">The model files could not be fetched or failed verification.</exception>
    public static FaceEmbedder FaceApiResNet(IBackend? backend = null, string? modelsDirectory = null,
        Preprocessing? preprocessing = null, bool mirror = true)
    {
        NetworkEmbeddingModel model = FaceRecognitionNet.OpenEmbeddingModel(new FaceApiModelStore(modelsDirectory),
            backend, preprocessing);
        return new FaceEmbedder(new UnitDescriptorModel(model, mirror), FaceRecognitionNet.UnitThreshold);
    }

    /// <summary>A randomly initialised network with the default preprocessing: the floor a trained model must beat.</summary>
    public static FaceEmbedder Untrained(string architecture, int seed = 1, int embeddingSize = 128,
        IBackend? backend = null)
    {
        backend ??= CpuBackend.Instance;
        FaceNetModel model = Architectures.Create(architecture, embeddingSize);
        model.Allocate(backend, seed);
        var network = new NetworkEmbeddingModel(model, backend, ModelDefaults.For(model),
            $"{architecture} (untrained, seed {seed})", $"untrained-{architecture}-{embeddingSize}-seed{seed}");
        return new FaceEmbedder(network);
    }

    /// <summary>The fixed pixel baseline (<see cref="PixelBaselineModel"/>).</summary>
    public static FaceEmbedder PixelBaseline(int size = 32) => new(new PixelBaselineModel(size));

    /// <summary>Stores the preprocessing contract as checkpoint-header JSON.</summary>
    public static JsonObject PreprocessingJson(Preprocessing preprocessing) =>
        JsonNode.Parse(preprocessing.ToJson())!.AsObject();

    /// <summary>Decodes and embeds one image file.</summary>
    /// <exception cref="ImageDecodeException">The file is missing, empty, truncated, too large or not an image.</exception>
    /// <exception cref="ObjectDisposedException">The embedder was disposed.</exception>
    /// <exception cref="FaceNotFoundException">The embedder has a face pipeline and it found no face.</exception>
    public float[] Embed(string imagePath)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return EmbedNamedImages([_decoder.Decode(imagePath)], _ => imagePath)[0];
    }

    /// <summary>Embeds one decoded image.</summary>
    /// <exception cref="ArgumentException">A pixel is NaN or infinite.</exception>
    /// <exception cref="FaceNotFoundException">The embedder has a face pipeline and it found no face.</exception>
    public float[] Embed(RgbImage image) => EmbedImages([image])[0];

    /// <summary>Embeds decoded images; each result is independent of the others in the list.</summary>
    /// <exception cref="ArgumentNullException">The list or one of its images is null.</exception>
    /// <exception cref="ArgumentException">A pixel is NaN or infinite.</exception>
    /// <exception cref="ObjectDisposedException">The embedder was disposed.</exception>
    /// <exception cref="FaceNotFoundException">The embedder has a face pipeline and it found no face.</exception>
    public float[][] EmbedImages(IReadOnlyList<RgbImage> images) => EmbedNamedImages(images, i => $"image {i}");

    /// <summary>Embeds decoded images; <paramref name="nameOf"/> names image i in error messages.</summary>
    private float[][] EmbedNamedImages(IReadOnlyList<RgbImage> images, Func<int, string> nameOf)
    {
        ArgumentNullException.ThrowIfNull(images);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var results = new float[images.Count][];
        for (int start = 0; start < images.Count; start += BatchSize)
        {
            int count = Math.Min(BatchSize, images.Count - start);
            var views = new float[count][];
            try
            {
                Parallel.For(0, count, PerImage, i => views[i] = Preprocess(ModelInputs(images[start + i], nameOf(start + i))));
            }
            catch (AggregateException e)
            {
                // Callers expect the error itself (such as a NaN pixel), not the parallel wrapper.
                ExceptionDispatchInfo.Throw(e.InnerExceptions[0]);
            }
            float[][] descriptors = EmbedViews(views);
            descriptors.CopyTo(results, start);
        }
        return results;
    }

    /// <summary>
    /// How many images are prepared at once: all cores without a face pipeline, one with it, because the pipeline
    /// runs its networks under a lock and threads waiting on it only pile up their buffers.
    /// </summary>
    private ParallelOptions PerImage => new() { MaxDegreeOfParallelism = Faces is null ? -1 : 1 };

    /// <summary>Preprocesses the views of one image into consecutive samples.</summary>
    /// <exception cref="ArgumentException">A pixel is NaN or infinite.</exception>
    private float[] Preprocess(RgbImage[] views)
    {
        int sample = Preprocessing.SampleSize;
        float[] samples = new float[views.Length * sample];
        for (int v = 0; v < views.Length; v++)
        {
            _preprocessor.Apply(views[v], samples.AsSpan(v * sample, sample));
        }
        return samples;
    }

    /// <summary>
    /// Embeds the preprocessed views of every image (<see cref="Preprocess"/>) in one forward pass and returns one
    /// descriptor per image: the model's own when the image has one view, else the unit vector along the sum of
    /// its views' descriptors.
    /// </summary>
    private float[][] EmbedViews(float[][] views)
    {
        int sample = Preprocessing.SampleSize;
        int[] viewCount = views.Select(v => v.Length / sample).ToArray();
        int total = viewCount.Sum();
        float[] batch = new float[total * sample];
        int[] first = new int[views.Length];
        for (int i = 0; i < views.Length; i++)
        {
            first[i] = i == 0 ? 0 : first[i - 1] + viewCount[i - 1];
            views[i].CopyTo(batch, first[i] * sample);
        }
        float[] output = new float[total * Dimension];
        Model.Embed(batch, total, output);
        var results = new float[views.Length][];
        for (int i = 0; i < views.Length; i++)
        {
            float[] descriptor = output.AsSpan(first[i] * Dimension, Dimension).ToArray();
            if (viewCount[i] > 1)
            {
                for (int v = 1; v < viewCount[i]; v++)
                {
                    ReadOnlySpan<float> other = output.AsSpan((first[i] + v) * Dimension, Dimension);
                    for (int k = 0; k < Dimension; k++)
                    {
                        descriptor[k] += other[k];
                    }
                }
                UnitDescriptorModel.ScaleToUnitLength(descriptor);
            }
            results[i] = descriptor;
        }
        return results;
    }

    /// <summary>
    /// Embeds image files in batches. A file that cannot be decoded or preprocessed gets an error entry and
    /// the rest go on; <paramref name="progress"/> receives the number of files finished so far.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The embedder was disposed.</exception>
    public IReadOnlyList<FileEmbedding> EmbedFiles(IReadOnlyList<string> paths, IProgress<int>? progress = null,
        CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(paths);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var results = new FileEmbedding[paths.Count];
        for (int start = 0; start < paths.Count; start += BatchSize)
        {
            cancellation.ThrowIfCancellationRequested();
            int count = Math.Min(BatchSize, paths.Count - start);
            string?[] errors = new string?[count];
            var views = new float[count][];
            Parallel.For(0, count, PerImage, i =>
            {
                try
                {
                    views[i] = Preprocess(ModelInputs(_decoder.Decode(paths[start + i]), paths[start + i]));
                }
                catch (Exception e) when (e is ImageDecodeException or ArgumentException or IOException
                    or FaceNotFoundException)
                {
                    errors[i] = e.Message;
                }
            });

            // Failed files are left out of the forward pass.
            int[] good = Enumerable.Range(0, count).Where(i => errors[i] is null).ToArray();
            float[][] descriptors = EmbedViews(good.Select(i => views[i]).ToArray());
            for (int i = 0; i < count; i++)
            {
                results[start + i] = new FileEmbedding(paths[start + i], null, errors[i]);
            }
            for (int k = 0; k < good.Length; k++)
            {
                results[start + good[k]] = new FileEmbedding(paths[start + good[k]], descriptors[k], null);
            }
            progress?.Report(start + count);
        }
        return results;
    }

    /// <summary>
    /// Loads face-api's pretrained networks as one pipeline: the face detector named <paramref name="detector"/>
    /// (<c>tiny</c> or <c>ssd</c>), the 68-point landmark network and the recognition ResNet. Each image is
    /// searched for faces, the one <see cref="FacePipeline.Choice"/> names (the largest unless changed) is aligned
    /// to 150x150 and embedded as a unit vector, by default with its mirror image averaged in. With several
    /// detectors (such as <c>ssd+centre</c>) each gives one view and the views' descriptors are added. Descriptors
    /// are compared with <see cref="FaceRecognitionNet.UnitSquaredL2Threshold"/>.
    /// </summary>
    /// <param name="detector"><c>tiny</c> (fast), <c>ssd</c> (more accurate) or <c>centre</c> (face crops, no
    /// detection), or several joined by '+'.</param>
    /// <param name="backend">Where the networks run; the CPU when null.</param>
    /// <param name="modelsDirectory">Cache root of the model files; the default of <see cref="FaceApiModelStore"/> when null.</param>
    /// <param name="mirror">Whether each descriptor adds the mirror image's (one more forward pass per face).</param>
    /// <exception cref="ArgumentException">A detector name is not tiny, ssd or centre, or one is repeated.</exception>
    /// <exception cref="ModelStoreException">The model files could not be fetched or failed verification.</exception>
    public static FaceEmbedder LoadPretrained(string detector = "tiny", IBackend? backend = null,
        string? modelsDirectory = null, bool mirror = true)
    {
        var store = new FaceApiModelStore(modelsDirectory);
        FacePipeline faces = FacePipeline.LoadPretrained(store, detector, backend);
        try
        {
            NetworkEmbeddingModel model = FaceRecognitionNet.OpenEmbeddingModel(store, backend,
                FaceRecognitionNet.Preprocessing(cropFraction: 1));
            return new FaceEmbedder(new UnitDescriptorModel(model, mirror), faces, FaceRecognitionNet.UnitThreshold);
        }
        catch
        {
            faces.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Finds every face in an image and embeds each: boxes, scores and landmarks in image pixels, descriptors
    /// of the aligned faces. Faces are in the detector's order, highest score first.
    /// </summary>
    /// <remarks>
    /// NOTE: with a detector list such as <c>ssd+centre</c> only the first detector runs here, and each descriptor
    /// comes from one view, so it can differ from what <see cref="Embed(RgbImage)"/> returns for the same face.
    /// </remarks>
    /// <exception cref="InvalidOperationException">The embedder has no face pipeline (see <see cref="LoadPretrained"/>).</exception>
    public IReadOnlyList<DetectedFace> DetectFaces(RgbImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (Faces is null)
        {
            throw new InvalidOperationException(
                "This embedder has no face detector; load one with FaceEmbedder.LoadPretrained.");
        }
        IReadOnlyList<LocatedFace> located = Faces.Locate(image);
        RgbImage[] aligned = located.Select(f => Faces.Aligner.Align(image, f.Landmarks)).ToArray();
        float[][] descriptors = EmbedAligned(aligned);
        return located.Select((f, i) => new DetectedFace(f.Box, f.Score, f.Landmarks, descriptors[i])).ToArray();
    }

    /// <summary>Decodes an image file and finds and embeds every face in it (see <see cref="DetectFaces(RgbImage)"/>).</summary>
    /// <exception cref="ImageDecodeException">The file is missing, empty, truncated, too large or not an image.</exception>
    public IReadOnlyList<DetectedFace> DetectFaces(string imagePath)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return DetectFaces(_decoder.Decode(imagePath));
    }

    /// <summary>
    /// Returns the model's input images: the image itself, or with a face pipeline the aligned face, one view per
    /// detector (see <see cref="FacePipeline.AlignViews"/>).
    /// </summary>
    private RgbImage[] ModelInputs(RgbImage image, string name) => Faces is null ? [image] : Faces.AlignViews(image, name);

    /// <summary>Embeds images that are already aligned face crops, bypassing the face pipeline.</summary>
    private float[][] EmbedAligned(IReadOnlyList<RgbImage> crops)
    {
        var results = new float[crops.Count][];
        for (int start = 0; start < crops.Count; start += BatchSize)
        {
            int count = Math.Min(BatchSize, crops.Count - start);
            float[][] samples = Enumerable.Range(start, count).Select(i => Preprocess([crops[i]])).ToArray();
            EmbedViews(samples).CopyTo(results, start);
        }
        return results;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        Model.Dispose();
    }
}
