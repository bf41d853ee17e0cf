namespace FaceNet.Runtime.Evaluation;

/// <summary>The result of <see cref="Identification.Identify"/> for one probe.</summary>
/// <param name="Label">The identity returned, or null when the probe is rejected as unknown.</param>
/// <param name="PredictedLabel">The k-NN vote ignoring the threshold, the closed-set answer.</param>
/// <param name="Distance">Distance (or similarity) to the nearest gallery embedding of
/// <paramref name="PredictedLabel"/>, in the metric of the identification's threshold.</param>
public sealed record IdentificationMatch(string? Label, string PredictedLabel, double Distance)
{
    /// <summary>True when the probe was rejected as an unknown person.</summary>
    public bool IsUnknown => Label is null;
}
