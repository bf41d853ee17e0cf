using FaceNet.Runtime.Evaluation;

namespace FaceNet.Tests.Evaluation;

public class LfwVerificationTests
{
    private static ResolvedLfwPair Resolved(int fold, string first, string second, bool isSame) =>
        new(new LfwPair(fold, 1, first, 1, second, 2, isSame), first, second);

    [Fact]
    public void Evaluate_MissingPair_IsCounted()
    {
        var embeddings = new Dictionary<string, float[]>
        {
            ["a1"] = [1f, 0f],
            ["a2"] = [0.9f, 0.1f],
            ["b1"] = [0f, 1f],
            ["c1"] = [-1f, 0f],
        };
        ResolvedLfwPair[] available =
        [
            Resolved(1, "a1", "a2", true),
            Resolved(1, "a1", "b1", false),
            Resolved(2, "a1", "a2", true),
            Resolved(2, "b1", "c1", false),
        ];
        var missing = new MissingLfwPair(new LfwPair(2, 9, "x", 1, "x", 2, true), ["x/x_0001.jpg"]);
        var resolution = new LfwResolution("root", available, [missing], ["x/x_0001.jpg"]);

        VerificationResult result = LfwVerification.Evaluate(resolution, path => embeddings[path]);

        Assert.Equal(4, result.Pairs);
        Assert.Equal(1, result.MissingPairs);
        Assert.Equal(1.0, result.Accuracy);
    }

    [Fact]
    public void Score_NaNEmbedding_ThrowsNamingImage()
    {
        ResolvedLfwPair[] pairs = [Resolved(1, "good.jpg", "bad.jpg", true)];

        var error = Assert.Throws<ArgumentException>(
            () => LfwVerification.Score(pairs, path => path == "bad.jpg" ? [float.NaN, 0f] : [1f, 0f]));

        Assert.Contains("bad.jpg", error.Message);
    }
}
