using FaceNet.Runtime.Pretrained;

namespace FaceNet.Tests.Pretrained;

/// <summary>Which detected face the pipeline embeds when an image contains several.</summary>
public sealed class FaceChoiceTests
{
    private static LocatedFace Face(double left, double top, double right, double bottom, double score = 0.9) =>
        new(new FaceBox(left, top, right, bottom), score,
            new Landmarks68(Enumerable.Range(0, Landmarks68.Count).Select(i => (left + i, top + i)).ToArray()));

    // A 250 x 250 image as in LFW: the subject fills the middle, a larger bystander is at the right edge, and a
    // small false detection sits exactly on the centre.
    private static readonly LocatedFace Subject = Face(70, 65, 180, 185);
    private static readonly LocatedFace Bystander = Face(150, 20, 290, 200);
    private static readonly LocatedFace Glasses = Face(110, 105, 143, 135);

    [Fact]
    public void Choose_Largest_TakesBiggestBox()
    {
        LocatedFace chosen = FacePipeline.Choose([Glasses, Subject, Bystander], FaceChoice.Largest, 250, 250);

        Assert.Same(Bystander, chosen);
    }

    [Fact]
    public void Choose_Central_SkipsBystanderAndSmallBox()
    {
        LocatedFace chosen = FacePipeline.Choose([Glasses, Bystander, Subject], FaceChoice.Central, 250, 250);

        Assert.Same(Subject, chosen);
    }

    [Fact]
    public void Choose_CentralWithOneFace_TakesIt()
    {
        LocatedFace chosen = FacePipeline.Choose([Bystander], FaceChoice.Central, 250, 250);

        Assert.Same(Bystander, chosen);
    }

    [Fact]
    public void Choose_NoFaces_Throws()
    {
        Assert.Throws<ArgumentException>(() => FacePipeline.Choose([], FaceChoice.Central, 250, 250));
    }

    [Fact]
    public void CentralBox_IsTheMiddleHalf()
    {
        Assert.Equal(new FaceBox(50, 25, 150, 75), FacePipeline.CentralBox(200, 100));
    }
}
