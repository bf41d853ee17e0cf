namespace FaceNet.Runtime.Training;

/// <summary>Outcome of <see cref="Trainer.Run"/>.</summary>
/// <param name="CompletedSteps">Steps completed, counting those before a resume.</param>
/// <param name="LastStep">The record of the last step of this run, or null when it ran no step.</param>
/// <param name="CheckpointPath">The checkpoint written last.</param>
/// <param name="LogPath">The CSV log.</param>
/// <param name="PlotPath">The loss plot, or null when it could not be drawn.</param>
/// <param name="Warnings">Collapse warnings raised during this run.</param>
/// <param name="Cancelled">True when the run stopped early on request.</param>
public sealed record TrainingResult(
    long CompletedSteps, StepRecord? LastStep, string CheckpointPath, string LogPath, string? PlotPath,
    IReadOnlyList<string> Warnings, bool Cancelled);
