namespace FaceNet.Kernels.Selftest;

/// <summary>One compared output of a <see cref="ParityCase"/>: a row of the self-test table.</summary>
/// <param name="Operation">Operation and output, e.g. <c>conv2d 3x3 / dweight</c>.</param>
/// <param name="Shape">Input shapes of the case.</param>
/// <param name="Elements">Values compared.</param>
/// <param name="MaxAbsoluteError">Largest <c>|candidate - reference|</c>.</param>
/// <param name="MaxRelativeError">
/// Largest <c>|candidate - reference| / |reference|</c> over the values whose reference magnitude exceeds the
/// tolerance's absolute part, so values that are zero up to rounding do not dominate; 0 when there is none.
/// </param>
/// <param name="Tolerance">The tolerance the values were checked against.</param>
/// <param name="Failures">Values outside the tolerance, or NaN on one side only.</param>
/// <param name="Milliseconds">Wall time of the whole case on the candidate backend, the same on every row of a case.</param>
public sealed record ParityResult(string Operation, string Shape, int Elements, double MaxAbsoluteError,
    double MaxRelativeError, ParityTolerance Tolerance, int Failures, double Milliseconds)
{
    /// <summary>Whether every value is within the tolerance.</summary>
    public bool Passed => Failures == 0;
}
