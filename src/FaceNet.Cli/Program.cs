using System.CommandLine;

namespace FaceNet.Cli;

internal static class Program
{
    private static int Main(string[] args)
    {
        var root = new RootCommand("FaceNet.NET: face embeddings, verification, identification, clustering, training.");
        return root.Parse(args).Invoke();
    }
}
