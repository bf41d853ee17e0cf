using System.Globalization;

namespace FaceNet.Runtime.Evaluation;

/// <summary>
/// A set of 1-based fold numbers, parsed from text such as <c>6-10</c>, <c>1,3,5</c>, <c>1-3,7</c> or
/// <c>all</c>.
/// </summary>
public sealed class FoldSelection
{
    private readonly int[] _folds;

    private FoldSelection(int[] folds) => _folds = folds;

    /// <summary>The selected fold numbers in increasing order, without duplicates.</summary>
    public IReadOnlyList<int> Folds => _folds;

    /// <summary>Returns true when <paramref name="fold"/> is selected.</summary>
    public bool Contains(int fold) => Array.BinarySearch(_folds, fold) >= 0;

    /// <summary>Selects every fold from 1 to <paramref name="foldCount"/>.</summary>
    public static FoldSelection All(int foldCount)
    {
        if (foldCount < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(foldCount), foldCount, "The fold count must be at least 1.");
        }
        return new FoldSelection(Enumerable.Range(1, foldCount).ToArray());
    }

    /// <summary>Selects the given fold numbers.</summary>
    /// <exception cref="ArgumentException">A fold is outside 1..<paramref name="foldCount"/> or the list is
    /// empty.</exception>
    public static FoldSelection Of(IEnumerable<int> folds, int foldCount)
    {
        int[] sorted = folds.Distinct().Order().ToArray();
        if (sorted.Length == 0)
        {
            throw new ArgumentException("A fold selection must name at least one fold.", nameof(folds));
        }
        foreach (int fold in sorted)
        {
            if (fold < 1 || fold > foldCount)
            {
                throw new ArgumentException(
                    $"Fold {fold} is out of range; folds are numbered 1 to {foldCount}.", nameof(folds));
            }
        }
        return new FoldSelection(sorted);
    }

    /// <summary>
    /// Parses a comma-separated list of fold numbers and inclusive ranges (<c>6-10</c>), or <c>all</c>.
    /// Whitespace around items is ignored, and empty or whitespace-only text also selects every fold.
    /// </summary>
    /// <exception cref="FormatException">An item is not a number or a range, or a range runs
    /// backwards.</exception>
    /// <exception cref="ArgumentException">A fold is outside 1..<paramref name="foldCount"/>.</exception>
    public static FoldSelection Parse(string text, int foldCount)
    {
        ArgumentNullException.ThrowIfNull(text);
        string trimmed = text.Trim();
        if (trimmed.Length == 0 || trimmed.Equals("all", StringComparison.OrdinalIgnoreCase))
        {
            return All(foldCount);
        }

        var folds = new List<int>();
        foreach (string rawItem in trimmed.Split(','))
        {
            string item = rawItem.Trim();
            int dash = item.IndexOf('-');
            if (dash >= 0)
            {
                int first = ParseFoldNumber(item[..dash], text);
                int last = ParseFoldNumber(item[(dash + 1)..], text);
                if (last < first)
                {
                    throw new FormatException(
                        $"Fold range '{item}' in '{text}' runs backwards; write it as {last}-{first}.");
                }
                if (first < 1 || last > foldCount)
                {
                    // Checked before the expansion, so a range such as 1-2000000000 fails at once.
                    throw new ArgumentException(
                        $"Fold range '{item}' is out of range; folds are numbered 1 to {foldCount}.", nameof(text));
                }
                for (int fold = first; fold <= last; fold++)
                {
                    folds.Add(fold);
                }
            }
            else
            {
                folds.Add(ParseFoldNumber(item, text));
            }
        }
        return Of(folds, foldCount);
    }

    /// <summary>Formats the selection compactly, for example "1-3,7".</summary>
    public override string ToString()
    {
        var parts = new List<string>();
        int start = 0;
        while (start < _folds.Length)
        {
            int end = start;
            while (end + 1 < _folds.Length && _folds[end + 1] == _folds[end] + 1)
            {
                end++;
            }
            parts.Add(end == start ? $"{_folds[start]}" : $"{_folds[start]}-{_folds[end]}");
            start = end + 1;
        }
        return string.Join(",", parts);
    }

    private static int ParseFoldNumber(string item, string text)
    {
        if (!int.TryParse(item.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int fold))
        {
            throw new FormatException(
                $"Fold selection '{text}' contains '{item.Trim()}', which is not a fold number; " +
                "use numbers and ranges such as '6-10' or '1,3,5'.");
        }
        return fold;
    }
}
