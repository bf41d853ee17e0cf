using System.Diagnostics;
using FaceNet.Runtime.Autograd;
using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Embedding;
using FaceNet.Runtime.Experiments;
using FaceNet.Runtime.Imaging;
using FaceNet.Runtime.Models;
using FaceNet.Runtime.Operations;
using FaceNet.Runtime.Tensors;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FaceNet.Runtime.Training;

/// <summary>
/// Trains an embedding model with the triplet loss. Each step draws a batch of P identities x K images
/// plus extra negatives, then loads and augments it and runs one forward pass. Semi-hard triplets are
/// mined inside the batch in the same call that computes the loss and its gradient, and the backward
/// pass and the optimiser update follow.
/// </summary>
/// <remarks>
/// Everything a step uses is a function of the seed and the step number (batch, augmentation, learning
/// rate) or is stored in the checkpoint (weights, running statistics, optimiser state and step count), so
/// a run resumed from the checkpoint of step s continues exactly as an uninterrupted run would on a
/// deterministic backend such as the CPU.
/// </remarks>
public sealed class Trainer : IDisposable
{
    /// <summary>File name of the latest checkpoint inside the output folder.</summary>
    public const string CheckpointFileName = "checkpoint.fnet";

    /// <summary>File name of the CSV log inside the output folder.</summary>
    public const string LogFileName = "training-log.csv";

    /// <summary>File name of the loss plot inside the output folder.</summary>
    public const string PlotFileName = "training-loss.png";

    private readonly FaceNetModel _model;
    private readonly IBackend _backend;
    private readonly Optimizer _optimizer;
    private readonly LearningRateSchedule _schedule;
    private readonly BatchSampler _sampler;
    private readonly TrainingBatchLoader _loader;
    private readonly TrainingMonitor _monitor;
    private readonly Preprocessing _preprocessing;
    private readonly ILogger _logger;
    private readonly FaceEmbedder? _compatibleWith;
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    /// <summary>
    /// Creates a trainer. An unallocated model is allocated on <paramref name="backend"/> with weights drawn
    /// from <see cref="TrainerOptions.Seed"/>; an allocated one keeps its weights.
    /// </summary>
    /// <exception cref="ArgumentException">The options are invalid, or the model does not match the options or
    /// the preprocessing contract, or no identity has two images, or the old model of
    /// <see cref="TrainerOptions.CompatibleWith"/> has another embedding size or preprocessing.</exception>
    /// <exception cref="FileNotFoundException">The <see cref="TrainerOptions.CompatibleWith"/> checkpoint does not exist.</exception>
    /// <exception cref="InvalidDataException">The <see cref="TrainerOptions.CompatibleWith"/> checkpoint is corrupt.</exception>
    public Trainer(TrainerOptions options, FaceNetModel model, ITrainingImageSource images, Preprocessing preprocessing,
        IBackend backend, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(preprocessing);
        ArgumentNullException.ThrowIfNull(backend);
        options.Validate();
        preprocessing.Validate();
        CheckModel(options, model, preprocessing);

        Options = options;
        _model = model;
        _backend = backend;
        _preprocessing = preprocessing;
        _logger = logger ?? NullLogger.Instance;
        _compatibleWith = options.CompatibleWith is null ? null : LoadFrozenModel(options, preprocessing, backend);
        if (!model.IsAllocated)
        {
            model.Allocate(backend, options.Seed);
        }

        var groups = new List<int>[images.Identities.Count];
        for (int i = 0; i < groups.Length; i++)
        {
            groups[i] = new List<int>();
        }
        for (int i = 0; i < images.Count; i++)
        {
            groups[images.LabelOf(i)].Add(i);
        }
        _sampler = new BatchSampler(groups.Select(g => g.ToArray()).ToArray(), options.IdentitiesPerBatch,
            options.ImagesPerIdentity, options.ExtraNegatives, options.Seed);
        _loader = new TrainingBatchLoader(images, preprocessing, options);
        _optimizer = CreateOptimizer(options, model.Parameters());
        _schedule = options.CreateSchedule();
        _monitor = new TrainingMonitor(options);
        ImageCount = images.Count;
        IdentityCount = images.Identities.Count;
    }

    /// <summary>The options of this run.</summary>
    public TrainerOptions Options { get; }

    /// <summary>The model being trained.</summary>
    public FaceNetModel Model => _model;

    /// <summary>The optimiser.</summary>
    public Optimizer Optimizer => _optimizer;

    /// <summary>Steps completed, including those restored by <see cref="Resume"/>.</summary>
    public long CompletedSteps { get; private set; }

    /// <summary>Training images.</summary>
    public int ImageCount { get; }

    /// <summary>Training identities.</summary>
    public int IdentityCount { get; }

    /// <summary>Path of the latest checkpoint: <see cref="CheckpointFileName"/> in the output folder.</summary>
    public string CheckpointPath => Path.Combine(Options.OutputFolder, CheckpointFileName);

    /// <summary>Path of the CSV log.</summary>
    public string LogPath => Path.Combine(Options.OutputFolder, LogFileName);

    /// <summary>Path of the loss plot.</summary>
    public string PlotPath => Path.Combine(Options.OutputFolder, PlotFileName);

    /// <summary>
    /// Restores the weights, running statistics, optimiser state and step count from a checkpoint
    /// (by default <see cref="CheckpointPath"/>), so that <see cref="Run"/> continues after its step.
    /// </summary>
    /// <exception cref="FileNotFoundException">The checkpoint does not exist.</exception>
    /// <exception cref="InvalidDataException">The checkpoint is corrupt or does not match the model, or it was
    /// written with settings that change the training (the message lists them); the model and the optimiser
    /// are unchanged.</exception>
    public TrainingCheckpointState Resume(string? path = null)
    {
        string file = Path.GetFullPath(path ?? CheckpointPath);
        TrainingCheckpointState state = TrainingCheckpoint.Load(file, _model, _optimizer, stored =>
        {
            var differences = Options.DifferencesAffectingResume(stored.Options).ToList();
            if (stored.Preprocessing != _preprocessing)
            {
                differences.Add($"preprocessing: checkpoint {Compact(stored.Preprocessing.ToJson())}, " +
                    $"now {Compact(_preprocessing.ToJson())}");
            }
            if (differences.Count > 0)
            {
                throw new InvalidDataException(
                    $"Checkpoint '{file}' was written with other training settings, so resuming would not " +
                    $"continue the same run: {string.Join("; ", differences)}. Pass the original settings, or " +
                    "start a new run in another output folder.");
            }
        });
        CompletedSteps = state.Step;
        _logger.LogInformation("Resumed from {Checkpoint} after step {Step}", file, state.Step);
        return state;
    }

    /// <summary>
    /// Runs one training step, step number <see cref="CompletedSteps"/> + 1, and returns its record. Writes
    /// no log and no checkpoint.
    /// </summary>
    /// <exception cref="TrainingDivergedException">The loss or a distance is NaN or infinite; the weights are
    /// not updated and <see cref="CompletedSteps"/> does not advance.</exception>
    /// <exception cref="InvalidDataException">A batch image cannot be loaded.</exception>
    public StepRecord Step()
    {
        long step = CompletedSteps;
        var watch = Stopwatch.StartNew();
        TrainingBatch batch = _sampler.Draw(step);
        float[] data = _loader.Load(batch, step);
        float learningRate = _schedule.At(checked((int)step));

        // The old model of a harmonic run embeds the same preprocessed batch at inference, without gradients.
        float[]? frozen = null;
        if (_compatibleWith is not null)
        {
            frozen = new float[batch.Images.Length * Options.EmbeddingSize];
            _compatibleWith.Model.Embed(data, batch.Images.Length, frozen);
        }

        _optimizer.ZeroGradients();
        TripletStats stats;
        using (var graph = Graph.ForTraining(_backend))
        {
            int n = batch.Images.Length;
            Tensor input = graph.FromHost(data, n, 3, _preprocessing.InputHeight, _preprocessing.InputWidth);
            Tensor embeddings = _model.Forward(graph, input);

            // A batch without a valid triplet has loss 0 and a zero gradient; it still runs the backward pass
            // and the update, so that every step does the same work and weight decay still applies.
            if (frozen is null)
            {
                TripletLossResult loss = TripletLoss.SemiHard(graph, embeddings, batch.Labels, Options.Margin,
                    Options.Policy);
                stats = loss.Stats;
                loss.Backward();
            }
            else
            {
                var learned = new float[n * Options.EmbeddingSize];
                _backend.Download(embeddings, learned);
                HarmonicLossResult harmonic = HarmonicTripletLoss.Evaluate(learned, frozen, batch.Labels,
                    Options.EmbeddingSize, Options.Margin);
                stats = harmonic.Stats;
                graph.Backward(embeddings, graph.FromHost(harmonic.LearnedGradient, n, Options.EmbeddingSize));
            }
        }

        var record = new StepRecord(step + 1, stats.Loss, stats.Triplets, stats.ActiveTriplets, stats.Pairs,
            stats.MeanPositiveDistance, stats.MeanNegativeDistance, stats.MeanPairwiseDistance, 0, learningRate,
            0);
        try
        {
            string? warning = _monitor.Check(record);
            if (warning is not null)
            {
                Warnings.Add(warning);
                _logger.LogWarning("{Warning}", warning);
            }
        }
        catch (TrainingDivergedException e)
        {
            string? parameter = FindNonFiniteParameter();
            string detail = parameter is null ? "" : $" Parameter '{parameter}' already holds NaN or infinity.";
            throw new TrainingDivergedException(e.Step, e.Message + detail);
        }

        _optimizer.Step(learningRate);
        _backend.Synchronize();
        CompletedSteps = step + 1;
        double seconds = Math.Max(watch.Elapsed.TotalSeconds, 1e-9);
        return record with
        {
            ImagesPerSecond = batch.Images.Length / seconds,
            ElapsedSeconds = _clock.Elapsed.TotalSeconds,
        };
    }

    /// <summary>Collapse warnings raised so far.</summary>
    public List<string> Warnings { get; } = new();

    /// <summary>
    /// Trains until <see cref="TrainerOptions.Steps"/> steps are complete: appends each step to the CSV log,
    /// reports it to <paramref name="progress"/> and the logger, writes a checkpoint every
    /// <see cref="TrainerOptions.CheckpointEvery"/> steps and at the end, and draws the loss plot.
    /// Cancellation stops after the current step and writes a checkpoint, so the run can be resumed.
    /// </summary>
    /// <exception cref="TrainingDivergedException">The loss, a distance or a weight became NaN or infinite; the
    /// last checkpoint written before it stays.</exception>
    public TrainingResult Run(IProgress<StepRecord>? progress = null, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(Options.OutputFolder);
        _clock.Restart();
        int warningsBefore = Warnings.Count;
        _logger.LogInformation(
            "Training {Architecture} on {Images} images of {Identities} identities: steps {From} to {To}, " +
            "batch {Batch} images, {Optimizer} lr {LearningRate}, backend {Backend}",
            _model.Architecture, ImageCount, IdentityCount, CompletedSteps + 1, Options.Steps, Options.BatchSize,
            Options.Optimizer, Options.LearningRate, _backend.Name);

        using TrainingLog log = CompletedSteps > 0
            ? TrainingLog.Resume(LogPath, CompletedSteps)
            : TrainingLog.Create(LogPath);
        StepRecord? last = null;
        long savedStep = -1;
        bool cancelled = false;
        try
        {
            while (CompletedSteps < Options.Steps)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    cancelled = true;
                    break;
                }
                last = Step();
                log.Append(last);
                progress?.Report(last);
                _logger.LogInformation("{Line}", last.ToDisplayLine());
                if (CompletedSteps % Options.CheckpointEvery == 0)
                {
                    SaveCheckpoint();
                    savedStep = CompletedSteps;
                }
            }
        }
        catch (TrainingDivergedException e)
        {
            _logger.LogError("{Message} Last checkpoint: {Checkpoint}", e.Message, CheckpointPath);
            WritePlot(log.Records);
            throw;
        }

        if (savedStep != CompletedSteps && CompletedSteps > 0)
        {
            SaveCheckpoint();
        }
        string? plot = WritePlot(log.Records);
        _logger.LogInformation("Training {State} after step {Step}; checkpoint {Checkpoint}",
            cancelled ? "stopped" : "finished", CompletedSteps, CheckpointPath);
        return new TrainingResult(CompletedSteps, last, CheckpointPath, LogPath, plot,
            Warnings.Skip(warningsBefore).ToArray(), cancelled);
    }

    /// <summary>Writes the checkpoint of the completed steps (by default to <see cref="CheckpointPath"/>).</summary>
    /// <exception cref="TrainingDivergedException">A weight or optimiser value is NaN or infinite; nothing is
    /// written and the previous checkpoint stays.</exception>
    public void SaveCheckpoint(string? path = null)
    {
        string file = path ?? CheckpointPath;
        try
        {
            TrainingCheckpoint.Save(file, _model, _optimizer, Options, _preprocessing, CompletedSteps);
        }
        catch (InvalidDataException e)
        {
            throw new TrainingDivergedException(CompletedSteps,
                $"Training diverged by step {CompletedSteps}: {e.Message}");
        }
        _logger.LogInformation("Checkpoint written after step {Step}: {Checkpoint}", CompletedSteps, file);
    }

    /// <summary>Name of the first parameter holding NaN or infinity, or null when every weight is finite.</summary>
    public string? FindNonFiniteParameter()
    {
        foreach (Parameter p in _model.Parameters())
        {
            var values = new float[p.Count];
            p.Value.Backend.Download(p.Value, values);
            foreach (float v in values)
            {
                if (!float.IsFinite(v))
                {
                    return p.Name;
                }
            }
        }
        return null;
    }

    private static string Compact(string json) =>
        string.Join(' ', json.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    /// <summary>Releases the optimiser state and the old model of a harmonic run; the trained model belongs to the
    /// caller and stays allocated.</summary>
    public void Dispose()
    {
        _optimizer.Dispose();
        _compatibleWith?.Dispose();
    }

    /// <summary>Loads the old model of <see cref="TrainerOptions.CompatibleWith"/>, which must see the same input.</summary>
    private static FaceEmbedder LoadFrozenModel(TrainerOptions options, Preprocessing preprocessing, IBackend backend)
    {
        FaceEmbedder old = FaceEmbedder.Load(options.CompatibleWith!, backend);
        if (old.Dimension != options.EmbeddingSize || old.Preprocessing != preprocessing)
        {
            string detail = old.Dimension != options.EmbeddingSize
                ? $"its embedding size is {old.Dimension}, the new model's {options.EmbeddingSize}"
                : $"its preprocessing is {Compact(old.Preprocessing.ToJson())}, the new model's {Compact(preprocessing.ToJson())}";
            old.Dispose();

            // NOTE: both models embed one preprocessed batch, so an old model with another input size or
            // crop is rejected rather than given its own preprocessing of the augmented images.
            throw new ArgumentException(
                $"Checkpoint '{options.CompatibleWith}' cannot be the old model of a harmonic run: {detail}. Train " +
                "the new model with the same embedding size, input size and centre crop.");
        }
        return old;
    }

    private string? WritePlot(IReadOnlyList<StepRecord> records)
    {
        if (records.Count == 0)
        {
            return null;
        }
        try
        {
            TrainingPlot.Write(records, PlotPath);
            return PlotPath;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            _logger.LogWarning("Loss plot {Plot} could not be written: {Error}", PlotPath, e.Message);
            return null;
        }
    }

    private static Optimizer CreateOptimizer(TrainerOptions options, IEnumerable<Parameter> parameters) =>
        options.Optimizer switch
        {
            OptimizerKind.Sgd => new SgdMomentum(parameters, options.Momentum, options.WeightDecay),
            OptimizerKind.Adam => new Adam(parameters, weightDecay: options.WeightDecay),
            _ => new AdaGrad(parameters, weightDecay: options.WeightDecay),
        };

    private static void CheckModel(TrainerOptions options, FaceNetModel model, Preprocessing preprocessing)
    {
        if (!string.Equals(model.Architecture, options.Architecture, StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException(
                $"The model is '{model.Architecture}' but the options name '{options.Architecture}'; build the " +
                "model from the options' architecture.", nameof(model));
        }
        if (model.EmbeddingSize != options.EmbeddingSize)
        {
            throw new ArgumentException(
                $"The model's embedding size is {model.EmbeddingSize} but the options ask for " +
                $"{options.EmbeddingSize}.", nameof(model));
        }
        if (model.InputHeight != preprocessing.InputHeight || model.InputWidth != preprocessing.InputWidth)
        {
            throw new ArgumentException(
                $"The preprocessing contract produces {preprocessing.InputWidth}x{preprocessing.InputHeight} " +
                $"images but model '{model.Architecture}' takes {model.InputWidth}x{model.InputHeight}; use a " +
                "contract with the model's input size.", nameof(preprocessing));
        }
    }
}
