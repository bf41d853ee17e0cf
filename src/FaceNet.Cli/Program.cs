using System.CommandLine;
using FaceNet.Cli.Commands;

namespace FaceNet.Cli;

internal static class Program
{
    private static int Main(string[] args)
    {
        var root = new RootCommand("FaceNet.NET: face embeddings, verification, identification, clustering, training.");
        root.Subcommands.Add(ModelsCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(ExportCommand.Create());
        return root.Parse(args).Invoke();
    }
}
