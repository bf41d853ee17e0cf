using System.CommandLine;

namespace FaceNet.Cli.Commands;

/// <summary>
/// Runs a command body and turns the failures a user can fix into a one-line message and an exit code.
/// A usage mistake exits 2. Bad input files or data, and files that cannot be read or written, exit 1.
/// Anything else is a bug and keeps its stack trace.
/// </summary>
internal static class CommandRunner
{
    public static int Run(ParseResult result, Func<int> body)
    {
        TextWriter error = result.InvocationConfiguration.Error;
        try
        {
            return body();
        }
        catch (UsageException e)
        {
            error.WriteLine($"error: {e.Message}");
            return 2;
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException
            or FaceNet.Runtime.Imaging.ImageDecodeException or FormatException or ArgumentException
            or FaceNet.Runtime.Pretrained.ModelStoreException or FaceNet.Runtime.Pretrained.FaceNotFoundException)
        {
            error.WriteLine($"error: {MessageOf(e)}");
            return 1;
        }
    }

    /// <summary>
    /// Returns the exception's message without the " (Parameter 'name')" suffix that
    /// <see cref="ArgumentException"/> appends: the parameter is an internal name that means nothing to a user.
    /// </summary>
    internal static string MessageOf(Exception e)
    {
        if (e is ArgumentException { ParamName: { } name } argument)
        {
            string suffix = $" (Parameter '{name}')";
            int index = argument.Message.IndexOf(suffix, StringComparison.Ordinal);
            if (index >= 0)
            {
                return argument.Message.Remove(index, suffix.Length);
            }
        }
        return e.Message;
    }
}
