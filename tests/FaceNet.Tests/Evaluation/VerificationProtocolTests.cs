using System.Text.Json;
using FaceNet.Runtime.Evaluation;

namespace FaceNet.Tests.Evaluation;

public class VerificationProtocolTests
{
    private static List<ScoredPair> SyntheticFolds(int folds, int pairsPerHalf, Func<Random, bool, double> distance, int seed)
    {
        var random = new Random(seed);
        var pairs = new List<ScoredPair>();
        for (int fold = 1; fold <= folds; fold++)
        {
            for (int i = 0; i < 2 * pairsPerHalf; i++)
            {
                bool isSame = i < pairsPerHalf;
                pairs.Add(new ScoredPair(fold, isSame, distance(random, isSame)));
            }
        }
        return pairs;
    }

    private static List<ScoredPair> Fold(int fold, IEnumerable<double> same, IEnumerable<double> different) =>
        same.Select(d => new ScoredPair(fold, true, d)).Concat(different.Select(d => new ScoredPair(fold, false, d))).ToList();

    [Fact]
    public void Evaluate_PerfectlySeparable_ScoresPerfectly()
    {
        List<ScoredPair> pairs = SyntheticFolds(10, 300, (random, same) => same ? random.NextDouble() * 0.9 : 1.1 + random.NextDouble() * 2, 1);

        VerificationResult result = VerificationProtocol.Evaluate(pairs);

        Assert.Equal(1.0, result.Accuracy);
        Assert.Equal(0.0, result.AccuracyStd);
        Assert.Equal(1.0, result.Auc);
        Assert.Equal(0.0, result.Eer);
        Assert.Equal(1.0, result.ValAtFar1e3);
        Assert.InRange(result.FarAtVal, 0.0, 0.002);
        Assert.Equal(6000, result.Pairs);
        Assert.Equal(10, result.Thresholds.Count);
        Assert.All(result.Thresholds, threshold => Assert.InRange(threshold.Value, 0.9, 1.1));
        Assert.All(result.Thresholds, threshold => Assert.Equal(DistanceMetric.SquaredL2, threshold.Metric));
    }

    [Fact]
    public void Evaluate_RandomDistances_ScoresNearChance()
    {
        List<ScoredPair> pairs = SyntheticFolds(10, 300, (random, _) => random.NextDouble() * 4, 2);

        VerificationResult result = VerificationProtocol.Evaluate(pairs);

        Assert.InRange(result.Accuracy, 0.45, 0.55);
        Assert.InRange(result.Auc, 0.47, 0.53);
        Assert.InRange(result.Eer, 0.47, 0.53);
        Assert.InRange(result.ValAtFar1e3, 0.0, 0.01);
    }

    [Fact]
    public void Evaluate_ShiftedTestFold_UsesTrainingThreshold()
    {
        // Folds 1 and 2 separate at 1.0. Fold 3's same pairs sit at 1.2, so a threshold tuned on fold 3
        // itself would reach accuracy 1 there, while the training threshold 1.0 rejects them.
        var pairs = new List<ScoredPair>();
        pairs.AddRange(Fold(1, [0.5, 0.5], [1.5, 1.5]));
        pairs.AddRange(Fold(2, [0.5, 0.5], [1.5, 1.5]));
        pairs.AddRange(Fold(3, [1.2, 1.2], [1.5, 1.5]));

        VerificationResult result = VerificationProtocol.Evaluate(pairs);
        FoldResult third = result.FoldResults.Single(fold => fold.Fold == 3);

        Assert.Equal(1.0, third.Threshold.Value);
        Assert.Equal(0.5, third.Accuracy);
        Assert.Equal(1.0, third.TrainingAccuracy);
    }

    [Fact]
    public void Evaluate_KnownFoldAccuracies_ReportsMeanAndDeviations()
    {
        var pairs = new List<ScoredPair>();
        pairs.AddRange(Fold(1, [0.5, 0.5, 0.5, 1.5], [1.5, 1.5, 1.5, 1.5]));
        pairs.AddRange(Fold(2, [0.5, 0.5, 1.5, 1.5], [1.5, 1.5, 1.5, 1.5]));
        pairs.AddRange(Fold(3, [0.5, 0.5, 0.5, 0.5], [1.5, 1.5, 1.5, 1.5]));

        VerificationResult result = VerificationProtocol.Evaluate(pairs);

        Assert.Equal([7.0 / 8, 6.0 / 8, 1.0], result.FoldResults.Select(fold => fold.Accuracy));
        Assert.Equal(0.875, result.Accuracy, 12);
        Assert.Equal(0.125, result.AccuracyStd, 12);
        Assert.Equal(Math.Sqrt(0.03125 / 3), result.AccuracyStdPopulation, 12);
        Assert.Equal(0.125 / Math.Sqrt(3), result.AccuracyStandardError, 12);
    }

    [Fact]
    public void Evaluate_FoldSelection_UsesOnlySelectedFolds()
    {
        List<ScoredPair> pairs = SyntheticFolds(10, 30, (random, same) => same ? random.NextDouble() : 1 + random.NextDouble(), 3);

        VerificationResult result = VerificationProtocol.Evaluate(pairs, FoldSelection.Parse("6-8", 10), missingPairs: 4);

        Assert.Equal([6, 7, 8], result.Folds);
        Assert.Equal(180, result.Pairs);
        Assert.Equal(4, result.MissingPairs);
        Assert.Equal(3, result.Thresholds.Count);
    }

    [Fact]
    public void Evaluate_SingleFold_Throws()
    {
        List<ScoredPair> pairs = SyntheticFolds(10, 5, (random, _) => random.NextDouble(), 4);

        Assert.Throws<ArgumentException>(() => VerificationProtocol.Evaluate(pairs, FoldSelection.Parse("3", 10)));
    }

    [Fact]
    public void Evaluate_SelectedFoldWithoutPairs_Throws()
    {
        List<ScoredPair> pairs = SyntheticFolds(3, 5, (random, _) => random.NextDouble(), 4);

        var error = Assert.Throws<ArgumentException>(() => VerificationProtocol.Evaluate(pairs, FoldSelection.Parse("2-4", 10)));

        Assert.Contains("4", error.Message);
    }

    [Fact]
    public void MaximiseValAtFar_SmallCase_MatchesHand()
    {
        // Different distances 1, 2, 3, 4: FAR <= 0.25 allows one false accept, so the threshold must stay
        // below 2. The largest training distance below 2 is 1.5, so the threshold is 1.75.
        List<ScoredPair> training = Fold(1, [0.5, 1.5, 2.5], [1, 2, 3, 4]);

        double threshold = ThresholdSelection.MaximiseValAtFar(training, 0.25);
        (double val, double far) = VerificationProtocol.RatesAt(training, threshold);

        Assert.Equal(1.75, threshold);
        Assert.Equal(2.0 / 3, val, 15);
        Assert.Equal(0.25, far);
    }

    [Fact]
    public void MaximiseValAtFar_Ties_StayUnderTarget()
    {
        // Two different pairs tie at 2; accepting them would give FAR 2/4 > 0.25.
        List<ScoredPair> training = Fold(1, [0.5, 1.5, 2.5], [2, 2, 3, 4]);

        double threshold = ThresholdSelection.MaximiseValAtFar(training, 0.25);
        (double val, double far) = VerificationProtocol.RatesAt(training, threshold);

        Assert.Equal(1.75, threshold);
        Assert.Equal(0.0, far);
        Assert.Equal(2.0 / 3, val, 15);
    }

    [Theory]
    [InlineData(2700, 2)]
    [InlineData(3000, 3)]
    [InlineData(1000, 1)]
    [InlineData(999, 0)]
    public void AllowedFalseAccepts_LfwSizes_MatchFloor(int differentCount, int expected)
    {
        Assert.Equal(expected, ThresholdSelection.AllowedFalseAccepts(differentCount, 1e-3));
    }

    [Fact]
    public void Evaluate_ValAtFar_HandComputedPerFold()
    {
        // Each fold has 1000 different pairs at 1.000, 1.001, ..., 1.999, so two training folds hold 2000
        // of them and FAR <= 1e-3 allows two false accepts. Both folds have a pair at 1.000, so the third
        // smallest training different distance is 1.001. The largest training distance below it is the
        // same pair at 1.0005, and the threshold is their midpoint 1.00075. On the test fold it accepts
        // the same pairs 0.2, 0.9, 1.0005 (VAL 3/4) and the different pair at 1.000 (FAR 1/1000).
        var pairs = new List<ScoredPair>();
        for (int fold = 1; fold <= 3; fold++)
        {
            double[] same = [0.2, 0.9, 1.0005, 1.5];
            double[] different = Enumerable.Range(0, 1000).Select(k => 1.0 + k / 1000.0).ToArray();
            pairs.AddRange(Fold(fold, same, different));
        }

        VerificationResult result = VerificationProtocol.Evaluate(pairs);

        Assert.All(result.FoldResults, fold => Assert.Equal(1.00075, fold.ValThreshold.Value, 12));
        Assert.All(result.FoldResults, fold => Assert.Equal(0.75, fold.Val));
        Assert.All(result.FoldResults, fold => Assert.Equal(1.0 / 1000, fold.Far));
        Assert.Equal(0.75, result.ValAtFar1e3);
    }

    [Fact]
    public void Area_Ties_MatchesHand()
    {
        // Same 0.1, 0.5, 0.5 against different 0.5, 0.9: of 6 same/different comparisons, 4 are won and 2
        // tie, so AUC = (4 + 2 / 2) / 6.
        List<ScoredPair> pairs = Fold(1, [0.1, 0.5, 0.5], [0.5, 0.9]);

        IReadOnlyList<RocPoint> roc = RocCurve.Compute(pairs);

        Assert.Equal(5.0 / 6, RocCurve.Area(roc), 15);
        Assert.Equal(4, roc.Count);
        Assert.Equal(new RocPoint(0.5, 0.5, 1.0), roc[2]);
    }

    [Fact]
    public void EqualErrorRate_Ties_MatchesHand()
    {
        // FAR - FRR goes from -2/3 at (0, 1/3) to +1/2 at (1/2, 1); it crosses zero 4/7 of the way along.
        List<ScoredPair> pairs = Fold(1, [0.1, 0.5, 0.5], [0.5, 0.9]);

        (double rate, double threshold) = RocCurve.EqualErrorRate(RocCurve.Compute(pairs));

        Assert.Equal(2.0 / 7, rate, 15);
        Assert.Equal(0.1 + 4.0 / 7 * 0.4, threshold, 12);
    }

    [Fact]
    public void Roc_RandomTiedScores_AreaEqualsMannWhitney()
    {
        var random = new Random(9);
        var pairs = new List<ScoredPair>();
        for (int i = 0; i < 300; i++)
        {
            bool isSame = random.Next(2) == 0;
            double distance = Math.Round(random.NextDouble() * 2 + (isSame ? 0 : 0.5), 1);
            pairs.Add(new ScoredPair(1, isSame, distance));
        }
        double wins = 0;
        int comparisons = 0;
        foreach (ScoredPair same in pairs.Where(pair => pair.IsSame))
        {
            foreach (ScoredPair different in pairs.Where(pair => !pair.IsSame))
            {
                if (same.SquaredDistance < different.SquaredDistance)
                {
                    wins += 1;
                }
                else if (same.SquaredDistance == different.SquaredDistance)
                {
                    wins += 0.5;
                }
                comparisons++;
            }
        }

        double area = RocCurve.Area(RocCurve.Compute(pairs));

        Assert.Equal(wins / comparisons, area, 12);
    }

    [Fact]
    public void Result_Json_HasContractKeysAndRoundTrips()
    {
        List<ScoredPair> pairs = SyntheticFolds(4, 10, (random, same) => random.NextDouble() + (same ? 0 : 0.5), 6);
        VerificationResult result = VerificationProtocol.Evaluate(pairs, missingPairs: 2);

        string json = result.ToJson();
        using JsonDocument document = JsonDocument.Parse(json);
        VerificationResult back = VerificationResult.FromJson(json);

        foreach (string key in new[] { "accuracy", "accuracyStd", "valAtFar1e3", "auc", "eer", "pairs", "missingPairs", "thresholds" })
        {
            Assert.True(document.RootElement.TryGetProperty(key, out _), $"JSON lacks key '{key}'.");
        }
        Assert.Equal("squaredL2", document.RootElement.GetProperty("thresholds")[0].GetProperty("metric").GetString());
        Assert.Equal(2, document.RootElement.GetProperty("missingPairs").GetInt32());
        Assert.Equal(result.Accuracy, back.Accuracy);
        Assert.Equal(result.Thresholds, back.Thresholds);
        Assert.Equal(result.Roc, back.Roc);
    }

    [Fact]
    public void RocPlot_Save_WritesPng()
    {
        List<ScoredPair> pairs = SyntheticFolds(3, 20, (random, same) => random.NextDouble() + (same ? 0 : 0.5), 7);
        VerificationResult result = VerificationProtocol.Evaluate(pairs);
        string path = Path.Combine(Path.GetTempPath(), $"facenet-roc-{Guid.NewGuid():N}.png");
        try
        {
            RocPlot.Save(path, result, logFar: true);

            byte[] header = File.ReadAllBytes(path)[..8];
            Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, header);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
