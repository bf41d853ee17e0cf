using System.Globalization;
using System.Text.Json.Nodes;
using FaceNet.Runtime.Autograd;
using FaceNet.Runtime.Checkpoints;
using FaceNet.Runtime.Imaging;
using FaceNet.Runtime.Models;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Runtime.Training;

/// <summary>The training state read back from a checkpoint.</summary>
/// <param name="Step">Completed training steps.</param>
/// <param name="Options">The options of the run that wrote the checkpoint.</param>
/// <param name="Preprocessing">The preprocessing contract stored in the header.</param>
public sealed record TrainingCheckpointState(long Step, TrainerOptions Options, Preprocessing Preprocessing);

/// <summary>
/// Checkpoints of a training run: the model's weights and batch normalisation running statistics, every
/// optimiser state tensor, and in the header the completed step count, the optimiser's own step count,
/// the trainer options and the preprocessing contract. Written atomically, so a run killed during a
/// save keeps the previous checkpoint.
/// </summary>
public static class TrainingCheckpoint
{
    /// <summary>Metadata key of the completed step count.</summary>
    public const string StepKey = "training.step";

    /// <summary>Metadata key of <see cref="Optimizer.StepCount"/>.</summary>
    public const string OptimizerStepsKey = "training.optimizer_steps";

    /// <summary>Metadata key of the optimiser kind.</summary>
    public const string OptimizerKey = "training.optimizer";

    /// <summary>Metadata key of the trainer options as JSON.</summary>
    public const string OptionsKey = "training.options";

    /// <summary>Writes the checkpoint of a run after <paramref name="step"/> completed steps.</summary>
    /// <exception cref="InvalidDataException">A weight or optimiser value is NaN or infinite; nothing is written.</exception>
    public static void Save(string path, FaceNetModel model, Optimizer optimizer, TrainerOptions options,
        Preprocessing preprocessing, long step)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [StepKey] = step.ToString(CultureInfo.InvariantCulture),
            [OptimizerStepsKey] = optimizer.StepCount.ToString(CultureInfo.InvariantCulture),
            [OptimizerKey] = options.Optimizer.ToString(),
            [OptionsKey] = options.ToJson(),
            ["created"] = DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture),
        };
        ModelCheckpoint.Save(path, model,
            optimizerState: optimizer.State.Select(entry => (entry.Key, entry.Value)),
            preprocessing: JsonNode.Parse(preprocessing.ToJson())!.AsObject(),
            metadata: metadata);
    }

    /// <summary>
    /// Reads <paramref name="path"/>, checks that it matches the model and the optimiser, runs
    /// <paramref name="check"/> on the stored state, and only then copies the weights, running statistics
    /// and optimiser state in and sets the optimiser's step count.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is corrupt, was not written by the trainer, or does not
    /// match the model or the optimiser; nothing is changed.</exception>
    public static TrainingCheckpointState Load(string path, FaceNetModel model, Optimizer optimizer,
        Action<TrainingCheckpointState>? check = null)
    {
        string fullPath = Path.GetFullPath(path);
        CheckpointData data = CheckpointFile.Read(fullPath);
        ModelCheckpoint.Validate(data, model, fullPath);

        long step = ReadLong(data, StepKey, fullPath);
        long optimizerSteps = ReadLong(data, OptimizerStepsKey, fullPath);
        if (!data.Metadata.TryGetValue(OptionsKey, out string? optionsJson) || data.Preprocessing is null)
        {
            throw new InvalidDataException(
                $"Checkpoint '{fullPath}' has no trainer options or preprocessing contract; it was not written by " +
                "the trainer, so it cannot be resumed.");
        }
        TrainerOptions options;
        Preprocessing preprocessing;
        try
        {
            options = TrainerOptions.FromJson(optionsJson);
            preprocessing = Preprocessing.FromJson(data.Preprocessing.ToJsonString());
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"Checkpoint '{fullPath}': {e.Message}", e);
        }

        foreach (var (name, tensor) in optimizer.State)
        {
            CheckpointTensor? stored = data.Find(name);
            if (stored is null || stored.Role != TensorRole.Optimizer)
            {
                string kind = data.Metadata.GetValueOrDefault(OptimizerKey, "unknown");
                throw new InvalidDataException(
                    $"Checkpoint '{fullPath}' has no optimiser state '{name}'; it was written with the {kind} " +
                    "optimiser. Resume with the same --optimizer.");
            }
            if (!stored.Shape.SequenceEqual(tensor.Dims.ToArray()))
            {
                throw new InvalidDataException(
                    $"Checkpoint '{fullPath}': optimiser state '{name}' has shape {Tensor.Format(stored.Shape)} " +
                    $"but the optimiser expects {tensor.ShapeText}.");
            }
        }

        var state = new TrainingCheckpointState(step, options, preprocessing);
        check?.Invoke(state);

        ModelCheckpoint.Apply(data, model, fullPath);
        foreach (var (name, tensor) in optimizer.State)
        {
            tensor.Backend.Upload(data.Find(name)!.Values, tensor);
        }
        optimizer.StepCount = checked((int)optimizerSteps);
        return state;
    }

    private static long ReadLong(CheckpointData data, string key, string path)
    {
        if (!data.Metadata.TryGetValue(key, out string? text) ||
            !long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long value))
        {
            throw new InvalidDataException(
                $"Checkpoint '{path}' has no valid '{key}' entry; it was not written by the trainer, so it cannot " +
                "be resumed.");
        }
        return value;
    }
}
