using FaceNet.Runtime.Evaluation;

namespace FaceNet.Tests.Evaluation;

public class FoldSelectionTests
{
    [Theory]
    [InlineData("6-10", new[] { 6, 7, 8, 9, 10 })]
    [InlineData("1,3,5", new[] { 1, 3, 5 })]
    [InlineData(" 1-3 , 7 ", new[] { 1, 2, 3, 7 })]
    [InlineData("5,5,4", new[] { 4, 5 })]
    [InlineData("all", new[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 })]
    public void Parse_ValidText_SelectsFolds(string text, int[] expected)
    {
        FoldSelection selection = FoldSelection.Parse(text, 10);

        Assert.Equal(expected, selection.Folds);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("11")]
    [InlineData("9-12")]
    public void Parse_OutOfRange_Throws(string text)
    {
        Assert.Throws<ArgumentException>(() => FoldSelection.Parse(text, 10));
    }

    [Theory]
    [InlineData("a")]
    [InlineData("3-1")]
    [InlineData("1,,2")]
    [InlineData("-2")]
    public void Parse_Malformed_ThrowsFormat(string text)
    {
        Assert.Throws<FormatException>(() => FoldSelection.Parse(text, 10));
    }

    [Fact]
    public void ToString_CompactsRanges()
    {
        Assert.Equal("1-3,7,9-10", FoldSelection.Parse("1,2,3,7,9,10", 10).ToString());
    }

    [Fact]
    public void Parse_RangePastLastFold_FailsNamingRange()
    {
        // The range is rejected as a whole before it is expanded fold by fold.
        var exception = Assert.Throws<ArgumentException>(() => FoldSelection.Parse("2-1000000", 10));

        Assert.Contains("'2-1000000'", exception.Message);
        Assert.Contains("1 to 10", exception.Message);
    }
}
