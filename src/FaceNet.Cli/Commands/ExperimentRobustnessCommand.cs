using System.CommandLine;
using System.Globalization;
using FaceNet.Runtime.Embedding;
using FaceNet.Runtime.Evaluation;
using FaceNet.Runtime.Experiments;
using FaceNet.Runtime.Imaging;
using Spectre.Console;

namespace FaceNet.Cli.Commands;

/// <summary>
/// <c>facenet experiment robustness</c>: LFW verification after re-encoding the evaluation images as JPEG
/// at several qualities, and after lowering their resolution, in the form of the FaceNet paper's table
/// (VAL at FAR 1e-3 per JPEG quality and per face pixel count).
/// </summary>
internal static class ExperimentRobustnessCommand
{
    public const string JpegPlotFileName = "robustness-jpeg.png";

    public const string ResolutionPlotFileName = "robustness-resolution.png";

    /// <summary>Input side of NN1, the network of the FaceNet paper's robustness table.</summary>
    public const int PaperInputSide = 220;

    public static Command Create()
    {
        var models = new ModelOptions { DefaultFaceChoice = FaceNet.Runtime.Pretrained.FaceChoice.Central };
        var common = new ExperimentOptions("experiments/robustness");
        var qualities = new Option<string>("--jpeg-qualities")
        {
            Description = "Comma-separated JPEG qualities (1-100) to re-encode the images at.",
            DefaultValueFactory = _ => "10,20,30,50,70,90",
        };
        var pixels = new Option<string>("--pixels")
        {
            Description = $"Comma-separated face pixel counts at a {PaperInputSide}-pixel network input, as in the " +
                "FaceNet paper's table; each is scaled to this model's input side and crop.",
            DefaultValueFactory = _ => "1600,6400,14400,25600,65536",
        };

        var command = new Command("robustness",
            "Measure LFW verification after JPEG re-encoding and after lowering the image resolution.");
        models.AddTo(command);
        common.AddTo(command);
        command.Options.Add(qualities);
        command.Options.Add(pixels);
        command.SetAction(result => CommandRunner.Run(result, () => Run(
            models.Open(result), common, result, ParseList(result.GetValue(qualities)!, "--jpeg-qualities", 1, 100),
            ParseList(result.GetValue(pixels)!, "--pixels", 1, int.MaxValue),
            result.InvocationConfiguration.Output, result.InvocationConfiguration.Error)));
        return command;
    }

    private static int Run(FaceEmbedder embedder, ExperimentOptions common, ParseResult result, int[] qualities,
        int[] pixelCounts, TextWriter output, TextWriter error)
    {
        using (embedder)
        {
            var lfw = ExperimentLfw.Open(result.GetValue(common.DataRoot), result.GetValue(common.Folds)!);
            string jpegPlot = common.OutputFile(result, JpegPlotFileName);
            string sizePlot = common.OutputFile(result, ResolutionPlotFileName);
            IReadOnlyList<string> images = lfw.Images;
            error.WriteLine($"model: {embedder.Model.Name}; {lfw.Resolution.Available.Count} pairs, {images.Count} images");
            VerificationResult original = lfw.Evaluate(ExperimentLfw.Embed(embedder, images, common.CacheFolder(result), error));

            var jpegTable = new Table().AddColumn("JPEG quality").AddColumn(new TableColumn("VAL at FAR=1e-3").RightAligned())
                .AddColumn(new TableColumn("accuracy").RightAligned());
            var jpegVal = new List<double>();
            var jpegAccuracy = new List<double>();
            foreach (int quality in qualities)
            {
                VerificationResult r = lfw.Evaluate(ExperimentLfw.EmbedDegraded(embedder, images,
                    image => ImageDegradation.JpegRecompress(image, quality), error, $"JPEG quality {quality}"));
                jpegTable.AddRow(quality.ToString(CultureInfo.InvariantCulture), ExperimentTable.Val(r), ExperimentTable.Accuracy(r));
                jpegVal.Add(r.ValAtFar1e3);
                jpegAccuracy.Add(r.Accuracy);
            }
            jpegTable.AddRow("original files", ExperimentTable.Val(original), ExperimentTable.Accuracy(original));

            // The crop the preprocessing keeps, in source pixels; LFW images are all the same size, so the
            // first image stands for all.
            Preprocessing preprocessing = embedder.Preprocessing;
            RgbImage sample = new ImageDecoder().Decode(images[0]);
            double cropSide = CropSide(preprocessing, sample);
            int modelSide = Math.Min(preprocessing.InputWidth, preprocessing.InputHeight);

            var sizeTable = new Table().AddColumn("#pixels (at 220x220)").AddColumn(new TableColumn("face side at this input").RightAligned())
                .AddColumn(new TableColumn("shrink factor").RightAligned())
                .AddColumn(new TableColumn("VAL at FAR=1e-3").RightAligned()).AddColumn(new TableColumn("accuracy").RightAligned());
            var sizeVal = new List<double>();
            var sizeAccuracy = new List<double>();
            foreach (int count in pixelCounts)
            {
                // A face with at least as many pixels as the network input keeps every detail the network can
                // see, so the original result stands for it.
                double scale = ImageDegradation.ScaleForPixelCount(count, PaperInputSide, modelSide, cropSide);
                double side = Math.Sqrt(count) * modelSide / PaperInputSide;
                bool lossless = side >= modelSide || scale >= 1;
                VerificationResult r = lossless
                    ? original
                    : lfw.Evaluate(ExperimentLfw.EmbedDegraded(embedder, images,
                        image => ImageDegradation.ReduceResolution(image, scale), error, $"{count} pixels"));
                sizeTable.AddRow(count.ToString("N0", CultureInfo.InvariantCulture),
                    $"{ExperimentTable.Number(side, "F0")} of {modelSide} px",
                    lossless ? "none (face >= input)" : ExperimentTable.Number(scale, "F3"),
                    ExperimentTable.Val(r), ExperimentTable.Accuracy(r));
                sizeVal.Add(r.ValAtFar1e3);
                sizeAccuracy.Add(r.Accuracy);
            }
            sizeTable.AddRow("original files", "-", "-", ExperimentTable.Val(original), ExperimentTable.Accuracy(original));

            // Accuracy and VAL share the y axis (both rates); the flat lines mark the undegraded files.
            double[] qualityX = qualities.Select(q => (double)q).ToArray();
            double[] pixelX = pixelCounts.Select(p => (double)p).ToArray();
            ExperimentPlot.Save(jpegPlot, $"{embedder.Model.Name}: LFW after JPEG re-encoding",
                "JPEG quality", "rate",
                [
                    new PlotSeries("accuracy", qualityX, jpegAccuracy),
                    new PlotSeries("VAL at FAR 1e-3", qualityX, jpegVal),
                    new PlotSeries("accuracy, original files", [qualityX.Min(), qualityX.Max()],
                        [original.Accuracy, original.Accuracy]),
                ]);
            ExperimentPlot.Save(sizePlot, $"{embedder.Model.Name}: LFW at lower resolution",
                "face pixels at a 220x220 input (log scale)", "rate",
                [
                    new PlotSeries("accuracy", pixelX, sizeAccuracy),
                    new PlotSeries("VAL at FAR 1e-3", pixelX, sizeVal),
                    new PlotSeries("accuracy, original files", [pixelX.Min(), pixelX.Max()],
                        [original.Accuracy, original.Accuracy]),
                ], logX: true);

            output.WriteLine($"model: {embedder.Model.Name}; LFW folds {result.GetValue(common.Folds)}, {original.Pairs} pairs; " +
                $"crop {ExperimentTable.Number(cropSide, "F0")} source px -> {modelSide} px input");
            ExperimentTable.Write(jpegTable, output);
            ExperimentTable.Write(sizeTable, output);
            output.WriteLine($"plots: {jpegPlot}, {sizePlot}");
            return 0;
        }
    }

    /// <summary>Side of the preprocessing crop in source pixels (the shorter side when it is not square).</summary>
    private static double CropSide(Preprocessing preprocessing, RgbImage image)
    {
        double side = Math.Min(image.Width, image.Height);
        return preprocessing.Crop == CropMode.Center ? side * preprocessing.CropFraction : side;
    }

    private static int[] ParseList(string text, string option, int minimum, int maximum)
    {
        var values = new List<int>();
        foreach (string part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) ||
                value < minimum || value > maximum)
            {
                throw new UsageException(
                    $"Invalid {option} value '{part}'; use comma-separated whole numbers from {minimum} to {maximum}.");
            }
            values.Add(value);
        }
        if (values.Count == 0)
        {
            throw new UsageException($"Invalid {option} '{text}'; give at least one value.");
        }
        return values.ToArray();
    }
}
