using FaceNet.Kernels;
using FaceNet.Kernels.Driver;
using System.CommandLine;
using System.Globalization;
using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Cpu;
using FaceNet.Runtime.Data;
using FaceNet.Runtime.Embedding;
using FaceNet.Runtime.Evaluation;
using FaceNet.Runtime.Imaging;
using FaceNet.Runtime.Models;
using FaceNet.Runtime.Training;
using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace FaceNet.Cli.Commands;

/// <summary>
/// <c>facenet train</c>: trains an embedding model with the triplet loss on folder-per-identity images,
/// writing the checkpoint, the CSV log and the loss plot to the output folder.
/// </summary>
internal static class TrainCommand
{
    private const int RedirectedWidth = 160;

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var defaults = new TrainerOptions();
        var arch = new Option<string>("--arch")
        {
            Description = $"Architecture to train: {string.Join(", ", Architectures.Names)}.",
            DefaultValueFactory = _ => defaults.Architecture,
        };
        var embeddingSize = new Option<int>("--embedding-size")
        {
            Description = "Length of the embedding vector.",
            DefaultValueFactory = _ => defaults.EmbeddingSize,
        };
        var data = new Option<string[]>("--data")
        {
            Description = "Folder with one subfolder of images per identity; repeat for several folders. " +
                "An LFW root with an 'images' subfolder is read from that subfolder.",
            AllowMultipleArgumentsPerToken = false,
        };
        var includeLfw = new Option<bool>("--include-lfw")
        {
            Description = "Also train on LFW people from '<data root>/lfw'.",
        };
        var includeYale = new Option<bool>("--include-yale-b")
        {
            Description = "Also train on the cropped Extended Yale B faces from '<data root>/yale-b-cropped' (PGM).",
        };
        var dataRoot = new Option<string?>("--data-root")
        {
            Description = $"Folder holding 'lfw' and 'yale-b-cropped'; defaults to ${DataRoot.EnvironmentVariable} " +
                "or '../shared/data' beside the checkout.",
        };
        var excludeFolds = new Option<string?>("--exclude-lfw-folds")
        {
            Description = "Leave out every person who appears in these folds of LFW pairs.txt, such as '6-10', so " +
                "the model never sees the people it is tested on.",
        };
        var lfwPairs = new Option<string?>("--lfw-pairs")
        {
            Description = "Path of LFW pairs.txt for --exclude-lfw-folds; defaults to '<data root>/lfw/pairs.txt'.",
        };
        var excludeIdentity = new Option<string[]>("--exclude-identity")
        {
            Description = "Leave out this identity (folder name); repeat for several.",
        };
        var minImages = new Option<int>("--min-images")
        {
            Description = "Leave out identities with fewer images than this (at least 2).",
            DefaultValueFactory = _ => defaults.MinImagesPerIdentity,
        };
        var output = new Option<string>("--out")
        {
            Description = "Output folder for the checkpoint, the CSV log and the loss plot.",
            Required = true,
        };
        var steps = new Option<int>("--steps")
        {
            Description = "Total training steps (one batch each), counting steps before a resume.",
            DefaultValueFactory = _ => defaults.Steps,
        };
        var identities = new Option<int>("--identities-per-batch", "-P")
        {
            Description = "P: identities per batch. The FaceNet paper's batches of about 1,800 images hold about " +
                "40 per identity, for example -P 45 -K 40.",
            DefaultValueFactory = _ => defaults.IdentitiesPerBatch,
        };
        var perIdentity = new Option<int>("--images-per-identity", "-K")
        {
            Description = "K: maximum images per identity in a batch (at least 2).",
            DefaultValueFactory = _ => defaults.ImagesPerIdentity,
        };
        var extraNegatives = new Option<int>("--extra-negatives")
        {
            Description = "Images of other identities added to each batch as negatives only.",
            DefaultValueFactory = _ => defaults.ExtraNegatives,
        };
        var margin = new Option<float>("--margin")
        {
            Description = "Triplet margin alpha on squared L2 distances of unit vectors.",
            DefaultValueFactory = _ => defaults.Margin,
        };
        var policy = new Option<string>("--policy")
        {
            Description = "Pairs without a semi-hard negative: 'skip' drops them, 'hardest' takes the easiest " +
                "hard negative (risks collapse).",
            DefaultValueFactory = _ => "skip",
        };
        policy.AcceptOnlyFromAmong("skip", "hardest");
        var optimizer = new Option<string>("--optimizer")
        {
            Description = "Optimiser: adagrad (the FaceNet paper's), sgd (with momentum) or adam.",
            DefaultValueFactory = _ => "adagrad",
        };
        optimizer.AcceptOnlyFromAmong("adagrad", "sgd", "adam");
        var learningRate = new Option<float>("--lr")
        {
            Description = "Starting learning rate; the FaceNet paper starts AdaGrad at 0.05.",
            DefaultValueFactory = _ => defaults.LearningRate,
        };
        var schedule = new Option<string>("--schedule")
        {
            Description = "Learning-rate schedule: constant, step (times --decay-factor every --decay-interval " +
                "steps) or cosine (down to --min-lr at the last step).",
            DefaultValueFactory = _ => "constant",
        };
        schedule.AcceptOnlyFromAmong("constant", "step", "cosine");
        var decayFactor = new Option<float>("--decay-factor")
        {
            Description = "Factor of the step schedule, in (0, 1].",
            DefaultValueFactory = _ => defaults.DecayFactor,
        };
        var decayInterval = new Option<int>("--decay-interval")
        {
            Description = "Steps between two drops of the step schedule.",
            DefaultValueFactory = _ => defaults.DecayInterval,
        };
        var minLearningRate = new Option<float>("--min-lr")
        {
            Description = "Final learning rate of the cosine schedule.",
            DefaultValueFactory = _ => defaults.MinimumLearningRate,
        };
        var momentum = new Option<float>("--momentum")
        {
            Description = "Momentum of the sgd optimiser, in [0, 1).",
            DefaultValueFactory = _ => defaults.Momentum,
        };
        var weightDecay = new Option<float>("--weight-decay")
        {
            Description = "L2 penalty added to every gradient as g + wd * w.",
            DefaultValueFactory = _ => defaults.WeightDecay,
        };
        var noFlip = new Option<bool>("--no-flip")
        {
            Description = "Turn off the random left-right flip of training images.",
        };
        var noCrop = new Option<bool>("--no-random-crop")
        {
            Description = "Turn off the random crop of training images.",
        };
        var cropFraction = new Option<double>("--random-crop-fraction")
        {
            Description = "Side of the random crop window as a fraction of the face region, in (0, 1].",
            DefaultValueFactory = _ => defaults.RandomCropFraction,
        };
        var centerCrop = new Option<double>("--center-crop")
        {
            Description = "Fraction of each image side kept by the preprocessing centre crop, in (0, 1]; stored " +
                "in the checkpoint. 0.6 keeps the face of 250x250 LFW deep-funneled images, 1 keeps tight face crops whole.",
            DefaultValueFactory = _ => ModelDefaults.CenterCropFraction,
        };
        var seed = new Option<int>("--seed")
        {
            Description = "Seed of the initial weights, the batches and the augmentation.",
            DefaultValueFactory = _ => defaults.Seed,
        };
        var checkpointEvery = new Option<int>("--checkpoint-every")
        {
            Description = "Steps between two checkpoints; one is also written at the end and on Ctrl+C.",
            DefaultValueFactory = _ => defaults.CheckpointEvery,
        };
        var cache = new Option<int>("--cache-images")
        {
            Description = "Decoded images kept in memory between steps (0 turns the cache off).",
            DefaultValueFactory = _ => defaults.DecodedImageCache,
        };
        var resume = new Option<bool>("--resume")
        {
            Description = $"Continue the run in --out from its {Trainer.CheckpointFileName}; pass the same " +
                "settings as the first run (only --steps, --checkpoint-every and --cache-images may change).",
        };

        var compatibleWith = new Option<string?>("--compatible-with")
        {
            Description = "Checkpoint of an old model to stay compatible with: it embeds every batch too (frozen) and " +
                "the harmonic triplet loss mixes both models' embeddings, so new and old embeddings can be compared. " +
                "It must have the same embedding size, input size and --center-crop; --policy does not apply.",
        };

        var device = new Option<string>("--device")
        {
            Description = "Backend to train on: cpu, cuda (a GPU through libcuda) or emulated (the CUDA kernels on the CPU).",
            DefaultValueFactory = _ => "cpu",
        };
        device.AcceptOnlyFromAmong(BackendFactory.Devices.ToArray());

        var command = new Command("train", "Train an embedding model with the triplet loss and online semi-hard " +
            "mining, writing checkpoints, a CSV log and a loss plot.")
        {
            arch, embeddingSize, data, includeLfw, includeYale, dataRoot, excludeFolds, lfwPairs, excludeIdentity,
            minImages, output, steps, identities, perIdentity, extraNegatives, margin, policy, optimizer,
            learningRate, schedule, decayFactor, decayInterval, minLearningRate, momentum, weightDecay, noFlip,
            noCrop, cropFraction, centerCrop, seed, checkpointEvery, cache, resume, compatibleWith, device,
        };
        command.SetAction(result =>
        {
            TextWriter error = result.InvocationConfiguration.Error;
            var request = new TrainRequest(
                result.GetValue(data) ?? [], result.GetValue(includeLfw), result.GetValue(includeYale),
                result.GetValue(dataRoot), result.GetValue(excludeFolds), result.GetValue(lfwPairs),
                result.GetValue(excludeIdentity) ?? [], result.GetValue(centerCrop), result.GetValue(resume),
                result.GetValue(device)!);
            TrainerOptions options;
            try
            {
                options = new TrainerOptions
                {
                    Architecture = result.GetValue(arch)!,
                    EmbeddingSize = result.GetValue(embeddingSize),
                    MinImagesPerIdentity = result.GetValue(minImages),
                    OutputFolder = Path.GetFullPath(result.GetValue(output)!),
                    Steps = result.GetValue(steps),
                    IdentitiesPerBatch = result.GetValue(identities),
                    ImagesPerIdentity = result.GetValue(perIdentity),
                    ExtraNegatives = result.GetValue(extraNegatives),
                    Margin = result.GetValue(margin),
                    Policy = result.GetValue(policy) == "hardest"
                        ? NegativePolicy.SemiHardOrHardest
                        : NegativePolicy.SemiHardOrSkip,
                    Optimizer = Enum.Parse<OptimizerKind>(result.GetValue(optimizer)!, ignoreCase: true),
                    LearningRate = result.GetValue(learningRate),
                    Schedule = Enum.Parse<ScheduleKind>(result.GetValue(schedule)!, ignoreCase: true),
                    DecayFactor = result.GetValue(decayFactor),
                    DecayInterval = result.GetValue(decayInterval),
                    MinimumLearningRate = result.GetValue(minLearningRate),
                    Momentum = result.GetValue(momentum),
                    WeightDecay = result.GetValue(weightDecay),
                    Flip = !result.GetValue(noFlip),
                    RandomCrop = !result.GetValue(noCrop),
                    RandomCropFraction = result.GetValue(cropFraction),
                    Seed = result.GetValue(seed),
                    CheckpointEvery = result.GetValue(checkpointEvery),
                    DecodedImageCache = result.GetValue(cache),
                    CompatibleWith = result.GetValue(compatibleWith) is { } old ? Path.GetFullPath(old) : null,
                };
            }
            catch (ArgumentException e)
            {
                error.WriteLine($"error: {CommandRunner.MessageOf(e)}");
                return 2;
            }
            return Run(options, request, result.InvocationConfiguration.Output, error);
        });
        return command;
    }

    /// <summary>
    /// Resolves the data folders and exclusions, builds the model and trains it. Returns 0 when training
    /// finished or was stopped with Ctrl+C (after writing a checkpoint), 1 for missing or broken data files,
    /// 2 for invalid settings, and 3 when training diverged.
    /// </summary>
    internal static int Run(TrainerOptions baseOptions, TrainRequest request, TextWriter output, TextWriter error)
    {
        TrainerOptions options;
        Preprocessing preprocessing;
        FaceNetModel model;
        FolderImageSource images;
        try
        {
            options = ResolveData(baseOptions, request);
            options.Validate();
            string existing = Path.Combine(options.OutputFolder, Trainer.CheckpointFileName);
            if (!request.Resume && File.Exists(existing))
            {
                // A new run would overwrite the earlier run's checkpoint and log at its first save.
                error.WriteLine($"error: Output folder '{options.OutputFolder}' already contains '{existing}' from " +
                    "an earlier run. Pass --resume to continue it, or choose another --out for a new run.");
                return 2;
            }
            if (!Architectures.IsKnown(options.Architecture))
            {
                error.WriteLine($"error: Unknown architecture '{options.Architecture}'. Valid names: " +
                    $"{string.Join(", ", Architectures.Names)}.");
                return 2;
            }
            model = Architectures.Create(options.Architecture, options.EmbeddingSize);
            preprocessing = PreprocessingFor(model, request.CenterCrop);
        }
        catch (ArgumentException e)
        {
            error.WriteLine($"error: {CommandRunner.MessageOf(e)}");
            return 2;
        }
        catch (Exception e) when (e is IOException or FormatException)
        {
            error.WriteLine($"error: {CommandRunner.MessageOf(e)}");
            return 1;
        }
        try
        {
            images = FolderImageSource.Scan(options.DataFolders, options.ExcludedIdentities,
                options.MinImagesPerIdentity, options.DecodedImageCache);
        }
        catch (Exception e) when (e is ArgumentException or IOException)
        {
            model.Dispose();
            error.WriteLine($"error: {CommandRunner.MessageOf(e)}");
            return 1;
        }

        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output) });
        if (!ReferenceEquals(output, Console.Out) || Console.IsOutputRedirected)
        {
            // Redirected output has no terminal width; a fixed width keeps each step on one line.
            console.Profile.Width = RedirectedWidth;
        }
        console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{images.Count:N0} images of {images.Identities.Count:N0} identities from " +
            $"{string.Join(", ", options.DataFolders)}; {images.ExcludedIdentityCount:N0} identities excluded, " +
            $"{images.Skipped.Count:N0} files skipped."));

        IBackend backend;
        try
        {
            backend = BackendFactory.Create(request.Device);
        }
        catch (CudaException e)
        {
            model.Dispose();
            error.WriteLine($"error: {ModelOptions.DeviceFailureMessage(request.Device, e)}");
            return 1;
        }
        using var ownedBackend = backend as IDisposable;
        using ILoggerFactory loggers = LoggerFactory.Create(builder => builder
            .AddSimpleConsole(o => o.SingleLine = true)
            .SetMinimumLevel(LogLevel.Warning));
        using var cancel = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            using (model)
            using (var trainer = new Trainer(options, model, images, preprocessing, backend,
                loggers.CreateLogger("FaceNet.Training")))
            {
                if (request.Resume)
                {
                    trainer.Resume();
                    console.WriteLine($"Resumed after step {trainer.CompletedSteps} from {trainer.CheckpointPath}.");
                }
                TrainingResult result = RunWithProgress(console, trainer, cancel.Token);
                console.WriteLine(result.Cancelled
                    ? $"Stopped after step {result.CompletedSteps}; resume with --resume."
                    : $"Finished {result.CompletedSteps} steps.");
                console.WriteLine($"Checkpoint: {result.CheckpointPath}");
                console.WriteLine($"Log:        {result.LogPath}");
                console.WriteLine($"Loss plot:  {result.PlotPath ?? "(not written)"}");
                foreach (string warning in result.Warnings)
                {
                    error.WriteLine($"warning: {warning}");
                }
            }
            return 0;
        }
        catch (TrainingDivergedException e)
        {
            error.WriteLine($"error: {CommandRunner.MessageOf(e)}");
            return 3;
        }
        catch (Exception e) when (e is ArgumentException or IOException or InvalidDataException)
        {
            error.WriteLine($"error: {CommandRunner.MessageOf(e)}");
            return 1;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    /// <summary>
    /// The preprocessing contract stored with the trained model: the project default (per-image
    /// standardisation at the model's input size, area resampling, RGB) with the given centre crop, so a
    /// trained model and an untrained one are evaluated on the same input.
    /// </summary>
    internal static Preprocessing PreprocessingFor(FaceNetModel model, double centerCrop)
    {
        Preprocessing contract = ModelDefaults.For(model) with
        {
            Crop = centerCrop != 1.0 ? CropMode.Center : CropMode.None,
            CropFraction = centerCrop,
        };
        contract.Validate();
        return contract;
    }

    /// <summary>Adds the LFW and Yale B folders and the identities of the excluded LFW folds to the options.</summary>
    internal static TrainerOptions ResolveData(TrainerOptions options, TrainRequest request)
    {
        var folders = request.DataFolders.Select(Path.GetFullPath).ToList();
        bool needsRoot = request.IncludeLfw || request.IncludeYaleB ||
            (request.ExcludeLfwFolds is not null && request.LfwPairs is null);
        string root = needsRoot ? DataRoot.RequireExisting(request.DataRoot) : "";
        if (request.IncludeLfw)
        {
            folders.Add(Path.Combine(root, "lfw"));
        }
        if (request.IncludeYaleB)
        {
            folders.Add(Path.Combine(root, "yale-b-cropped"));
        }
        if (folders.Count == 0)
        {
            throw new ArgumentException("No training data: pass --data DIR, --include-lfw or --include-yale-b.");
        }

        var excluded = new SortedSet<string>(request.ExcludedIdentities, StringComparer.Ordinal);
        if (request.ExcludeLfwFolds is not null)
        {
            string pairsPath = request.LfwPairs ?? Path.Combine(root, "lfw", "pairs.txt");
            LfwPairs pairs = LfwPairs.Load(pairsPath);
            FoldSelection folds = FoldSelection.Parse(request.ExcludeLfwFolds, pairs.FoldCount);
            foreach (LfwPair pair in pairs.InFolds(folds))
            {
                excluded.Add(pair.FirstName);
                excluded.Add(pair.SecondName);
            }
        }
        return options with
        {
            DataFolders = folders.Distinct(StringComparer.Ordinal).ToArray(),
            ExcludedIdentities = excluded.ToArray(),
        };
    }

    private static TrainingResult RunWithProgress(IAnsiConsole console, Trainer trainer, CancellationToken token)
    {
        TrainingResult? result = null;
        console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(),
                new RemainingTimeColumn(), new SpinnerColumn())
            .Start(context =>
            {
                ProgressTask task = context.AddTask("training", maxValue: trainer.Options.Steps);
                task.Value = trainer.CompletedSteps;
                var progress = new StepProgress(record =>
                {
                    console.WriteLine(record.ToDisplayLine());
                    task.Value = record.Step;
                    task.Description = string.Create(CultureInfo.InvariantCulture, $"loss {record.Loss:F4}");
                });
                result = trainer.Run(progress, token);
            });
        return result!;
    }

    /// <summary>Reports each step on the training thread, unlike <see cref="Progress{T}"/>, which posts.</summary>
    private sealed class StepProgress(Action<StepRecord> report) : IProgress<StepRecord>
    {
        public void Report(StepRecord value) => report(value);
    }
}

/// <summary>Command-line settings of <c>facenet train</c> that are not trainer options.</summary>
/// <param name="DataFolders">Folders given with --data.</param>
/// <param name="IncludeLfw">Whether to add the LFW folder of the data root.</param>
/// <param name="IncludeYaleB">Whether to add the cropped Yale B folder of the data root.</param>
/// <param name="DataRoot">Explicit data root, or null for the default.</param>
/// <param name="ExcludeLfwFolds">Fold selection such as "6-10", or null.</param>
/// <param name="LfwPairs">Explicit pairs.txt path, or null for the data root's.</param>
/// <param name="ExcludedIdentities">Identities given with --exclude-identity.</param>
/// <param name="CenterCrop">Preprocessing centre-crop fraction.</param>
/// <param name="Resume">Whether to resume from the output folder's checkpoint.</param>
/// <param name="Device">Backend to train on: cpu, cuda or emulated.</param>
internal sealed record TrainRequest(
    IReadOnlyList<string> DataFolders, bool IncludeLfw, bool IncludeYaleB, string? DataRoot, string? ExcludeLfwFolds,
    string? LfwPairs, IReadOnlyList<string> ExcludedIdentities, double CenterCrop, bool Resume, string Device = "cpu");
