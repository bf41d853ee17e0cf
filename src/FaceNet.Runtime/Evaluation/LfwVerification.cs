namespace FaceNet.Runtime.Evaluation;

/// <summary>Joins resolved LFW pairs with their image embeddings and runs the verification protocol.</summary>
public static class LfwVerification
{
    /// <summary>
    /// Computes the squared L2 distance of every pair, looking embeddings up by image path.
    /// </summary>
    /// <exception cref="ArgumentException">An embedding contains NaN or infinity, or two embeddings differ
    /// in dimension; the message names the pair and its images.</exception>
    public static IReadOnlyList<ScoredPair> Score(IReadOnlyList<ResolvedLfwPair> pairs, Func<string, float[]> embeddingOf)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        ArgumentNullException.ThrowIfNull(embeddingOf);
        var scored = new ScoredPair[pairs.Count];
        for (int i = 0; i < pairs.Count; i++)
        {
            ResolvedLfwPair pair = pairs[i];
            float[] first = embeddingOf(pair.FirstPath);
            float[] second = embeddingOf(pair.SecondPath);
            if (first.Length != second.Length)
            {
                throw new ArgumentException(
                    $"LFW pair '{pair.Pair}' (line {pair.Pair.Line}) has embeddings of {first.Length} and {second.Length} " +
                    "dimensions; embed both images with the same model.", nameof(embeddingOf));
            }
            double distance = Distances.SquaredL2(first, second);
            if (!double.IsFinite(distance))
            {
                throw new ArgumentException(
                    $"LFW pair '{pair.Pair}' (line {pair.Pair.Line}) has a non-finite distance {distance}; the embedding " +
                    $"of '{pair.FirstPath}' or '{pair.SecondPath}' contains NaN or infinity.", nameof(embeddingOf));
            }
            scored[i] = new ScoredPair(pair.Pair.Fold, pair.Pair.IsSame, distance);
        }
        return scored;
    }

    /// <summary>
    /// Scores the available pairs of <paramref name="resolution"/> and runs
    /// <see cref="VerificationProtocol.Evaluate"/>, reporting the resolution's missing pairs in
    /// <see cref="VerificationResult.MissingPairs"/>.
    /// </summary>
    public static VerificationResult Evaluate(
        LfwResolution resolution,
        Func<string, float[]> embeddingOf,
        FoldSelection? folds = null,
        double targetFar = VerificationProtocol.DefaultTargetFar)
    {
        ArgumentNullException.ThrowIfNull(resolution);
        IReadOnlyList<ScoredPair> scored = Score(resolution.Available, embeddingOf);
        return VerificationProtocol.Evaluate(scored, folds, resolution.Missing.Count, targetFar);
    }
}
