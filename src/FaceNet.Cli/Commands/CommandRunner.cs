using System.CommandLine;

namespace FaceNet.Cli.Commands;

/// <summary>
/// Runs a command body and turns the failures a user can fix into a one-line message and an exit code:
/// 2 for a usage mistake, 1 for bad input files or data. Anything else is a bug and keeps its stack trace.
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
        catch (Exception e) when (e is InvalidDataException or FileNotFoundException or DirectoryNotFoundException
            or FaceNet.Runtime.Imaging.ImageDecodeException or FormatException or ArgumentException)
        {
            error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }
}
