using System.Text.Json.Nodes;
using FaceNet.Runtime.Autograd;
using FaceNet.Runtime.Models;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Runtime.Checkpoints;

/// <summary>Saves a model's weights (with optional optimiser state and extra tensors) and loads them back.</summary>
public static class ModelCheckpoint
{
    /// <summary>
    /// Collects the model's parameters and states, plus the given optimiser and extra tensors, into a
    /// <see cref="CheckpointData"/> in host memory.
    /// </summary>
    /// <param name="model">An allocated model.</param>
    /// <param name="optimizerState">Optimiser tensors by unique name, such as <c>adagrad.accumulator.conv1.weight</c>.</param>
    /// <param name="extras">Any other named values, such as the training step as a one-element tensor.</param>
    /// <param name="preprocessing">Image preprocessing settings, stored as given.</param>
    /// <param name="metadata">Free-form string metadata.</param>
    public static CheckpointData Capture(FaceNetModel model,
        IEnumerable<(string Name, Tensor Tensor)>? optimizerState = null,
        IEnumerable<CheckpointTensor>? extras = null,
        JsonObject? preprocessing = null,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        var data = new CheckpointData(model.Architecture, model.EmbeddingSize) { Preprocessing = preprocessing };
        if (metadata is not null)
        {
            foreach (var (key, value) in metadata)
            {
                data.Metadata[key] = value;
            }
        }
        foreach (Parameter p in model.Parameters())
        {
            data.Add(CheckpointTensor.FromTensor(p.Name, TensorRole.Parameter, p.Value));
        }
        foreach (var (name, tensor) in model.States())
        {
            data.Add(CheckpointTensor.FromTensor(name, TensorRole.State, tensor));
        }
        foreach (var (name, tensor) in optimizerState ?? [])
        {
            data.Add(CheckpointTensor.FromTensor(name, TensorRole.Optimizer, tensor));
        }
        foreach (CheckpointTensor extra in extras ?? [])
        {
            data.Add(extra with { Role = TensorRole.Extra });
        }
        return data;
    }

    /// <summary>Captures the model (see <see cref="Capture"/>) and writes it atomically to <paramref name="path"/>.</summary>
    /// <exception cref="InvalidDataException">A tensor contains NaN or infinity; nothing is written.</exception>
    public static void Save(string path, FaceNetModel model,
        IEnumerable<(string Name, Tensor Tensor)>? optimizerState = null,
        IEnumerable<CheckpointTensor>? extras = null,
        JsonObject? preprocessing = null,
        IReadOnlyDictionary<string, string>? metadata = null) =>
        CheckpointFile.Write(path, Capture(model, optimizerState, extras, preprocessing, metadata));

    /// <summary>
    /// Reads <paramref name="path"/>, checks it against <paramref name="model"/> (architecture, embedding size,
    /// every parameter and state present with the model's shape, no unknown ones) and only then copies the
    /// weights into the model. Returns the whole checkpoint so the caller can restore optimiser state and extras.
    /// </summary>
    /// <exception cref="InvalidDataException">
    /// The file is corrupt (see <see cref="CheckpointFile.Read"/>) or does not match the model; the model is unchanged.
    /// </exception>
    public static CheckpointData Load(string path, FaceNetModel model)
    {
        CheckpointData data = CheckpointFile.Read(path);
        Apply(data, model, Path.GetFullPath(path));
        return data;
    }

    /// <summary>
    /// Checks checkpoint data already read from <paramref name="path"/> against <paramref name="model"/> and
    /// only then copies its weights and states into the model, so a caller that needs the header first
    /// does not read the file twice.
    /// </summary>
    /// <exception cref="InvalidDataException">The data does not match the model; the model is unchanged.</exception>
    public static void Apply(CheckpointData data, FaceNetModel model, string path)
    {
        Validate(data, model, path);

        foreach (Parameter p in model.Parameters())
        {
            p.Value.Backend.Upload(data.Find(p.Name)!.Values, p.Value);
        }
        foreach (var (name, tensor) in model.States())
        {
            tensor.Backend.Upload(data.Find(name)!.Values, tensor);
        }
    }

    /// <summary>Throws when <paramref name="data"/> cannot be loaded into <paramref name="model"/>.</summary>
    /// <exception cref="InvalidDataException">The first mismatch found, naming the file and tensor.</exception>
    public static void Validate(CheckpointData data, FaceNetModel model, string path)
    {
        if (!string.Equals(data.Architecture, model.Architecture, StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidDataException(
                $"Checkpoint '{path}' contains architecture '{data.Architecture}' but the model is " +
                $"'{model.Architecture}'; create the model as '{data.Architecture}' to load it.");
        }
        if (data.EmbeddingSize != model.EmbeddingSize)
        {
            throw new InvalidDataException(
                $"Checkpoint '{path}' has embedding size {data.EmbeddingSize} but the model has {model.EmbeddingSize}.");
        }

        CheckRole(data, TensorRole.Parameter, model.ParameterShapes(), path);
        CheckRole(data, TensorRole.State, model.StateShapes(), path);
    }

    private static void CheckRole(CheckpointData data, TensorRole role, IEnumerable<(string Name, int[] Dims)> expected,
        string path)
    {
        string what = role == TensorRole.Parameter ? "parameter" : "state tensor";
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, dims) in expected)
        {
            names.Add(name);
            CheckpointTensor? stored = data.Find(name);
            if (stored is null || stored.Role != role)
            {
                throw new InvalidDataException(
                    $"Checkpoint '{path}' has no {what} '{name}', which model '{data.Architecture}' needs.");
            }
            if (!stored.Shape.SequenceEqual(dims))
            {
                throw new InvalidDataException(
                    $"Checkpoint '{path}': {what} '{name}' has shape {Tensor.Format(stored.Shape)} but the model " +
                    $"expects {Tensor.Format(dims)}.");
            }
        }
        foreach (CheckpointTensor stored in data.WithRole(role))
        {
            if (!names.Contains(stored.Name))
            {
                throw new InvalidDataException(
                    $"Checkpoint '{path}' has {what} '{stored.Name}', which model '{data.Architecture}' does not have.");
            }
        }
    }
}
