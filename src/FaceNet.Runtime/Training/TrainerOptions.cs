using System.Text.Json;
using System.Text.Json.Serialization;
using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Operations;

namespace FaceNet.Runtime.Training;

/// <summary>Optimiser used by the <see cref="Trainer"/>.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<OptimizerKind>))]
public enum OptimizerKind
{
    /// <summary>AdaGrad, the FaceNet paper's optimiser.</summary>
    AdaGrad,

    /// <summary>SGD with heavy-ball momentum.</summary>
    Sgd,

    /// <summary>Adam with bias correction.</summary>
    Adam,
}

/// <summary>How the learning rate changes over the run.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ScheduleKind>))]
public enum ScheduleKind
{
    /// <summary>The same rate at every step.</summary>
    Constant,

    /// <summary>The rate times <see cref="TrainerOptions.DecayFactor"/> every <see cref="TrainerOptions.DecayInterval"/> steps.</summary>
    Step,

    /// <summary>Cosine annealing to <see cref="TrainerOptions.MinimumLearningRate"/> at the last step.</summary>
    Cosine,
}

/// <summary>
/// Settings of a triplet-loss training run. The defaults are sized for a 2-core CPU: nn4-small2 with
/// batches of 12 identities x 4 images plus 8 extra negatives (56 images). The FaceNet paper's batches
/// hold about 1,800 images with about 40 per identity, for example 45 identities x 40 images.
/// </summary>
public sealed record TrainerOptions
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = false,
        Converters = { new JsonStringEnumConverter<NegativePolicy>() },
    };

    /// <summary>Architecture name from the model registry, such as <c>nn4-small2</c>.</summary>
    public string Architecture { get; init; } = "nn4-small2";

    /// <summary>Length of the embedding.</summary>
    public int EmbeddingSize { get; init; } = 128;

    /// <summary>P: identities per batch.</summary>
    public int IdentitiesPerBatch { get; init; } = 12;

    /// <summary>K: maximum images per identity in a batch (at least 2).</summary>
    public int ImagesPerIdentity { get; init; } = 4;

    /// <summary>Images of other identities added to each batch as negatives only.</summary>
    public int ExtraNegatives { get; init; } = 8;

    /// <summary>Triplet margin alpha on squared L2 distances.</summary>
    public float Margin { get; init; } = TripletLoss.DefaultMargin;

    /// <summary>What happens to an anchor-positive pair without a semi-hard negative.</summary>
    public NegativePolicy Policy { get; init; } = NegativePolicy.SemiHardOrSkip;

    /// <summary>Optimiser.</summary>
    public OptimizerKind Optimizer { get; init; } = OptimizerKind.AdaGrad;

    /// <summary>Starting learning rate.</summary>
    public float LearningRate { get; init; } = AdaGrad.PaperLearningRate;

    /// <summary>Learning-rate schedule.</summary>
    public ScheduleKind Schedule { get; init; } = ScheduleKind.Constant;

    /// <summary>Factor of the step schedule, in (0, 1].</summary>
    public float DecayFactor { get; init; } = 0.1f;

    /// <summary>Steps between two drops of the step schedule.</summary>
    public int DecayInterval { get; init; } = 10_000;

    /// <summary>Final rate of the cosine schedule.</summary>
    public float MinimumLearningRate { get; init; }

    /// <summary>Momentum of the SGD optimiser.</summary>
    public float Momentum { get; init; } = 0.9f;

    /// <summary>L2 penalty added to every gradient as <c>g + WeightDecay * w</c>.</summary>
    public float WeightDecay { get; init; }

    /// <summary>Mirror each training image left to right with probability 0.5.</summary>
    public bool Flip { get; init; } = true;

    /// <summary>Take a random window of <see cref="RandomCropFraction"/> of each side before the resize.</summary>
    public bool RandomCrop { get; init; } = true;

    /// <summary>Side of the random crop window as a fraction of the preprocessing crop, in (0, 1].</summary>
    public double RandomCropFraction { get; init; } = 0.9;

    /// <summary>Seed of the weights, the batches and the augmentation.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Total number of training steps (one batch each).</summary>
    public int Steps { get; init; } = 1000;

    /// <summary>Steps between two checkpoints; a checkpoint is also written at the end.</summary>
    public int CheckpointEvery { get; init; } = 100;

    /// <summary>Folder for the checkpoint, the CSV log and the loss plot.</summary>
    public string OutputFolder { get; init; } = "training";

    /// <summary>Folder-per-identity image folders to train on.</summary>
    public IReadOnlyList<string> DataFolders { get; init; } = [];

    /// <summary>Identity (folder) names left out of training, such as the people of LFW test folds.</summary>
    public IReadOnlyList<string> ExcludedIdentities { get; init; } = [];

    /// <summary>Identities with fewer images are left out; they could not form an anchor-positive pair.</summary>
    public int MinImagesPerIdentity { get; init; } = 2;

    /// <summary>
    /// Checkpoint of an old model to stay compatible with, or null. When set, each batch is also embedded by
    /// the frozen old model and the harmonic triplet loss (<c>HarmonicTripletLoss</c>) replaces the usual one,
    /// so the new model's embeddings can be compared with the old model's.
    /// </summary>
    public string? CompatibleWith { get; init; }

    /// <summary>Decoded images kept in memory between steps.</summary>
    public int DecodedImageCache { get; init; } = 2048;

    /// <summary>Mean pairwise squared distance below which the embeddings count as collapsed.</summary>
    public double CollapseDistance { get; init; } = 1e-3;

    /// <summary>Consecutive steps with the loss pinned at the margin before a collapse warning.</summary>
    public int CollapsePatience { get; init; } = 20;

    /// <summary>Images per batch before capping P at the eligible identities: P * K + extra negatives.</summary>
    [JsonIgnore]
    public int BatchSize => IdentitiesPerBatch * ImagesPerIdentity + ExtraNegatives;

    /// <summary>Checks every setting and throws on the first invalid one.</summary>
    /// <exception cref="ArgumentException">A setting is out of range; the message names it and its value.</exception>
    public void Validate()
    {
        Require(!string.IsNullOrWhiteSpace(Architecture), "Architecture is empty; pass a name such as nn4-small2.");
        Require(EmbeddingSize >= 1, $"EmbeddingSize {EmbeddingSize} must be at least 1.");
        Require(IdentitiesPerBatch >= 1, $"IdentitiesPerBatch {IdentitiesPerBatch} must be at least 1.");
        Require(ImagesPerIdentity >= 2,
            $"ImagesPerIdentity {ImagesPerIdentity} must be at least 2, or no anchor-positive pair exists.");
        Require(ExtraNegatives >= 0, $"ExtraNegatives {ExtraNegatives} must be 0 or more.");
        Require(float.IsFinite(Margin) && Margin >= 0, $"Margin {Margin} must be finite and at least 0.");
        Require(Enum.IsDefined(Policy), $"Policy {Policy} is not a known negative policy.");
        Require(Enum.IsDefined(Optimizer), $"Optimizer {Optimizer} is not a known optimiser.");
        Require(float.IsFinite(LearningRate) && LearningRate > 0,
            $"LearningRate {LearningRate} must be finite and positive.");
        Require(Enum.IsDefined(Schedule), $"Schedule {Schedule} is not a known schedule.");
        Require(DecayFactor > 0 && DecayFactor <= 1, $"DecayFactor {DecayFactor} must be in (0, 1].");
        Require(DecayInterval >= 1, $"DecayInterval {DecayInterval} must be at least 1 step.");
        Require(float.IsFinite(MinimumLearningRate) && MinimumLearningRate >= 0 && MinimumLearningRate <= LearningRate,
            $"MinimumLearningRate {MinimumLearningRate} must be in [0, LearningRate {LearningRate}].");
        Require(Momentum >= 0 && Momentum < 1, $"Momentum {Momentum} must be in [0, 1).");
        Require(float.IsFinite(WeightDecay) && WeightDecay >= 0, $"WeightDecay {WeightDecay} must be finite and at least 0.");
        Require(RandomCropFraction > 0 && RandomCropFraction <= 1,
            $"RandomCropFraction {RandomCropFraction} must be in (0, 1].");
        Require(Steps >= 1, $"Steps {Steps} must be at least 1.");
        Require(CheckpointEvery >= 1, $"CheckpointEvery {CheckpointEvery} must be at least 1 step.");
        Require(!string.IsNullOrWhiteSpace(OutputFolder), "OutputFolder is empty; pass a folder for checkpoints and logs.");
        Require(MinImagesPerIdentity >= 2, $"MinImagesPerIdentity {MinImagesPerIdentity} must be at least 2.");
        Require(DecodedImageCache >= 0, $"DecodedImageCache {DecodedImageCache} must be 0 or more.");
        Require(CollapseDistance >= 0, $"CollapseDistance {CollapseDistance} must be 0 or more.");
        Require(CollapsePatience >= 1, $"CollapsePatience {CollapsePatience} must be at least 1 step.");
    }

    /// <summary>The learning-rate schedule these options describe.</summary>
    public LearningRateSchedule CreateSchedule() => Schedule switch
    {
        ScheduleKind.Step => LearningRateSchedule.StepDecay(LearningRate, DecayFactor, DecayInterval),
        ScheduleKind.Cosine => LearningRateSchedule.Cosine(LearningRate, Steps, MinimumLearningRate),
        _ => LearningRateSchedule.Constant(LearningRate),
    };

    /// <summary>Serialises the options to one-line JSON with enum names as strings.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>Parses options written by <see cref="ToJson"/>.</summary>
    /// <exception cref="ArgumentException">The JSON is malformed or null.</exception>
    public static TrainerOptions FromJson(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<TrainerOptions>(json, JsonOptions)
                ?? throw new ArgumentException("Trainer options JSON is 'null'; expected an object.", nameof(json));
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"Trainer options JSON is invalid: {e.Message}", nameof(json), e);
        }
    }

    /// <summary>
    /// Names the settings that change the sequence of weights, where they differ between this run and
    /// <paramref name="stored"/>. The step count, the checkpoint interval, the output folder, the cache size
    /// and the collapse thresholds may change on resume; every other difference is returned.
    /// </summary>
    public IReadOnlyList<string> DifferencesAffectingResume(TrainerOptions stored)
    {
        TrainerOptions Neutral(TrainerOptions o) => o with
        {
            Steps = 1,
            CheckpointEvery = 1,
            OutputFolder = "-",
            DecodedImageCache = 0,
            CollapseDistance = 0,
            CollapsePatience = 1,
            DataFolders = o.DataFolders.Select(Path.GetFullPath).ToArray(),
        };
        var mine = JsonSerializer.SerializeToElement(Neutral(this), JsonOptions);
        var theirs = JsonSerializer.SerializeToElement(Neutral(stored), JsonOptions);
        var differences = new List<string>();
        foreach (JsonProperty property in mine.EnumerateObject())
        {
            string left = property.Value.GetRawText();
            string right = theirs.TryGetProperty(property.Name, out JsonElement other) ? other.GetRawText() : "(missing)";
            if (left != right)
            {
                differences.Add($"{property.Name}: checkpoint {Shorten(right)}, now {Shorten(left)}");
            }
        }

        // The cosine schedule depends on the total step count, so changing it changes every rate.
        if (Schedule == ScheduleKind.Cosine && Steps != stored.Steps)
        {
            differences.Add($"Steps (cosine schedule): checkpoint {stored.Steps}, now {Steps}");
        }
        return differences;
    }

    // Identity lists can hold thousands of names; a message shows their start and their length.
    private static string Shorten(string json) =>
        json.Length <= 120 ? json : $"{json[..100]}... ({json.Length:N0} characters)";

    private static void Require(bool condition, string message)
    {
        if (!condition)
        {
            throw new ArgumentException($"Invalid trainer options: {message}");
        }
    }
}
