using System.Globalization;
using System.Text.RegularExpressions;

namespace FaceNet.Kernels.Driver;

/// <summary>Resource use of one function as <c>ptxas -v</c> reports it.</summary>
/// <param name="File">The PTX file the function came from.</param>
/// <param name="Function">Function name (the extern "C" kernel name for entry functions).</param>
/// <param name="Registers">Registers per thread, or -1 when ptxas printed no register line.</param>
/// <param name="StackFrameBytes">Bytes of local stack frame per thread.</param>
/// <param name="SpillStoreBytes">Bytes of register spill stores per thread.</param>
/// <param name="SpillLoadBytes">Bytes of register spill loads per thread.</param>
/// <param name="SharedBytes">Static shared memory per block.</param>
public sealed record PtxasFunction(string File, string Function, int Registers, int StackFrameBytes,
    int SpillStoreBytes, int SpillLoadBytes, int SharedBytes);

/// <summary>Parses the <c>ptxas -v</c> report that the build writes to <c>ptxas-sm_90.log</c>.</summary>
public static partial class PtxasReport
{
    /// <summary>
    /// Extracts one entry per function from <paramref name="log"/>. Lines the parser does not know are skipped,
    /// so the result is empty for a report that records that PTX was not built.
    /// </summary>
    public static IReadOnlyList<PtxasFunction> Parse(string log)
    {
        ArgumentNullException.ThrowIfNull(log);
        var functions = new List<PtxasFunction>();
        string file = "";
        PtxasFunction? current = null;
        foreach (string line in log.Split('\n'))
        {
            Match match;
            if ((match = FileLine().Match(line)).Success)
            {
                file = match.Groups[1].Value.Trim();
            }
            else if ((match = PropertiesLine().Match(line)).Success)
            {
                Flush();
                current = new PtxasFunction(file, match.Groups[1].Value, -1, 0, 0, 0, 0);
            }
            else if (current is not null && (match = SpillLine().Match(line)).Success)
            {
                current = current with
                {
                    StackFrameBytes = Number(match.Groups[1]),
                    SpillStoreBytes = Number(match.Groups[2]),
                    SpillLoadBytes = Number(match.Groups[3]),
                };
            }
            else if (current is not null && (match = UsedLine().Match(line)).Success)
            {
                Match shared = SharedPart().Match(line);
                current = current with
                {
                    Registers = Number(match.Groups[1]),
                    SharedBytes = shared.Success ? Number(shared.Groups[1]) : 0,
                };
            }
        }
        Flush();
        return functions;

        void Flush()
        {
            if (current is not null)
            {
                functions.Add(current);
                current = null;
            }
        }
    }

    private static int Number(Group group) => int.Parse(group.Value, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^# file: (.+)$")]
    private static partial Regex FileLine();

    [GeneratedRegex(@"Function properties for (\S+)")]
    private static partial Regex PropertiesLine();

    [GeneratedRegex(@"(\d+) bytes stack frame, (\d+) bytes spill stores, (\d+) bytes spill loads")]
    private static partial Regex SpillLine();

    [GeneratedRegex(@"Used (\d+) registers")]
    private static partial Regex UsedLine();

    [GeneratedRegex(@"(\d+) bytes smem")]
    private static partial Regex SharedPart();
}
