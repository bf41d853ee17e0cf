using System.Globalization;

namespace FaceNet.Runtime.Training;

/// <summary>
/// Watches the step records for signs of a failed run. Non-finite statistics stop training; collapse
/// (every embedding at nearly the same point) only produces a warning, because a run may recover.
/// </summary>
/// <remarks>
/// Collapse shows in two ways. The mean pairwise squared distance of the batch falls below
/// <see cref="TrainerOptions.CollapseDistance"/>; or, for <see cref="TrainerOptions.CollapsePatience"/>
/// steps in a row, the loss sits at the margin with every selected triplet active, which is what a
/// collapsed model gives with the SemiHardOrHardest policy (d_ap = d_an, so each hinge equals alpha).
/// A warning is repeated at most once every 100 steps while the condition lasts.
/// </remarks>
public sealed class TrainingMonitor
{
    private const int RepeatInterval = 100;
    private const double PinnedTolerance = 1e-3;

    private readonly TrainerOptions _options;
    private int _pinnedSteps;
    private long? _lastWarningStep;

    /// <summary>Creates a monitor with the thresholds of <paramref name="options"/>.</summary>
    public TrainingMonitor(TrainerOptions options) => _options = options;

    /// <summary>
    /// Checks one step and returns a warning to report, or null.
    /// </summary>
    /// <exception cref="TrainingDivergedException">The loss or a distance is NaN or infinite.</exception>
    public string? Check(StepRecord record)
    {
        string? bad = NonFinite(record);
        if (bad is not null)
        {
            throw new TrainingDivergedException(record.Step,
                $"Training diverged at step {record.Step}: {bad}. The weights are no longer usable; lower the " +
                $"learning rate (now {G3(record.LearningRate)}) and " +
                "restart, or resume from the last checkpoint with a lower rate.");
        }

        bool pinned = record.Triplets > 0 && record.ActiveTriplets == record.Triplets &&
            Math.Abs(record.Loss - _options.Margin) <= PinnedTolerance;
        _pinnedSteps = pinned ? _pinnedSteps + 1 : 0;

        string? warning = null;
        if (record.MeanPairwiseDistance < _options.CollapseDistance)
        {
            warning =
                $"Embeddings are collapsing at step {record.Step}: the mean pairwise squared distance is " +
                $"{G3(record.MeanPairwiseDistance)}, below {G3(_options.CollapseDistance)}, so every face maps " +
                "to nearly the same point. Lower the learning rate or use the SemiHardOrSkip policy.";
        }
        else if (_pinnedSteps >= _options.CollapsePatience)
        {
            warning =
                $"Loss has stayed at the margin ({G3(_options.Margin)}) with every triplet active for " +
                $"{_pinnedSteps} steps (step {record.Step}); the embeddings have probably collapsed. Lower the " +
                "learning rate or use the SemiHardOrSkip policy.";
        }
        if (warning is null || record.Step - _lastWarningStep < RepeatInterval)
        {
            return null;
        }
        _lastWarningStep = record.Step;
        return warning;
    }

    private static string G3(double value) => value.ToString("G3", CultureInfo.InvariantCulture);

    private static string? NonFinite(StepRecord r)
    {
        if (!double.IsFinite(r.Loss))
        {
            return $"the loss is {r.Loss}";
        }
        if (!double.IsFinite(r.MeanPairwiseDistance))
        {
            return $"the mean pairwise distance of the embeddings is {r.MeanPairwiseDistance}";
        }
        if (!double.IsFinite(r.MeanPositiveDistance) || !double.IsFinite(r.MeanNegativeDistance))
        {
            return $"the mean triplet distances are d_ap {r.MeanPositiveDistance}, d_an {r.MeanNegativeDistance}";
        }
        return null;
    }
}
