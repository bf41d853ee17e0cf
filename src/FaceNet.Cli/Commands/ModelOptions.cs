using FaceNet.Kernels;
using FaceNet.Kernels.Driver;
using FaceNet.Runtime.Backends;
using System.CommandLine;
using FaceNet.Runtime.Embedding;
using FaceNet.Runtime.Models;
using FaceNet.Runtime.Pretrained;

namespace FaceNet.Cli.Commands;

/// <summary>
/// The options every embedding command shares to choose its model: a checkpoint, an untrained
/// architecture (a floor to compare against), or the pixel baseline.
/// </summary>
internal sealed class ModelOptions
{
    public Option<string?> Checkpoint { get; } = new("--model")
    {
        Description = "Checkpoint file (.fnet) to embed with, or 'face-api-resnet' for face-api's pretrained " +
            "recognition network (weights fetched with npm on first use).",
    };

    public Option<string?> ModelsDirectory { get; } = new("--models-dir")
    {
        Description = "Cache folder of the pretrained face-api model files. Default: $FACENET_MODELS, else " +
            "$XDG_CACHE_HOME/facenet/models, else ~/.cache/facenet/models.",
    };

    public Option<bool> Pretrained { get; } = new("--pretrained")
    {
        Description = "Use face-api's pretrained networks on photos: detect faces, find 68 landmarks, align the " +
            "face (see --face) to 150x150 and embed it with face-api-resnet. Same as --model face-api-resnet --detector tiny; " +
            "add --detector ssd for the other detector.",
    };

    public Option<string?> Detector { get; } = CreateDetectorOption();

    public Option<double?> FaceScore { get; } = new("--face-score")
    {
        CustomParser = ParseFaceScore,
        Description = "With --detector or --pretrained: the detector score above which a box counts as a face, " +
            "greater than 0 and less than 1 (default 0.5, face-api's). Lower values find more faces and more false ones. " +
            "The centre box has no score and ignores it.",
    };

    public Option<double?> AlignPadding { get; } = new("--align-padding")
    {
        Description = "With --detector or --pretrained: margin around the inner-face landmarks (eyebrows, eyes, nose, " +
            "mouth) in the aligned 150x150 crop, as a fraction of their extent on each side (0 fills the crop). " +
            "Default: the built-in template.",
    };

    public Option<string?> Face { get; } = CreateFaceOption();

    public Option<bool> NoMirror { get; } = new("--no-mirror")
    {
        Description = "With face-api-resnet: embed each face once, instead of adding the descriptor of its mirror " +
            "image before scaling to unit length. Halves the recognition network's work; see docs/pipeline.md for " +
            "what it costs in accuracy.",
    };

    /// <summary>The face choice when --face is not given: the largest face, or the central one for LFW commands.</summary>
    public FaceChoice DefaultFaceChoice { get; init; } = FaceChoice.Largest;

    public Option<string?> Architecture { get; } = new("--arch")
    {
        Description = "Use this architecture with random weights instead of a checkpoint (an untrained floor). " +
            "Names: " + string.Join(", ", Architectures.Names) + ".",
    };

    public Option<int> Seed { get; } = new("--seed")
    {
        Description = "Seed of the random weights for --arch.",
        DefaultValueFactory = _ => 1,
    };

    public Option<string?> Baseline { get; } = new("--baseline")
    {
        Description = "Use a fixed non-learned baseline instead of a network: 'pixels' (standardised 32x32 centre crop).",
    };

    public Option<int> BatchSize { get; } = new("--batch-size")
    {
        Description = "Images per forward pass.",
        DefaultValueFactory = _ => 32,
    };

    public Option<string> Device { get; } = CreateDeviceOption();

    private static Option<string?> CreateDetectorOption()
    {
        var option = new Option<string?>("--detector")
        {
            Description = "Face detector for photos with face-api-resnet: 'tiny' (fast, 416x416 input), 'ssd' " +
                "(SSD MobileNet v1, slower, finds more faces) or 'centre' (no detection: for face crops such as " +
                "LFW, the landmarks are searched in the central half of each image, so it never reports a missing " +
                "face, even in a blank image), or several joined by '+', " +
                "such as 'ssd+centre': each aligns its own view of the face and the descriptors are averaged " +
                "[default with --pretrained: tiny]. An image without a face is reported and skipped; compare exits " +
                "1 instead, and lfw and the experiment commands align it from landmarks found in the central half " +
                "of the image.",
        };
        return option;
    }

    private static Option<string?> CreateFaceOption()
    {
        var option = new Option<string?>("--face")
        {
            HelpName = "largest|central",
            Description = "With --detector or --pretrained, which face to embed when an image has several: 'largest' " +
                "(the largest box) or 'central' (the box that overlaps the central half of the image most) " +
                "[default: largest; lfw and the experiment commands: central, because LFW images are cropped around " +
                "their subject].",
        };
        option.Validators.Add(result =>
        {
            if (result.GetValue(option) is { } face && face is not ("largest" or "central"))
            {
                result.AddError($"Invalid --face '{face}'; use 'largest' or 'central'.");
            }
        });
        return option;
    }

    /// <summary>Parses --face-score, naming the option and the valid range when the value is not a number.</summary>
    private static double? ParseFaceScore(System.CommandLine.Parsing.ArgumentResult result)
    {
        string text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture,
            out double score))
        {
            return score;
        }
        result.AddError($"Invalid --face-score '{text}'; use a number greater than 0 and less than 1, such as 0.5.");
        return null;
    }

    private static Option<string> CreateDeviceOption()
    {
        var option = new Option<string>("--device")
        {
            Description = "Backend for the network: cpu, cuda (a GPU through libcuda) or emulated (the CUDA kernels on the CPU).",
            DefaultValueFactory = _ => "cpu",
        };
        option.AcceptOnlyFromAmong(BackendFactory.Devices.ToArray());
        return option;
    }

    public void AddTo(Command command)
    {
        command.Options.Add(Device);
        command.Options.Add(Checkpoint);
        command.Options.Add(Pretrained);
        command.Options.Add(Detector);
        command.Options.Add(FaceScore);
        command.Options.Add(AlignPadding);
        command.Options.Add(Face);
        command.Options.Add(NoMirror);
        command.Options.Add(ModelsDirectory);
        command.Options.Add(Architecture);
        command.Options.Add(Seed);
        command.Options.Add(Baseline);
        command.Options.Add(BatchSize);
    }

    /// <summary>Builds the embedder the options name; throws <see cref="UsageException"/> when they conflict.</summary>
    public FaceEmbedder Open(ParseResult result)
    {
        string? checkpoint = result.GetValue(Checkpoint);
        string? architecture = result.GetValue(Architecture);
        string? baseline = result.GetValue(Baseline);
        string? detector = result.GetValue(Detector);
        bool pretrained = result.GetValue(Pretrained);
        if (pretrained && checkpoint is not null && !FaceEmbedder.IsFaceApiResNetName(checkpoint))
        {
            throw new UsageException($"--pretrained uses face-api-resnet; drop --model '{checkpoint}' or --pretrained.");
        }
        if (pretrained)
        {
            checkpoint = "face-api-resnet";
            detector ??= "tiny";
        }
        int chosen = (checkpoint is null ? 0 : 1) + (architecture is null ? 0 : 1) + (baseline is null ? 0 : 1);
        if (chosen != 1)
        {
            throw new UsageException("Choose exactly one model: --model FILE, --arch NAME (untrained), --baseline " +
                "pixels, or --pretrained (face-api detection and recognition).");
        }
        if (detector is not null)
        {
            try
            {
                FacePipeline.ParseDetectorNames(detector);
            }
            catch (ArgumentException e)
            {
                throw new UsageException($"Invalid --detector: {e.Message.Split(" (Parameter")[0]}");
            }
        }
        if (detector is not null && (checkpoint is null || !FaceEmbedder.IsFaceApiResNetName(checkpoint)))
        {
            throw new UsageException(
                $"--detector {detector} works with face-api-resnet only; add --pretrained or --model face-api-resnet.");
        }
        if (result.GetValue(FaceScore) is { } faceScore && (detector is null || !(faceScore > 0 && faceScore < 1)))
        {
            throw new UsageException(detector is null
                ? "--face-score needs face detection; add --pretrained or --detector tiny|ssd|centre."
                : $"Invalid --face-score {faceScore}; use a score greater than 0 and less than 1, such as 0.5.");
        }
        double? alignPadding = result.GetValue(AlignPadding);
        if (alignPadding is { } padding && (detector is null || !(padding >= 0 && padding <= 2)))
        {
            throw new UsageException(detector is null
                ? "--align-padding needs face detection; add --pretrained or --detector tiny|ssd|centre."
                : $"Invalid --align-padding {padding}; use a fraction of the landmark extent from 0 to 2, such as 0.25.");
        }
        string? face = result.GetValue(Face);
        if (face is not null && detector is null)
        {
            throw new UsageException("--face needs face detection; add --pretrained or --detector tiny|ssd|centre.");
        }
        bool mirror = !result.GetValue(NoMirror);
        if (!mirror && (checkpoint is null || !FaceEmbedder.IsFaceApiResNetName(checkpoint)))
        {
            throw new UsageException("--no-mirror applies to face-api-resnet only; add --pretrained or --model face-api-resnet.");
        }
        int batchSize = result.GetValue(BatchSize);
        if (batchSize < 1)
        {
            throw new UsageException($"Invalid --batch-size {batchSize}; use a positive number.");
        }
        if (result.GetValue(ModelsDirectory) is { } modelsDirectory && File.Exists(modelsDirectory))
        {
            throw new UsageException($"Invalid --models-dir '{modelsDirectory}': it is a file, not a folder; pass the " +
                "folder that holds, or will hold, the face-api model files.");
        }
        if (result.GetValue(ModelsDirectory) is null && checkpoint is not null && FaceEmbedder.IsFaceApiResNetName(checkpoint))
        {
            RequireModelsVariableNotFile(Environment.GetEnvironmentVariable(FaceApiModelStore.DirectoryVariable));
        }
        FaceEmbedder embedder;
        if (checkpoint is not null)
        {
            if (detector is not null)
            {
                embedder = FaceEmbedder.LoadPretrained(detector, OpenBackend(result), result.GetValue(ModelsDirectory), mirror);
                embedder.Faces!.Choice = face switch
                {
                    "largest" => FaceChoice.Largest,
                    "central" => FaceChoice.Central,
                    _ => DefaultFaceChoice,
                };
                if (result.GetValue(FaceScore) is { } score)
                {
                    foreach (IFaceDetector faceDetector in embedder.Faces!.Detectors)
                    {
                        faceDetector.ScoreThreshold = score;
                    }
                }
                if (alignPadding is not null)
                {
                    embedder.Faces!.Aligner = new FaceAligner(template: FaceAligner.PaddedTemplate(alignPadding.Value));
                }
            }
            else
            {
                embedder = FaceEmbedder.IsFaceApiResNetName(checkpoint)
                    ? FaceEmbedder.FaceApiResNet(OpenBackend(result), result.GetValue(ModelsDirectory), mirror: mirror)
                    : FaceEmbedder.Load(checkpoint, OpenBackend(result));
            }
        }
        else if (architecture is not null)
        {
            if (!Architectures.IsKnown(architecture))
            {
                throw new UsageException(
                    $"Unknown architecture '{architecture}'. Valid names: {string.Join(", ", Architectures.Names)}.");
            }
            embedder = FaceEmbedder.Untrained(architecture, result.GetValue(Seed), backend: OpenBackend(result));
        }
        else if (baseline == "pixels")
        {
            embedder = FaceEmbedder.PixelBaseline();
        }
        else
        {
            throw new UsageException($"Unknown baseline '{baseline}'; the only baseline is 'pixels'.");
        }
        embedder.BatchSize = batchSize;
        return embedder;
    }

    /// <summary>Throws a usage error when $FACENET_MODELS, the default model cache, names a file.</summary>
    internal static void RequireModelsVariableNotFile(string? value)
    {
        if (!string.IsNullOrWhiteSpace(value) && File.Exists(value))
        {
            throw new UsageException($"Invalid ${FaceApiModelStore.DirectoryVariable} '{value}': it is a file, " +
                "not a folder. Point it at the folder of the face-api model files, or pass --models-dir.");
        }
    }

    /// <summary>Opens the backend --device names; a missing driver or library becomes a data error with the reason.</summary>
    private IBackend OpenBackend(ParseResult result)
    {
        try
        {
            return BackendFactory.Create(result.GetValue(Device)!);
        }
        catch (CudaException e)
        {
            throw new InvalidDataException(DeviceFailureMessage(result.GetValue(Device)!, e), e);
        }
    }

    /// <summary>
    /// The message for a device that could not be opened. For cuda it adds the --device values that need no
    /// GPU, since the driver's own message speaks of drivers, not of this command's options.
    /// </summary>
    internal static string DeviceFailureMessage(string device, CudaException e) =>
        device == "cuda" ? $"{e.Message} Without a GPU, use --device cpu or --device emulated." : e.Message;
}

/// <summary>A command-line mistake: the message is shown as is and the exit code is 2.</summary>
internal sealed class UsageException(string message) : Exception(message);
