namespace FaceNet.Runtime.Evaluation;

/// <summary>Closed-set and open-set identification rates. A rate over zero probes is NaN.</summary>
/// <param name="KnownProbes">Probes whose identity is in the gallery.</param>
/// <param name="UnknownProbes">Probes whose identity is not in the gallery.</param>
/// <param name="Top1Accuracy">Closed set: share of known probes whose k-NN label is right, ignoring the
/// threshold.</param>
/// <param name="DetectionAndIdentificationRate">Open set: share of known probes that pass the threshold
/// and get the right label.</param>
/// <param name="FalseAcceptRate">Open set: share of unknown probes that pass the threshold and so get
/// some gallery label.</param>
/// <param name="Threshold">The rejection threshold used, or null for closed-set identification.</param>
public sealed record IdentificationMetrics(
    int KnownProbes,
    int UnknownProbes,
    double Top1Accuracy,
    double DetectionAndIdentificationRate,
    double FalseAcceptRate,
    Threshold? Threshold);
