namespace FaceNet.Runtime.Evaluation;

/// <summary>
/// The k-fold verification protocol of LFW. Each selected fold is the test fold once; thresholds are
/// chosen on the other selected folds only and then applied to the test fold. A pair is classified
/// "same" when its squared L2 distance is at or below the threshold.
/// </summary>
public static class VerificationProtocol
{
    /// <summary>The operating point of the FaceNet paper's VAL figures.</summary>
    public const double DefaultTargetFar = 1e-3;

    /// <summary>
    /// Runs the protocol over the pairs whose fold is in <paramref name="folds"/> (every fold that occurs
    /// when null). Per test fold it chooses the accuracy-maximising threshold and the VAL threshold
    /// (largest training threshold with FAR &lt;= <paramref name="targetFar"/>) on the training folds. AUC,
    /// EER and the ROC curve need no threshold and use all selected pairs together.
    /// </summary>
    /// <param name="pairs">Scored pairs; pairs outside the selection are ignored.</param>
    /// <param name="folds">Folds to use; null uses every fold present in <paramref name="pairs"/>.</param>
    /// <param name="missingPairs">Pairs of the selected folds that were dropped because an image was
    /// missing; only reported.</param>
    /// <param name="targetFar">FAR at which VAL is measured.</param>
    /// <exception cref="ArgumentException">Fewer than two selected folds contain pairs, or a test or
    /// training set lacks same-identity or different-identity pairs.</exception>
    public static VerificationResult Evaluate(
        IReadOnlyList<ScoredPair> pairs,
        FoldSelection? folds = null,
        int missingPairs = 0,
        double targetFar = DefaultTargetFar)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        ScoredPair[] selected = folds is null ? pairs.ToArray() : pairs.Where(pair => folds.Contains(pair.Fold)).ToArray();
        int[] foldNumbers = selected.Select(pair => pair.Fold).Distinct().Order().ToArray();
        if (folds is not null)
        {
            int[] empty = folds.Folds.Except(foldNumbers).ToArray();
            if (empty.Length > 0)
            {
                throw new ArgumentException(
                    $"Selected fold(s) {string.Join(", ", empty)} contain no pairs; select folds that have pairs.",
                    nameof(folds));
            }
        }
        if (foldNumbers.Length < 2)
        {
            throw new ArgumentException(
                $"The verification protocol needs pairs in at least two folds, one to test and one to train on; " +
                $"got {foldNumbers.Length} fold(s) with {selected.Length} pairs. Select more folds.", nameof(pairs));
        }

        var foldResults = new FoldResult[foldNumbers.Length];
        for (int f = 0; f < foldNumbers.Length; f++)
        {
            foldResults[f] = EvaluateFold(selected, foldNumbers[f], targetFar);
        }

        double[] accuracies = foldResults.Select(result => result.Accuracy).ToArray();
        double[] vals = foldResults.Select(result => result.Val).ToArray();
        IReadOnlyList<RocPoint> roc = RocCurve.Compute(selected);
        (double eer, double eerThreshold) = RocCurve.EqualErrorRate(roc);
        double sampleStd = StandardDeviation(accuracies, sample: true);

        return new VerificationResult
        {
            Accuracy = accuracies.Average(),
            AccuracyStd = sampleStd,
            AccuracyStdPopulation = StandardDeviation(accuracies, sample: false),
            AccuracyStandardError = sampleStd / Math.Sqrt(accuracies.Length),
            ValAtFar1e3 = vals.Average(),
            ValStd = StandardDeviation(vals, sample: true),
            FarAtVal = foldResults.Average(result => result.Far),
            TargetFar = targetFar,
            Auc = RocCurve.Area(roc),
            Eer = eer,
            EerThreshold = Threshold.SquaredL2(eerThreshold),
            Pairs = selected.Length,
            MissingPairs = missingPairs,
            Folds = foldNumbers,
            Thresholds = foldResults.Select(result => result.Threshold).ToArray(),
            FoldResults = foldResults,
            Roc = roc,
        };
    }

    private static FoldResult EvaluateFold(ScoredPair[] selected, int testFold, double targetFar)
    {
        ScoredPair[] test = selected.Where(pair => pair.Fold == testFold).ToArray();
        ScoredPair[] training = selected.Where(pair => pair.Fold != testFold).ToArray();
        RequireBothKinds(test, $"Test fold {testFold}");
        RequireBothKinds(training, $"The training set for test fold {testFold}");

        (double threshold, double trainingAccuracy) = ThresholdSelection.MaximiseAccuracy(training);
        double valThreshold = ThresholdSelection.MaximiseValAtFar(training, targetFar);
        (double val, double far) = RatesAt(test, valThreshold);

        return new FoldResult(
            testFold,
            test.Length,
            Threshold.SquaredL2(threshold),
            trainingAccuracy,
            AccuracyAt(test, threshold),
            Threshold.SquaredL2(valThreshold),
            val,
            far);
    }

    /// <summary>Computes the fraction of pairs classified correctly when "same" means distance &lt;= threshold.</summary>
    public static double AccuracyAt(IReadOnlyList<ScoredPair> pairs, double threshold)
    {
        int correct = pairs.Count(pair => (pair.SquaredDistance <= threshold) == pair.IsSame);
        return (double)correct / pairs.Count;
    }

    /// <summary>Computes VAL = TA / P_same and FAR = FA / P_diff at a squared L2 threshold.</summary>
    public static (double Val, double Far) RatesAt(IReadOnlyList<ScoredPair> pairs, double threshold)
    {
        int same = 0;
        int different = 0;
        int trueAccepts = 0;
        int falseAccepts = 0;
        foreach (ScoredPair pair in pairs)
        {
            bool accepted = pair.SquaredDistance <= threshold;
            if (pair.IsSame)
            {
                same++;
                trueAccepts += accepted ? 1 : 0;
            }
            else
            {
                different++;
                falseAccepts += accepted ? 1 : 0;
            }
        }
        return ((double)trueAccepts / same, (double)falseAccepts / different);
    }

    private static void RequireBothKinds(ScoredPair[] pairs, string name)
    {
        int same = pairs.Count(pair => pair.IsSame);
        if (same == 0 || same == pairs.Length)
        {
            throw new ArgumentException(
                $"{name} has {same} same-identity and {pairs.Length - same} different-identity pairs; " +
                "the protocol needs both kinds in every test fold and training set.");
        }
    }

    private static double StandardDeviation(double[] values, bool sample)
    {
        double mean = values.Average();
        double sumOfSquares = values.Sum(value => (value - mean) * (value - mean));
        int divisor = sample ? values.Length - 1 : values.Length;
        return Math.Sqrt(sumOfSquares / divisor);
    }
}
