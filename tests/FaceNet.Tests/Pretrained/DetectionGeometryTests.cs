using FaceNet.Runtime.Imaging;
using FaceNet.Runtime.Pretrained;

namespace FaceNet.Tests.Pretrained;

public class DetectionGeometryTests
{
    private const double Exact = 1e-12;

    // ---- intersection over union --------------------------------------------------------------

    [Fact]
    public void IntersectionOverUnion_OverlappingSquares_IsOneSeventh()
    {
        var a = new FaceBox(0, 0, 2, 2);
        var b = new FaceBox(1, 1, 3, 3);

        Assert.Equal(1.0 / 7.0, a.IntersectionOverUnion(b), Exact);
        Assert.Equal(1.0 / 7.0, b.IntersectionOverUnion(a), Exact);
    }

    [Fact]
    public void IntersectionOverUnion_DisjointOrEmpty_IsZero()
    {
        var a = new FaceBox(0, 0, 2, 2);

        Assert.Equal(0.0, a.IntersectionOverUnion(new FaceBox(5, 5, 6, 6)));
        Assert.Equal(0.0, a.IntersectionOverUnion(new FaceBox(1, 1, 1, 3)));
        Assert.Equal(1.0, a.IntersectionOverUnion(a), Exact);
    }

    // ---- non-maximum suppression --------------------------------------------------------------

    [Fact]
    public void NonMaxSuppression_OverlapAboveThreshold_KeepsHigherScore()
    {
        FaceBox[] boxes = [new(0, 0, 10, 10), new(1, 0, 11, 10), new(20, 20, 30, 30)];
        double[] scores = [0.6, 0.9, 0.7];

        int[] kept = NonMaxSuppression.Select(boxes, scores, iouThreshold: 0.5);

        Assert.Equal(new[] { 1, 2 }, kept);
    }

    [Fact]
    public void NonMaxSuppression_IouEqualToThreshold_KeepsBoth()
    {
        // IoU of these boxes is exactly 1/3: intersection 5x10 over union 150.
        FaceBox[] boxes = [new(0, 0, 10, 10), new(5, 0, 15, 10)];

        int[] kept = NonMaxSuppression.Select(boxes, [0.9, 0.8], iouThreshold: 1.0 / 3.0);

        Assert.Equal(new[] { 0, 1 }, kept);
    }

    [Fact]
    public void NonMaxSuppression_EqualScores_VisitsLowerIndexFirst()
    {
        FaceBox[] boxes = [new(0, 0, 10, 10), new(0, 0, 10, 10), new(50, 50, 60, 60)];

        int[] kept = NonMaxSuppression.Select(boxes, [0.5, 0.5, 0.5], iouThreshold: 0.4);

        Assert.Equal(new[] { 0, 2 }, kept);
    }

    [Fact]
    public void NonMaxSuppression_ScoreThresholdAndMaxCount_LimitSelection()
    {
        FaceBox[] boxes = [new(0, 0, 1, 1), new(2, 2, 3, 3), new(4, 4, 5, 5), new(6, 6, 7, 7)];
        double[] scores = [0.2, 0.95, 0.5, 0.8];

        int[] aboveHalf = NonMaxSuppression.Select(boxes, scores, 0.5, scoreThreshold: 0.5);
        int[] topTwo = NonMaxSuppression.Select(boxes, scores, 0.5, maxCount: 2);

        Assert.Equal(new[] { 1, 3 }, aboveHalf);
        Assert.Equal(new[] { 1, 3 }, topTwo);
    }

    [Fact]
    public void NonMaxSuppression_SuppressedBoxDoesNotSuppressOthers()
    {
        // Box 1 overlaps box 0 and box 2; it is removed by box 0, so box 2 (which overlaps only box 1) stays.
        FaceBox[] boxes = [new(0, 0, 10, 10), new(4, 0, 14, 10), new(8, 0, 18, 10)];

        int[] kept = NonMaxSuppression.Select(boxes, [0.9, 0.8, 0.7], iouThreshold: 0.3);

        Assert.Equal(new[] { 0, 2 }, kept);
    }

    [Fact]
    public void NonMaxSuppression_MismatchedLengths_Throws()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            NonMaxSuppression.Select([new FaceBox(0, 0, 1, 1)], [0.5, 0.6], 0.5));

        Assert.Contains("1 boxes but 2 scores", error.Message);
    }

    // ---- tiny face detector decoding ----------------------------------------------------------

    [Fact]
    public void TinyDecode_ZeroLogits_CentresAnchorInCell()
    {
        // One anchor of 2 x 4 cells on a 2 x 2 grid; every value 0 except objectness of cell (row 1, col 0).
        const int grid = 2;
        float[] output = new float[5 * grid * grid];
        int cell = 1 * grid + 0;
        output[4 * grid * grid + cell] = 3f;

        List<ScoredBox> boxes = TinyFaceDecoder.Decode(output, grid, [(2.0, 4.0)], 1, 1, scoreThreshold: 0.6);

        ScoredBox only = Assert.Single(boxes);
        Assert.Equal(1 / (1 + Math.Exp(-3)), only.Score, Exact);
        // Centre ((0 + 0.5) / 2, (1 + 0.5) / 2) = (0.25, 0.75); size (2 / 2, 4 / 2) = (1, 2).
        Assert.Equal(-0.25, only.Box.Left, Exact);
        Assert.Equal(-0.25, only.Box.Top, Exact);
        Assert.Equal(0.75, only.Box.Right, Exact);
        Assert.Equal(1.75, only.Box.Bottom, Exact);
    }

    [Fact]
    public void TinyDecode_OffsetsAndCorrection_ScaleBox()
    {
        const int grid = 4;
        int plane = grid * grid;
        float[] output = new float[2 * 5 * plane];
        int cell = 2 * grid + 3;
        int channel = 5; // second anchor
        output[(channel + 0) * plane + cell] = (float)Math.Log(3); // sigmoid = 0.75
        output[(channel + 1) * plane + cell] = (float)-Math.Log(3); // sigmoid = 0.25
        output[(channel + 2) * plane + cell] = (float)Math.Log(2);
        output[(channel + 3) * plane + cell] = 0f;
        output[(channel + 4) * plane + cell] = 5f;
        for (int c = 4; c < plane; c++)
        {
            output[4 * plane + c] = -10f; // first anchor: far below the threshold everywhere
        }

        List<ScoredBox> boxes = TinyFaceDecoder.Decode(output, grid, [(1.0, 1.0), (1.0, 2.0)], 1.25, 2.0, 0.5);

        ScoredBox box = Assert.Single(boxes);
        double centreX = (3 + 0.75) / 4 * 1.25, centreY = (2 + 0.25) / 4 * 2.0;
        double width = 2.0 * 1.0 / 4 * 1.25, height = 1.0 * 2.0 / 4 * 2.0;
        Assert.Equal(centreX - width / 2, box.Box.Left, 1e-6);
        Assert.Equal(centreY - height / 2, box.Box.Top, 1e-6);
        Assert.Equal(width, box.Box.Width, 1e-6);
        Assert.Equal(height, box.Box.Height, 1e-6);
    }

    [Fact]
    public void TinyDecode_WrongLength_Throws()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            TinyFaceDecoder.Decode(new float[24], 2, [(1.0, 1.0)], 1, 1, 0.5));

        Assert.Contains("needs 20", error.Message);
    }

    // ---- SSD decoding -------------------------------------------------------------------------

    [Fact]
    public void SsdDecode_HandValues_ApplyScaleFactors()
    {
        // Anchor centre (y 0.4, x 0.3), size 0.4 x 0.4. ty = 10 moves the centre down by one anchor height;
        // tw = 5 ln 2 doubles the width.
        float[] anchor = [0.2f, 0.1f, 0.6f, 0.5f];
        float[] encoding = [10f, 0f, 0f, (float)(5 * Math.Log(2))];

        FaceBox box = SsdBoxDecoder.Decode(encoding, anchor);

        Assert.Equal(-0.1, box.Left, 1e-6);
        Assert.Equal(0.6, box.Top, 1e-6);
        Assert.Equal(0.7, box.Right, 1e-6);
        Assert.Equal(1.0, box.Bottom, 1e-6);
    }

    [Fact]
    public void SsdDecodeAll_ScoresFaceClass()
    {
        float[] anchors = [0, 0, 1, 1, 0.5f, 0.5f, 1, 1];
        float[] encodings = new float[8];
        float[] logits = [5, 0, -5, 0, 2, 9];

        ScoredBox[] boxes = SsdBoxDecoder.DecodeAll(encodings, anchors, logits);

        Assert.Equal(2, boxes.Length);
        Assert.Equal(0.5, boxes[0].Score, Exact);
        Assert.Equal(1 / (1 + Math.Exp(-2)), boxes[1].Score, Exact);
        Assert.Equal(new FaceBox(0.5, 0.5, 1, 1), boxes[1].Box);
    }

    // ---- square input -------------------------------------------------------------------------

    [Fact]
    public void SquareInput_Upscale_MatchesResizeBilinearWithoutHalfPixel()
    {
        // 2 x 2 grey image to 4 x 4: output index o samples source o / 2, so columns read 0, 0.5, 1, 1.5 and
        // the last one clamps to the edge pixel.
        var image = new RgbImage(2, 2, [0, 0, 0, 40, 40, 40, 80, 80, 80, 120, 120, 120]);

        float[] input = SquareInput.Build(image, 0, 0, 2, 2, 4, SquarePadding.AfterImage, [0f, 0f, 0f], 1f);

        float[] expectedRow0 = [0, 20, 40, 40];
        float[] expectedRow1 = [40, 60, 80, 80];
        float[] expectedRow2 = [80, 100, 120, 120];
        Assert.Equal(expectedRow0, input[0..4]);
        Assert.Equal(expectedRow1, input[4..8]);
        Assert.Equal(expectedRow2, input[8..12]);
        Assert.Equal(expectedRow2, input[12..16]);
    }

    [Fact]
    public void SquareInput_WideImageAfterImage_PadsBelow()
    {
        var image = new RgbImage(2, 1, [10, 20, 30, 40, 50, 60]);

        float[] input = SquareInput.Build(image, 0, 0, 2, 1, 2, SquarePadding.AfterImage, [10f, 20f, 30f], 2f);

        // Red plane: row 0 is the image, row 1 the zero padding, both shifted by the mean and halved.
        Assert.Equal(new[] { 0f, 15f, -5f, -5f }, input[0..4]);
        Assert.Equal(new[] { 0f, 15f, -10f, -10f }, input[4..8]);
    }

    [Theory]
    [InlineData(3, 1, 0, 1)]
    [InlineData(4, 1, 0, 1)]
    [InlineData(5, 1, 0, 2)]
    [InlineData(1, 4, 1, 0)]
    [InlineData(3, 3, 0, 0)]
    public void SquareInput_CentredPadding_PutsRoundedHalfAfter(int width, int height, int left, int top)
    {
        (int Left, int Top) before = SquareInput.PaddingBefore(width, height, SquarePadding.Centred);

        Assert.Equal(left, before.Left);
        Assert.Equal(top, before.Top);
    }

    [Fact]
    public void SquareInput_RegionOfTallImage_PadsCentred()
    {
        // The region is column 1 of a 3 x 2 image: 1 wide, 2 tall, so it pads 1 column after and 0 before.
        var image = new RgbImage(3, 2);
        image[1, 0, 0] = 100;
        image[1, 1, 0] = 200;

        float[] input = SquareInput.Build(image, 1, 0, 1, 2, 2, SquarePadding.Centred, [0f, 0f, 0f], 1f);

        Assert.Equal(new[] { 100f, 0f, 200f, 0f }, input[0..4]);
    }

    [Fact]
    public void SquareInput_RegionOutsideImage_Throws()
    {
        var image = new RgbImage(4, 4);

        Assert.Throws<ArgumentOutOfRangeException>(() =>
            SquareInput.Build(image, 2, 2, 3, 1, 8, SquarePadding.AfterImage, [0f, 0f, 0f], 1f));
    }
}
