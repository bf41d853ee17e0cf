namespace FaceNet.Runtime.Evaluation;

/// <summary>The outcome of checking LFW pairs against the image folder.</summary>
/// <param name="ImageRoot">The folder that contains one subfolder per person.</param>
/// <param name="Available">Pairs whose two images both exist, in file order.</param>
/// <param name="Missing">Pairs with at least one missing image, each with the paths that are missing.</param>
/// <param name="MissingImages">Every distinct missing image path, sorted.</param>
public sealed record LfwResolution(
    string ImageRoot,
    IReadOnlyList<ResolvedLfwPair> Available,
    IReadOnlyList<MissingLfwPair> Missing,
    IReadOnlyList<string> MissingImages)
{
    /// <summary>True when every requested pair has both images.</summary>
    public bool IsComplete => Missing.Count == 0;

    /// <summary>Returns the distinct image paths of the available pairs, in first-use order.</summary>
    public IReadOnlyList<string> DistinctImagePaths()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var paths = new List<string>();
        foreach (ResolvedLfwPair pair in Available)
        {
            if (seen.Add(pair.FirstPath))
            {
                paths.Add(pair.FirstPath);
            }
            if (seen.Add(pair.SecondPath))
            {
                paths.Add(pair.SecondPath);
            }
        }
        return paths;
    }
}

/// <summary>An LFW pair with the paths of both of its images, which exist.</summary>
public sealed record ResolvedLfwPair(LfwPair Pair, string FirstPath, string SecondPath);

/// <summary>An LFW pair that cannot be evaluated, with the image paths that were not found.</summary>
public sealed record MissingLfwPair(LfwPair Pair, IReadOnlyList<string> MissingPaths)
{
    /// <summary>Formats the pair, its fold and line, and the missing paths for a report.</summary>
    public override string ToString() =>
        $"fold {Pair.Fold}, line {Pair.Line} ({Pair}): missing {string.Join(", ", MissingPaths)}";
}
