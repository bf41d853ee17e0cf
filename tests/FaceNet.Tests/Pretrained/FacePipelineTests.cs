using System.Text.Json;
using FaceNet.Runtime.Data;
using FaceNet.Runtime.Embedding;
using FaceNet.Runtime.Evaluation;
using FaceNet.Runtime.Imaging;
using FaceNet.Runtime.Pretrained;
using FaceNet.Tests.Cli;

namespace FaceNet.Tests.Pretrained;

/// <summary>One pretrained embedder with the tiny detector, loaded once for the pipeline tests.</summary>
public sealed class PretrainedFaceEmbedder : IDisposable
{
    public FaceEmbedder Embedder { get; } = FaceEmbedder.LoadPretrained("tiny");

    public FacePipeline Faces => Embedder.Faces!;

    public void Dispose() => Embedder.Dispose();
}

/// <summary>Detection, landmarks, alignment and embedding of photos end to end.</summary>
public sealed class FacePipelineTests(PretrainedFaceEmbedder pretrained) : IClassFixture<PretrainedFaceEmbedder>, IDisposable
{
    private readonly CliTestData _data = new();

    public void Dispose() => _data.Dispose();

    private static string LfwImage(string person, int number) =>
        Path.Combine(DataRoot.RequireExisting(), "lfw", "images", person, $"{person}_{number:0000}.jpg");

    /// <summary>Writes a uniform grey PNG, a photo in which no detector finds a face.</summary>
    private static string WriteBlankImage(string folder, string name)
    {
        string path = Path.Combine(folder, name);
        using var bitmap = new SkiaSharp.SKBitmap(120, 90);
        bitmap.Erase(new SkiaSharp.SKColor(128, 128, 128));
        using SkiaSharp.SKData png = bitmap.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(path, png.ToArray());
        return path;
    }

    [Fact]
    public void DetectFaces_LfwPortrait_FindsOneAlignedFace()
    {
        FaceEmbedder embedder = pretrained.Embedder;
        RgbImage image = new ImageDecoder().Decode(LfwImage("AJ_Cook", 1));

        IReadOnlyList<DetectedFace> faces = embedder.DetectFaces(image);

        DetectedFace face = Assert.Single(faces);
        Assert.InRange(face.Score, 0.5, 1.0);
        (double eyeX, double eyeY) = face.Landmarks.AlignmentPoints()[0];
        Assert.InRange(eyeX, face.Box.Left, face.Box.Right);
        Assert.InRange(eyeY, face.Box.Top, face.Box.Bottom);
        Assert.Equal(128, face.Descriptor.Length);
        Assert.Equal(face.Descriptor, embedder.Embed(image));
    }

    [Fact]
    public void Align_LfwPortrait_PutsEyesOnTemplate()
    {
        FacePipeline pipeline = pretrained.Faces;
        RgbImage image = new ImageDecoder().Decode(LfwImage("George_W_Bush", 2));

        LocatedFace face = Assert.Single(pipeline.Locate(image));
        SimilarityTransform transform = pipeline.Aligner.FitTransform(face.Landmarks);

        // The fitted transform moves each eye centre to within a few pixels of its template position. The
        // residual is the part of this face's shape that a similarity transform cannot fit.
        for (int eye = 0; eye < 2; eye++)
        {
            (double x, double y) = face.Landmarks.AlignmentPoints()[eye];
            (double ax, double ay) = transform.Apply(x, y);
            (double tx, double ty) = pipeline.Aligner.Template[eye];
            Assert.InRange(ax, tx - 5, tx + 5);
            Assert.InRange(ay, ty - 5, ty + 5);
        }
    }

    [Fact]
    public void Embed_BlankImage_ThrowsFaceNotFound()
    {
        string blank = WriteBlankImage(_data.Folder("blank"), "grey.png");
        var error = Assert.Throws<FaceNotFoundException>(() => pretrained.Embedder.Embed(blank));

        Assert.Contains("grey.png", error.Message);
    }

    [Theory]
    [InlineData("tiny-416", "--detector ssd")]
    [InlineData("ssd", "--detector tiny")]
    public void FaceNotFound_Message_NamesTheOtherDetector(string detector, string expected)
    {
        var error = new FaceNotFoundException("grey.png", detector);

        Assert.Contains($"try the other detector ({expected})", error.Message);
    }

    [Fact]
    public void AlignFace_CentreFallback_CountsAndAligns()
    {
        // A pipeline of its own, because the fallback setting and its counter are state.
        using FacePipeline pipeline = FacePipeline.LoadPretrained(PretrainedModels.Store, "tiny");
        pipeline.Fallback = NoFaceFallback.CentreBox;
        var grey = new RgbImage(100, 100);
        Array.Fill(grey.Pixels, 128f);

        RgbImage aligned = pipeline.AlignFace(grey, "grey");

        Assert.Equal(1, pipeline.FallbackCount);
        Assert.Equal(FaceAligner.DefaultSize, aligned.Width);
        Assert.Contains("centre-fallback", pipeline.Description);
    }

    [Fact]
    public void ExperimentEmbed_PretrainedBlankImage_UsesCentreFallbackAndReportsIt()
    {
        // An embedder of its own, because the experiments switch its pipeline to the fallback.
        using FaceEmbedder embedder = FaceEmbedder.LoadPretrained("tiny");
        string blank = WriteBlankImage(_data.Folder("blank"), "grey.png");
        var error = new StringWriter();

        Dictionary<string, float[]> embeddings = FaceNet.Cli.Commands.ExperimentLfw.Embed(
            embedder, [blank], cacheFolder: null, error);

        Assert.Equal(128, embeddings[blank].Length);
        Assert.Equal(1, embedder.Faces!.FallbackCount);
        Assert.Contains("no face found by the tiny-416 detector in 1 of the images", error.ToString());
    }

    [Fact]
    public void Compare_PretrainedPhotos_SamePersonIsSame()
    {
        var (exitCode, output, error) = CliTestData.Invoke(["compare", LfwImage("George_W_Bush", 1),
            LfwImage("George_W_Bush", 2), "--pretrained", "--format", "json"]);

        Assert.True(exitCode == 0, $"Exit code {exitCode}: {error}");
        JsonElement json = JsonDocument.Parse(output).RootElement;
        Assert.Equal("same", json.GetProperty("verdict").GetString());
        Assert.Contains("tiny-416", json.GetProperty("model").GetString());
    }

    [Fact]
    public void Compare_PretrainedBlankImage_ReportsNoFaceAndExitsOne()
    {
        string blank = WriteBlankImage(_data.Folder("blank"), "grey.png");

        var (exitCode, _, error) = CliTestData.Invoke(["compare", LfwImage("George_W_Bush", 1), blank,
            "--model", "face-api-resnet", "--detector", "tiny"]);

        Assert.Equal(1, exitCode);
        Assert.Contains("No face found in", error);
        Assert.Contains("tiny-416", error);
    }

    [Fact]
    public void Embed_PretrainedFolderWithBlank_SkipsItAndWritesTheRest()
    {
        string folder = _data.Folder("photos");
        File.Copy(LfwImage("AJ_Cook", 1), Path.Combine(folder, "cook.jpg"));
        WriteBlankImage(folder, "grey.png");
        string outPath = Path.Combine(_data.Folder("out"), "faces.csv");

        var (exitCode, output, error) = CliTestData.Invoke(["embed", folder, "--out", outPath, "--pretrained"]);

        Assert.True(exitCode == 0, $"Exit code {exitCode}: {error}");
        Assert.Contains("No face found in", error);
        Assert.Contains("embedded 1 of 2 images (1 failed)", output);
        Assert.Single(EmbeddingStore.ReadCsv(outPath));
    }

    [Theory]
    [InlineData("cuda", true)]
    [InlineData("emulated", false)]
    public void DeviceFailureMessage_Cuda_SuggestsDevicesWithoutGpu(string device, bool expectHint)
    {
        var failure = new FaceNet.Kernels.Driver.CudaException("The CUDA driver library could not be loaded.");

        string message = FaceNet.Cli.Commands.ModelOptions.DeviceFailureMessage(device, failure);

        Assert.StartsWith(failure.Message, message);
        Assert.Equal(expectHint, message.Contains("use --device cpu or --device emulated", StringComparison.Ordinal));
    }

    [Fact]
    public void Options_DetectorHelp_GivesDefaultAndNoFaceHandling()
    {
        var (exitCode, output, _) = CliTestData.Invoke(["lfw", "--help"]);

        Assert.Equal(0, exitCode);
        string help = string.Join(" ", output.Split((char[])[' ', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("[default with --pretrained: tiny]", help);
        Assert.Contains("lfw and the experiment commands align it from landmarks", help);
    }

    [Fact]
    public void Options_ModelsDirIsFile_IsUsageError()
    {
        string file = Path.Combine(_data.Folder("models"), "not-a-folder.txt");
        File.WriteAllText(file, "models");

        var (exitCode, _, error) = CliTestData.Invoke(["compare", "a.jpg", "b.jpg", "--pretrained", "--models-dir", file]);

        Assert.Equal(2, exitCode);
        Assert.Contains("is a file, not a folder", error);
    }

    [Fact]
    public void Options_ModelsVariableIsFile_IsUsageError()
    {
        // The check takes the variable's value, because setting the variable would reach tests running alongside.
        string file = Path.Combine(_data.Folder("models-variable"), "not-a-folder.txt");
        File.WriteAllText(file, "models");

        var error = Assert.Throws<FaceNet.Cli.Commands.UsageException>(
            () => FaceNet.Cli.Commands.ModelOptions.RequireModelsVariableNotFile(file));

        Assert.Contains("$FACENET_MODELS", error.Message);
        Assert.Contains("is a file", error.Message);
        FaceNet.Cli.Commands.ModelOptions.RequireModelsVariableNotFile(_data.Folder("models-variable"));
        FaceNet.Cli.Commands.ModelOptions.RequireModelsVariableNotFile(null);
    }

    [Theory]
    [InlineData("--face-score needs face detection", "--baseline", "pixels", "--face-score", "0.3")]
    [InlineData("Invalid --face-score 1.5", "--pretrained", "--face-score", "1.5")]
    [InlineData("Invalid --face-score 0; use a score greater than 0 and less than 1", "--pretrained", "--face-score", "0")]
    [InlineData("Invalid --face-score 1; use a score greater than 0 and less than 1", "--pretrained", "--face-score", "1")]
    public void Options_InvalidFaceScore_IsUsageError(string expected, params string[] options)
    {
        var (exitCode, _, error) = CliTestData.Invoke(["compare", "a.jpg", "b.jpg", .. options]);

        Assert.Equal(2, exitCode);
        Assert.Contains(expected, error);
    }

    [Theory]
    [InlineData("--align-padding needs face detection", "--baseline", "pixels", "--align-padding", "0.25")]
    [InlineData("Invalid --align-padding 3", "--pretrained", "--align-padding", "3")]
    public void Options_InvalidAlignPadding_IsUsageError(string expected, params string[] options)
    {
        var (exitCode, _, error) = CliTestData.Invoke(["compare", "a.jpg", "b.jpg", .. options]);

        Assert.Equal(2, exitCode);
        Assert.Contains(expected, error);
    }

    [Theory]
    [InlineData("--face needs face detection", "--baseline", "pixels", "--face", "central")]
    [InlineData("--no-mirror applies to face-api-resnet only", "--arch", "nn4-small2", "--no-mirror")]
    public void Options_FaceOrMirrorMisused_UsageError(string expected, params string[] options)
    {
        var (exitCode, _, error) = CliTestData.Invoke(["compare", "a.jpg", "b.jpg", .. options]);

        Assert.Equal(2, exitCode);
        Assert.Contains(expected, error);
    }

    [Theory]
    [InlineData("Invalid --face 'left'; use 'largest' or 'central'.", "--face", "left")]
    [InlineData("Invalid --face-score 'abc'; use a number greater than 0", "--face-score", "abc")]
    public void Options_UnparsableFaceValue_NamesOption(string expected, params string[] options)
    {
        var (exitCode, _, error) = CliTestData.Invoke(["compare", "a.jpg", "b.jpg", "--pretrained", .. options]);

        Assert.Equal(2, exitCode);
        Assert.Contains(expected, error);
    }

    [Fact]
    public void Description_CentralChoice_ChangesCacheKey()
    {
        string before = pretrained.Faces.Description;
        try
        {
            pretrained.Faces.Choice = FaceChoice.Central;

            Assert.NotEqual(before, pretrained.Faces.Description);
            Assert.Contains("+central", pretrained.Faces.Description);
        }
        finally
        {
            pretrained.Faces.Choice = FaceChoice.Largest;
        }
    }

    [Fact]
    public void Description_PaddedAligner_ChangesCacheKey()
    {
        string before = pretrained.Faces.Description;
        FaceAligner aligner = pretrained.Faces.Aligner;
        try
        {
            pretrained.Faces.Aligner = new FaceAligner(template: FaceAligner.PaddedTemplate(0.3));

            Assert.NotEqual(before, pretrained.Faces.Description);
        }
        finally
        {
            pretrained.Faces.Aligner = aligner;
        }
    }

    [Fact]
    public void Description_ScoreThresholdAndTemplate_ChangeCacheKey()
    {
        string before = pretrained.Faces.Description;
        double threshold = pretrained.Faces.Detector.ScoreThreshold;
        try
        {
            pretrained.Faces.Detector.ScoreThreshold = 0.3;

            Assert.NotEqual(before, pretrained.Faces.Description);
            Assert.Contains("tiny-416@0.3", pretrained.Faces.Description);
            Assert.Contains("[49.3,44;", pretrained.Faces.Description);
        }
        finally
        {
            pretrained.Faces.Detector.ScoreThreshold = threshold;
        }
    }

    [Fact]
    public void Options_DetectorWithoutFaceApiModel_IsUsageError()
    {
        var (exitCode, _, error) = CliTestData.Invoke(["compare", "a.jpg", "b.jpg", "--baseline", "pixels",
            "--detector", "tiny"]);

        Assert.Equal(2, exitCode);
        Assert.Contains("--detector tiny works with face-api-resnet only", error);
    }
}
