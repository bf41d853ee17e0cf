namespace FaceNet.Runtime.Pretrained;

/// <summary>
/// The pretrained model files could not be fetched or failed verification. The message names the file or
/// the command that failed and what to do about it.
/// </summary>
public sealed class ModelStoreException : Exception
{
    /// <summary>Creates the exception with a message.</summary>
    public ModelStoreException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the error that caused it.</summary>
    public ModelStoreException(string message, Exception inner) : base(message, inner)
    {
    }
}
