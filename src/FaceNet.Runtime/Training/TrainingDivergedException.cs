namespace FaceNet.Runtime.Training;

/// <summary>Thrown when training produces NaN or infinity in the loss, the distances or the weights.</summary>
public sealed class TrainingDivergedException : Exception
{
    /// <summary>Creates the exception for the given 1-based step.</summary>
    public TrainingDivergedException(long step, string message)
        : base(message)
    {
        Step = step;
    }

    /// <summary>The 1-based step at which the non-finite value appeared.</summary>
    public long Step { get; }
}
