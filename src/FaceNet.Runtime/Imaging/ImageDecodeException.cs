namespace FaceNet.Runtime.Imaging;

/// <summary>
/// Thrown when an image file cannot be turned into pixels: empty, truncated, not an image, too large or
/// in an unsupported variant. The message names the file, the problem and what to do.
/// </summary>
public sealed class ImageDecodeException : Exception
{
    /// <summary>Creates the exception for <paramref name="imageName"/> (a file path or a caller-chosen name).</summary>
    public ImageDecodeException(string imageName, string message, Exception? inner = null)
        : base(message, inner)
    {
        ImageName = imageName;
    }

    /// <summary>The file path or name of the image that failed.</summary>
    public string ImageName { get; }
}
