using System.Globalization;

namespace FaceNet.Runtime.Training;

/// <summary>Diagnostics of one training step, as printed on the terminal and written to the log.</summary>
/// <param name="Step">1-based step number.</param>
/// <param name="Loss">Mean triplet loss over the selected triplets; 0 when none were selected.</param>
/// <param name="Triplets">Triplets selected by the mining rule.</param>
/// <param name="ActiveTriplets">Selected triplets with a positive loss.</param>
/// <param name="Pairs">Anchor-positive pairs in the batch.</param>
/// <param name="MeanPositiveDistance">Mean squared L2 distance d_ap over selected triplets.</param>
/// <param name="MeanNegativeDistance">Mean squared L2 distance d_an over selected triplets.</param>
/// <param name="MeanPairwiseDistance">Mean squared L2 distance over all pairs of the batch (collapse watch).</param>
/// <param name="ImagesPerSecond">Batch images divided by the step's wall time, including data loading.</param>
/// <param name="LearningRate">Learning rate used for the update.</param>
/// <param name="ElapsedSeconds">Wall time since the run (or the resumed run) started.</param>
public sealed record StepRecord(
    long Step, double Loss, int Triplets, int ActiveTriplets, int Pairs, double MeanPositiveDistance,
    double MeanNegativeDistance, double MeanPairwiseDistance, double ImagesPerSecond, double LearningRate,
    double ElapsedSeconds)
{
    /// <summary>Active triplets over anchor-positive pairs; 0 when the batch has no pair.</summary>
    public double ActiveFraction => Pairs == 0 ? 0 : (double)ActiveTriplets / Pairs;

    /// <summary>The CSV header matching <see cref="ToCsv"/>.</summary>
    public const string CsvHeader =
        "step,loss,triplets,active_triplets,pairs,active_fraction,mean_d_ap,mean_d_an,mean_pairwise,images_per_second,learning_rate,elapsed_seconds";

    /// <summary>One CSV row, invariant culture.</summary>
    public string ToCsv() => string.Join(',',
        Step.ToString(CultureInfo.InvariantCulture), F(Loss), Triplets.ToString(CultureInfo.InvariantCulture),
        ActiveTriplets.ToString(CultureInfo.InvariantCulture), Pairs.ToString(CultureInfo.InvariantCulture),
        F(ActiveFraction), F(MeanPositiveDistance), F(MeanNegativeDistance), F(MeanPairwiseDistance),
        F(ImagesPerSecond), F(LearningRate), F(ElapsedSeconds));

    /// <summary>Parses a row written by <see cref="ToCsv"/>.</summary>
    public static StepRecord FromCsv(string line)
    {
        string[] f = line.Split(',');
        if (f.Length != 12)
        {
            throw new FormatException($"Training log row has {f.Length} fields, expected 12: '{line}'.");
        }
        return new StepRecord(long.Parse(f[0], CultureInfo.InvariantCulture), D(f[1]), int.Parse(f[2], CultureInfo.InvariantCulture),
            int.Parse(f[3], CultureInfo.InvariantCulture), int.Parse(f[4], CultureInfo.InvariantCulture), D(f[6]), D(f[7]), D(f[8]),
            D(f[9]), D(f[10]), D(f[11]));
    }

    /// <summary>The fixed-format terminal line.</summary>
    public string ToDisplayLine() => string.Create(CultureInfo.InvariantCulture,
        $"step {Step,6}  loss {Loss,8:F5}  triplets {Triplets,5} active {ActiveTriplets,5} ({ActiveFraction,6:P1})  " +
        $"d_ap {MeanPositiveDistance,6:F3} d_an {MeanNegativeDistance,6:F3} mean_d {MeanPairwiseDistance,6:F3}  " +
        $"{ImagesPerSecond,7:F1} img/s  lr {LearningRate:G4}");

    private static string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    private static double D(string s) => double.Parse(s, CultureInfo.InvariantCulture);
}
