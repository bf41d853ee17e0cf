using FaceNet.Runtime.Imaging;
using FaceNet.Runtime.Pretrained;

namespace FaceNet.Tests.Pretrained;

public class AlignmentTests
{
    private const double Tight = 1e-9;

    [Fact]
    public void SimilarityEstimate_KnownTransform_IsRecovered()
    {
        double angle = 30 * Math.PI / 180, scale = 1.7;
        var truth = new SimilarityTransform(scale * Math.Cos(angle), scale * Math.Sin(angle), 5, -3);
        (double X, double Y)[] source = [(0, 0), (10, 2), (3, 8), (-4, 5), (7, -6)];
        (double X, double Y)[] target = source.Select(p => truth.Apply(p.X, p.Y)).ToArray();

        SimilarityTransform fit = SimilarityTransform.Estimate(source, target);

        Assert.Equal(scale, fit.Scale, Tight);
        Assert.Equal(angle, fit.Rotation, Tight);
        Assert.Equal(5, fit.TranslateX, Tight);
        Assert.Equal(-3, fit.TranslateY, Tight);
    }

    [Fact]
    public void SimilarityEstimate_NoisyPoints_MinimisesSquaredError()
    {
        var random = new Random(7);
        var truth = new SimilarityTransform(0.8, -0.3, 12, 4);
        (double X, double Y)[] source = Enumerable.Range(0, 12)
            .Select(_ => (random.NextDouble() * 100, random.NextDouble() * 100)).ToArray();
        (double X, double Y)[] target = source
            .Select(p => truth.Apply(p.X, p.Y))
            .Select(p => (p.X + random.NextDouble() - 0.5, p.Y + random.NextDouble() - 0.5)).ToArray();

        SimilarityTransform fit = SimilarityTransform.Estimate(source, target);
        double best = SquaredError(fit, source, target);

        // Any small change of the four parameters raises the error: the fit is a least-squares minimum.
        double step = 1e-4;
        foreach (var nudged in new[]
        {
            fit with { A = fit.A + step }, fit with { A = fit.A - step }, fit with { B = fit.B + step },
            fit with { B = fit.B - step }, fit with { TranslateX = fit.TranslateX + step },
            fit with { TranslateY = fit.TranslateY - step },
        })
        {
            Assert.True(SquaredError(nudged, source, target) > best, $"Nudged {nudged} beats the fit {fit}.");
        }
    }

    [Fact]
    public void SimilarityEstimate_MirroredTarget_NeverReflects()
    {
        (double X, double Y)[] source = [(0, 0), (10, 0), (0, 5)];
        (double X, double Y)[] mirrored = source.Select(p => (-p.X, p.Y)).ToArray();

        SimilarityTransform fit = SimilarityTransform.Estimate(source, mirrored);

        // A similarity transform has determinant a^2 + b^2 >= 0; a reflection would need a negative one.
        Assert.True(fit.Scale < 1, $"A mirrored target should shrink the best rotation fit, got scale {fit.Scale}.");
    }

    [Fact]
    public void SimilarityEstimate_CoincidentSource_Throws()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            SimilarityTransform.Estimate([(1, 1), (1, 1)], [(0, 0), (1, 1)]));

        Assert.Contains("coincide", error.Message);
    }

    [Fact]
    public void SimilarityInverse_RoundTrip_ReturnsPoint()
    {
        var transform = new SimilarityTransform(1.2, 0.5, -7, 3);

        (double x, double y) = transform.Apply(4, -9);
        (double X, double Y) back = transform.Inverse().Apply(x, y);

        Assert.Equal(4, back.X, Tight);
        Assert.Equal(-9, back.Y, Tight);
    }

    [Fact]
    public void Warp_IntegerShift_CopiesPixelsAndBlacksOutside()
    {
        var image = new RgbImage(4, 3);
        for (int i = 0; i < image.Pixels.Length; i++)
        {
            image.Pixels[i] = i;
        }

        // Crop pixel (u, v) samples image pixel (u + 1, v + 1).
        RgbImage crop = FaceAligner.Warp(image, new SimilarityTransform(1, 0, -1, -1), 3);

        Assert.Equal(image[1, 1, 0], crop[0, 0, 0]);
        Assert.Equal(image[3, 2, 2], crop[2, 1, 2]);
        Assert.Equal(0f, crop[0, 2, 0]);
    }

    [Fact]
    public void Warp_HalfScale_InterpolatesBilinearly()
    {
        var image = new RgbImage(2, 2, [0, 0, 0, 10, 10, 10, 20, 20, 20, 30, 30, 30]);

        // Scale 2 maps image to crop, so crop pixel (1, 1) samples image point (0.5, 0.5).
        RgbImage crop = FaceAligner.Warp(image, new SimilarityTransform(2, 0, 0, 0), 2);

        Assert.Equal(15f, crop[1, 1, 0], 5);
        Assert.Equal(5f, crop[1, 0, 1], 5);
    }

    [Fact]
    public void Align_LandmarksOnTemplate_GiveIdentityTransform()
    {
        var aligner = new FaceAligner();
        Landmarks68 landmarks = LandmarksWithAlignmentPoints(FaceAligner.DefaultTemplate);

        SimilarityTransform fit = aligner.FitTransform(landmarks);

        Assert.Equal(1, fit.A, 1e-9);
        Assert.Equal(0, fit.B, 1e-9);
        Assert.Equal(0, fit.TranslateX, 1e-7);
        Assert.Equal(0, fit.TranslateY, 1e-7);
    }

    [Fact]
    public void PaddedTemplate_ZeroPadding_MapsExtentToCropBorder()
    {
        IReadOnlyList<(double X, double Y)> template = FaceAligner.PaddedTemplate(0, size: 200);

        for (int i = 0; i < template.Count; i++)
        {
            Assert.Equal(FaceAligner.InnerFaceShape[i].X * 200, template[i].X, 1e-9);
            Assert.Equal(FaceAligner.InnerFaceShape[i].Y * 200, template[i].Y, 1e-9);
        }
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.25)]
    [InlineData(0.4)]
    public void PaddedTemplate_AnyPadding_StaysLeftRightSymmetric(double padding)
    {
        IReadOnlyList<(double X, double Y)> template = FaceAligner.PaddedTemplate(padding);

        Assert.Equal(FaceAligner.DefaultSize, template[0].X + template[1].X, 1e-9);
        Assert.Equal(template[0].Y, template[1].Y, 1e-9);
        Assert.Equal(FaceAligner.DefaultSize / 2.0, template[2].X, 1e-9);
        Assert.Equal(FaceAligner.DefaultSize, template[3].X + template[4].X, 1e-9);
        Assert.Equal(template[3].Y, template[4].Y, 1e-9);
    }

    [Fact]
    public void PaddedTemplate_Padding_ShrinksAboutCropCentre()
    {
        // Padding 0.5 on each side doubles the span, so every point moves halfway to the centre.
        IReadOnlyList<(double X, double Y)> full = FaceAligner.PaddedTemplate(0, size: 100);
        IReadOnlyList<(double X, double Y)> padded = FaceAligner.PaddedTemplate(0.5, size: 100);

        for (int i = 0; i < full.Count; i++)
        {
            Assert.Equal(50 + (full[i].X - 50) / 2, padded[i].X, 1e-9);
            Assert.Equal(50 + (full[i].Y - 50) / 2, padded[i].Y, 1e-9);
        }
    }

    [Fact]
    public void PaddedTemplate_Shift_MovesEveryPointDown()
    {
        IReadOnlyList<(double X, double Y)> centred = FaceAligner.PaddedTemplate(0.25);
        IReadOnlyList<(double X, double Y)> shifted = FaceAligner.PaddedTemplate(0.25, shiftY: 0.04);

        for (int i = 0; i < centred.Count; i++)
        {
            Assert.Equal(centred[i].X, shifted[i].X, 1e-9);
            Assert.Equal(centred[i].Y + 0.04 * FaceAligner.DefaultSize, shifted[i].Y, 1e-9);
        }
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(double.NaN)]
    public void PaddedTemplate_InvalidPadding_Throws(double padding)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => FaceAligner.PaddedTemplate(padding));
    }

    [Fact]
    public void AlignmentPoints_AverageEyesAndPickNoseAndMouth()
    {
        var points = Enumerable.Range(0, 68).Select(i => ((double)i, 2.0 * i)).ToArray();

        (double X, double Y)[] alignment = new Landmarks68(points).AlignmentPoints();

        Assert.Equal((38.5, 77.0), alignment[0]);
        Assert.Equal((44.5, 89.0), alignment[1]);
        Assert.Equal((30.0, 60.0), alignment[2]);
        Assert.Equal((48.0, 96.0), alignment[3]);
        Assert.Equal((54.0, 108.0), alignment[4]);
    }

    /// <summary>68 points whose eye groups centre on the first two template points and whose nose tip and mouth
    /// corners sit on the others.</summary>
    internal static Landmarks68 LandmarksWithAlignmentPoints(IReadOnlyList<(double X, double Y)> template)
    {
        var points = new (double X, double Y)[68];
        for (int i = 0; i < 68; i++)
        {
            points[i] = (75, 75);
        }
        for (int i = 0; i < 6; i++)
        {
            double offset = i % 2 == 0 ? -3 : 3;
            points[36 + i] = (template[0].X + offset, template[0].Y);
            points[42 + i] = (template[1].X + offset, template[1].Y);
        }
        points[30] = template[2];
        points[48] = template[3];
        points[54] = template[4];
        return new Landmarks68(points);
    }

    private static double SquaredError(SimilarityTransform t, (double X, double Y)[] source, (double X, double Y)[] target)
    {
        double sum = 0;
        for (int i = 0; i < source.Length; i++)
        {
            (double x, double y) = t.Apply(source[i].X, source[i].Y);
            sum += (x - target[i].X) * (x - target[i].X) + (y - target[i].Y) * (y - target[i].Y);
        }
        return sum;
    }
}
