using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Imaging;

namespace FaceNet.Runtime.Pretrained;

/// <summary>
/// Finds and aligns faces in photos: detection (<see cref="IFaceDetector"/>), 68 landmarks per detection
/// (<see cref="FaceLandmark68Net"/>), then a similarity transform of five of those landmarks onto a template
/// (<see cref="FaceAligner"/>) that yields the recognition network's 150 x 150 input.
/// </summary>
/// <remarks>
/// When an image contains several faces, <see cref="AlignFace"/> uses the one <see cref="Choice"/> names: the
/// largest by default, the usual subject of a portrait. <see cref="Locate(RgbImage)"/> returns them all. Calls are serialised
/// with a lock, because the networks share one backend, so an instance may be used from several threads.
/// </remarks>
public sealed class FacePipeline : IDisposable
{
    private readonly object _gate = new();
    private int _fallbacks;
    private FaceAligner _aligner;

    /// <summary>Creates a pipeline; it disposes the detector and the landmark network.</summary>
    public FacePipeline(IFaceDetector detector, FaceLandmark68Net landmarks, FaceAligner? aligner = null)
        : this([detector], landmarks, aligner)
    {
    }

    /// <summary>
    /// Creates a pipeline that aligns one view of the face per detector (see <see cref="AlignViews"/>). The
    /// pipeline disposes the detectors and the landmark network.
    /// </summary>
    /// <exception cref="ArgumentException">There is no detector, or one is null.</exception>
    public FacePipeline(IReadOnlyList<IFaceDetector> detectors, FaceLandmark68Net landmarks, FaceAligner? aligner = null)
    {
        ArgumentNullException.ThrowIfNull(detectors);
        if (detectors.Count == 0 || detectors.Any(d => d is null))
        {
            throw new ArgumentException("The detector list is empty or contains null; pass at least one detector.", nameof(detectors));
        }
        Detectors = detectors.ToArray();
        LandmarkNet = landmarks ?? throw new ArgumentNullException(nameof(landmarks));
        _aligner = aligner ?? new FaceAligner();
    }

    /// <summary>
    /// Loads the face-api detectors that <paramref name="detector"/> names (tiny, ssd, or centre for
    /// <see cref="CentreBoxDetector"/>; several joined by '+', such as <c>ssd+centre</c>) and the landmark network
    /// from <paramref name="store"/>, fetching the package on first use.
    /// </summary>
    /// <exception cref="ArgumentException">A detector name is not tiny, ssd or centre, or one is repeated.</exception>
    public static FacePipeline LoadPretrained(FaceApiModelStore store, string detector = "tiny", IBackend? backend = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(detector);
        string[] names = ParseDetectorNames(detector);
        var detectors = new List<IFaceDetector>();
        try
        {
            foreach (string name in names)
            {
                detectors.Add(name switch
                {
                    "tiny" => TinyFaceDetector.Load(store.Ensure(FaceApiModel.TinyFaceDetector), backend),
                    "ssd" => SsdMobileNetV1.Load(store.Ensure(FaceApiModel.SsdMobilenetV1), backend),
                    _ => new CentreBoxDetector(),
                });
            }
            return new FacePipeline(detectors, FaceLandmark68Net.Load(store.Ensure(FaceApiModel.FaceLandmark68), backend));
        }
        catch
        {
            foreach (IFaceDetector d in detectors)
            {
                d.Dispose();
            }
            throw;
        }
    }

    /// <summary>Splits a detector list such as <c>ssd+centre</c> and checks every name.</summary>
    /// <exception cref="ArgumentException">A name is not tiny, ssd or centre, or one is repeated.</exception>
    public static string[] ParseDetectorNames(string detector)
    {
        ArgumentNullException.ThrowIfNull(detector);
        string[] names = detector.Split('+', StringSplitOptions.TrimEntries);
        if (names.Length > 1 && names.Any(n => n.Length == 0))
        {
            throw new ArgumentException(
                $"The detector list '{detector}' has an empty entry; join names with one '+', such as 'ssd+centre'.",
                nameof(detector));
        }
        foreach (string name in names)
        {
            if (name is not ("tiny" or "ssd" or CentreBoxDetector.DetectorName))
            {
                throw new ArgumentException(
                    $"Unknown face detector '{name}'; use 'tiny' (fast), 'ssd' (more accurate) or 'centre' (face " +
                    "crops: no detection), or several joined by '+', such as 'ssd+centre'.", nameof(detector));
            }
        }
        if (names.Distinct().Count() != names.Length)
        {
            throw new ArgumentException(
                $"The detector list '{detector}' names a detector twice; list each once, such as 'ssd+centre'.",
                nameof(detector));
        }
        return names;
    }

    /// <summary>The first detector: the one <see cref="Locate(RgbImage)"/> uses.</summary>
    public IFaceDetector Detector => Detectors[0];

    /// <summary>The detectors, in order. <see cref="AlignViews"/> aligns one view per detector that finds a face.</summary>
    public IReadOnlyList<IFaceDetector> Detectors { get; }

    /// <summary>The detectors' names joined by '+', such as <c>ssd+centre</c>.</summary>
    public string DetectorName => string.Join("+", Detectors.Select(d => d.Name));

    /// <summary>The landmark network.</summary>
    public FaceLandmark68Net LandmarkNet { get; }

    /// <summary>The alignment template and output size; <see cref="Description"/> follows a change.</summary>
    public FaceAligner Aligner
    {
        get => _aligner;
        set => _aligner = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <summary>What <see cref="AlignFace"/> does when no face is found (default: throw).</summary>
    public NoFaceFallback Fallback { get; set; } = NoFaceFallback.Fail;

    /// <summary>Which face <see cref="AlignFace"/> aligns when there are several (default: the largest).</summary>
    public FaceChoice Choice { get; set; } = FaceChoice.Largest;

    /// <summary>How many images <see cref="AlignFace"/> aligned with the centre-box fallback so far.</summary>
    public int FallbackCount => Volatile.Read(ref _fallbacks);

    /// <summary>
    /// Identifies detectors, score thresholds, face choice, landmark network, alignment template and fallback for
    /// embedding caches: aligned crops, and so descriptors, change when any of them does.
    /// </summary>
    public string Description
    {
        get
        {
            string template = string.Join(";", Aligner.Template.Select(p => FormattableString.Invariant($"{p.X:0.###},{p.Y:0.###}")));
            string fallback = Fallback == NoFaceFallback.CentreBox ? "+centre-fallback" : "";
            string choice = Choice == FaceChoice.Central ? "+central" : "";
            string detectors = string.Join("+", Detectors.Select(d => FormattableString.Invariant($"{d.Name}@{d.ScoreThreshold:0.###}")));
            return FormattableString.Invariant(
                $"{detectors}{choice}+landmarks68+align{Aligner.Size}[{template}]{fallback}");
        }
    }

    /// <summary>Finds every face with its landmarks, highest detection score first, with <see cref="Detector"/>.</summary>
    public IReadOnlyList<LocatedFace> Locate(RgbImage image) => Locate(image, Detector);

    /// <summary>Finds every face that <paramref name="detector"/> detects, with its landmarks, highest score first.</summary>
    public IReadOnlyList<LocatedFace> Locate(RgbImage image, IFaceDetector detector)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(detector);
        lock (_gate)
        {
            IReadOnlyList<ScoredBox> detections = detector.Detect(image);
            Landmarks68?[] landmarks = LandmarkNet.Detect(image, detections.Select(d => d.Box).ToArray());
            var faces = new List<LocatedFace>();
            for (int i = 0; i < detections.Count; i++)
            {
                if (landmarks[i] is { } points)
                {
                    faces.Add(new LocatedFace(detections[i].Box, detections[i].Score, points));
                }
            }
            return faces;
        }
    }

    /// <summary>
    /// Returns one aligned crop of the chosen face (see <see cref="Choice"/>) per detector that finds a face. When none
    /// does, applies <see cref="Fallback"/>: throws, or returns the one crop aligned from the central box.
    /// Embedding every view and adding the descriptors averages out the errors of each detector's framing.
    /// </summary>
    /// <param name="image">The photo.</param>
    /// <param name="name">The image's name for error messages, such as its path.</param>
    /// <exception cref="FaceNotFoundException">No detector found a face and the fallback is <see cref="NoFaceFallback.Fail"/>.</exception>
    public RgbImage[] AlignViews(RgbImage image, string name) => AlignWith(Detectors, image, name);

    /// <summary>
    /// Returns the aligned crop of the face <see cref="Choice"/> names among those <see cref="Detector"/> finds,
    /// or applies <see cref="Fallback"/> when there is none.
    /// </summary>
    /// <param name="image">The photo.</param>
    /// <param name="name">The image's name for error messages, such as its path.</param>
    /// <exception cref="FaceNotFoundException">No face was found and the fallback is <see cref="NoFaceFallback.Fail"/>.</exception>
    public RgbImage AlignFace(RgbImage image, string name) => AlignWith([Detector], image, name)[0];

    /// <summary>Aligns one view per detector in <paramref name="detectors"/> that finds a face, else applies the fallback.</summary>
    private RgbImage[] AlignWith(IReadOnlyList<IFaceDetector> detectors, RgbImage image, string name)
    {
        ArgumentNullException.ThrowIfNull(image);
        var views = new List<RgbImage>(detectors.Count);
        foreach (IFaceDetector detector in detectors)
        {
            IReadOnlyList<LocatedFace> faces = Locate(image, detector);
            if (faces.Count > 0)
            {
                views.Add(Aligner.Align(image, Choose(faces, Choice, image.Width, image.Height).Landmarks));
            }
        }
        if (views.Count > 0)
        {
            return views.ToArray();
        }
        if (Fallback == NoFaceFallback.Fail)
        {
            throw new FaceNotFoundException(name, string.Join("+", detectors.Select(d => d.Name)));
        }

        Interlocked.Increment(ref _fallbacks);
        return [Aligner.Align(image, LocateInCentre(image).Landmarks)];
    }

    /// <summary>Returns the face <paramref name="choice"/> names among <paramref name="faces"/>, found in a width x height image.</summary>
    /// <exception cref="ArgumentException">There are no faces.</exception>
    public static LocatedFace Choose(IReadOnlyList<LocatedFace> faces, FaceChoice choice, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(faces);
        if (faces.Count == 0)
        {
            throw new ArgumentException("There is no face to choose from.", nameof(faces));
        }
        if (choice == FaceChoice.Largest)
        {
            return faces.MaxBy(f => f.Box.Area)!;
        }
        FaceBox centre = CentralBox(width, height);
        return faces.MaxBy(f => f.Box.IntersectionOverUnion(centre))!;
    }

    /// <summary>Returns half the image's width and height, centred: where <see cref="FaceChoice.Central"/> and the
    /// centre-box fallback expect the subject.</summary>
    public static FaceBox CentralBox(int width, int height) =>
        new(width * 0.25, height * 0.25, width * 0.75, height * 0.75);

    /// <summary>The landmarks found in the central box: half the image's width and height, centred.</summary>
    public LocatedFace LocateInCentre(RgbImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        FaceBox box = CentralBox(image.Width, image.Height);
        lock (_gate)
        {
            Landmarks68 landmarks = LandmarkNet.Detect(image, [box])[0]
                ?? throw new InvalidOperationException($"The central box of a {image.Width}x{image.Height} image is empty.");
            return new LocatedFace(box, 0, landmarks);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (IFaceDetector detector in Detectors)
        {
            detector.Dispose();
        }
        LandmarkNet.Dispose();
    }
}
