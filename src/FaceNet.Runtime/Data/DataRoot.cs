namespace FaceNet.Runtime.Data;

/// <summary>
/// Locates the shared data folder (LFW, Extended Yale B). Order: an explicit path, the
/// <c>FACENET_DATA</c> environment variable, then <c>../shared/data</c> beside the repository checkout
/// (found by walking up from the working directory and from the program's folder to <c>FaceNet.sln</c>).
/// </summary>
public static class DataRoot
{
    /// <summary>Environment variable that overrides the default data root.</summary>
    public const string EnvironmentVariable = "FACENET_DATA";

    /// <summary>Resolves the data root; the folder may not exist, which callers report.</summary>
    public static string Resolve(string? explicitPath = null)
    {
        if (!string.IsNullOrWhiteSpace(explicitPath))
        {
            return Path.GetFullPath(explicitPath);
        }
        string? fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            return Path.GetFullPath(fromEnvironment);
        }
        foreach (string start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            string? repo = FindRepositoryRoot(start);
            if (repo is not null)
            {
                return Path.GetFullPath(Path.Combine(repo, "..", "shared", "data"));
            }
        }
        return Path.GetFullPath(Path.Combine("..", "shared", "data"));
    }

    /// <summary>Resolves the data root and throws a message naming the path and the override when it is missing.</summary>
    public static string RequireExisting(string? explicitPath = null)
    {
        string root = Resolve(explicitPath);
        if (!Directory.Exists(root))
        {
            throw new DirectoryNotFoundException(
                $"Data root '{root}' does not exist; pass --data-root or set {EnvironmentVariable}.");
        }
        return root;
    }

    /// <summary>The folder holding <c>FaceNet.sln</c> at or above <paramref name="start"/>, or null.</summary>
    public static string? FindRepositoryRoot(string start)
    {
        for (DirectoryInfo? dir = new(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "FaceNet.sln")))
            {
                return dir.FullName;
            }
        }
        return null;
    }
}
