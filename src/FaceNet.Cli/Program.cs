using System.CommandLine;
using FaceNet.Cli.Commands;

namespace FaceNet.Cli;

internal static class Program
{
    private static int Main(string[] args) => Invoke(args, new InvocationConfiguration());

    /// <summary>Builds the <c>facenet</c> command tree.</summary>
    internal static RootCommand CreateRoot()
    {
        var root = new RootCommand("FaceNet.NET: face embeddings, verification, identification, clustering, training.");
        root.Subcommands.Add(ModelsCommand.Create());
        root.Subcommands.Add(LfwCommand.Create());
        root.Subcommands.Add(EmbedCommand.Create());
        root.Subcommands.Add(CompareCommand.Create());
        root.Subcommands.Add(IdentifyCommand.Create());
        root.Subcommands.Add(ClusterCommand.Create());
        root.Subcommands.Add(TrainCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(ExportCommand.Create());
        root.Subcommands.Add(SelftestCommand.Create());
        root.Subcommands.Add(ExperimentCommand.Create());
        return root;
    }

    /// <summary>
    /// Parses and runs <paramref name="args"/>. A command line that does not parse (unknown option, missing
    /// argument, value outside the accepted list) is a usage error. Its messages go to standard error and
    /// the exit code is 2, as for the usage errors that the commands detect themselves.
    /// </summary>
    internal static int Invoke(string[] args, InvocationConfiguration configuration)
    {
        ParseResult result = CreateRoot().Parse(args);
        if (result.Errors.Count > 0)
        {
            foreach (System.CommandLine.Parsing.ParseError parseError in result.Errors)
            {
                configuration.Error.WriteLine($"error: {parseError.Message}");
            }
            configuration.Error.WriteLine("Run 'facenet --help' or 'facenet COMMAND --help' for usage.");
            return 2;
        }
        return result.Invoke(configuration);
    }
}
