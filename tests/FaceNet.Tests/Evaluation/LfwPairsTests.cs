using FaceNet.Runtime.Data;
using FaceNet.Runtime.Evaluation;

namespace FaceNet.Tests.Evaluation;

public class LfwPairsTests
{
    private const string SmallPairs =
        "2\t2\n" +
        "Alice\t1\t2\n" +
        "Bob\t1\t3\n" +
        "Alice\t1\tBob\t2\n" +
        "Carol\t1\tDave\t1\n" +
        "Erin\t2\t4\n" +
        "Frank\t1\t2\n" +
        "Erin\t1\tGrace\t1\n" +
        "Frank\t3\tHeidi\t1";

    private static LfwPairs Parse(string text) => LfwPairs.Parse(new StringReader(text));

    [Fact]
    public void Parse_LineFeedFile_ReadsFoldsAndKinds()
    {
        LfwPairs pairs = Parse(SmallPairs + "\n");

        Assert.Equal(2, pairs.FoldCount);
        Assert.Equal(2, pairs.PairsPerHalf);
        Assert.Equal(8, pairs.Pairs.Count);
        Assert.Equal(new LfwPair(1, 2, "Alice", 1, "Alice", 2, true), pairs.Pairs[0]);
        Assert.Equal(new LfwPair(1, 4, "Alice", 1, "Bob", 2, false), pairs.Pairs[2]);
        Assert.Equal(new LfwPair(2, 9, "Frank", 3, "Heidi", 1, false), pairs.Pairs[7]);
    }

    [Fact]
    public void Parse_CrlfWithoutFinalNewline_MatchesLineFeed()
    {
        LfwPairs lf = Parse(SmallPairs + "\n");
        LfwPairs crlf = Parse(SmallPairs.Replace("\n", "\r\n"));

        Assert.Equal(lf.Pairs, crlf.Pairs);
    }

    [Fact]
    public void Parse_SpaceSeparated_IsAccepted()
    {
        LfwPairs pairs = Parse(SmallPairs.Replace('\t', ' '));

        Assert.Equal(8, pairs.Pairs.Count);
    }

    [Fact]
    public void Parse_TruncatedFile_ThrowsWithCounts()
    {
        string truncated = string.Join("\n", SmallPairs.Split('\n')[..7]);

        var error = Assert.Throws<FormatException>(() => Parse(truncated));

        Assert.Contains("6 pair lines", error.Message);
        Assert.Contains("8 in all", error.Message);
    }

    [Fact]
    public void Parse_WrongPairShape_ThrowsWithLine()
    {
        string broken = SmallPairs.Replace("Bob\t1\t3", "Bob\t1\tCarol\t3");

        var error = Assert.Throws<FormatException>(() => Parse(broken));

        Assert.Contains("line 3", error.Message);
    }

    [Fact]
    public void Parse_BadHeader_Throws()
    {
        Assert.Throws<FormatException>(() => Parse("ten\t300\n"));
    }

    [Fact]
    public void ImagePath_PadsNumberToFourDigits()
    {
        string path = LfwPairs.ImagePath("/data/lfw/images", "Abel_Pacheco", 4);

        Assert.Equal(Path.Combine("/data/lfw/images", "Abel_Pacheco", "Abel_Pacheco_0004.jpg"), path);
    }

    [Fact]
    public void Resolve_MissingImages_ReportsEveryPairAndImage()
    {
        string root = Path.Combine(Path.GetTempPath(), "facenet-lfw-" + Guid.NewGuid().ToString("N"));
        try
        {
            LfwPairs pairs = Parse(SmallPairs);
            foreach (LfwPair pair in pairs.Pairs)
            {
                foreach ((string name, int number) in new[] { (pair.FirstName, pair.FirstNumber), (pair.SecondName, pair.SecondNumber) })
                {
                    string path = LfwPairs.ImagePath(root, name, number);
                    Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                    File.WriteAllBytes(path, [0]);
                }
            }
            File.Delete(LfwPairs.ImagePath(root, "Alice", 1));

            LfwResolution resolution = pairs.Resolve(root);

            Assert.False(resolution.IsComplete);
            Assert.Equal(6, resolution.Available.Count);
            Assert.Equal(2, resolution.Missing.Count);
            Assert.Equal([LfwPairs.ImagePath(root, "Alice", 1)], resolution.MissingImages);
            Assert.All(resolution.Missing, missing => Assert.Equal("Alice", missing.Pair.FirstName));
            Assert.Contains("Alice_0001.jpg", resolution.Missing[0].ToString());
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void Resolve_FoldSelection_ChecksOnlySelectedFolds()
    {
        LfwPairs pairs = Parse(SmallPairs);

        LfwResolution resolution = pairs.Resolve("/nonexistent-root", FoldSelection.Parse("2", 2));

        Assert.Equal(4, resolution.Missing.Count);
        Assert.All(resolution.Missing, missing => Assert.Equal(2, missing.Pair.Fold));
    }

    [Fact]
    public void RealPairs_Parse_6000Complete()
    {
        string lfwRoot = Path.Combine(DataRoot.RequireExisting(), "lfw");
        LfwPairs pairs = LfwPairs.Load(Path.Combine(lfwRoot, "pairs.txt"));

        LfwResolution resolution = pairs.Resolve(LfwPairs.FindImageRoot(lfwRoot));

        Assert.Equal(10, pairs.FoldCount);
        Assert.Equal(6000, pairs.Pairs.Count);
        Assert.Equal(3000, pairs.Pairs.Count(pair => pair.IsSame));
        Assert.All(Enumerable.Range(1, 10), fold => Assert.Equal(600, pairs.Pairs.Count(pair => pair.Fold == fold)));
        Assert.Empty(resolution.Missing);
        Assert.Equal(6000, resolution.Available.Count);
    }
}
