using System.Globalization;

namespace FaceNet.Runtime.Evaluation;

/// <summary>
/// The verification pairs of an LFW <c>pairs.txt</c> file. The first line is <c>folds pairsPerHalf</c>
/// (10 and 300 in the standard file). Each fold then lists <c>pairsPerHalf</c> matched pairs
/// (<c>name i j</c>) followed by <c>pairsPerHalf</c> mismatched pairs (<c>name1 i name2 j</c>). Fields are
/// separated by tabs or spaces; CRLF and LF line endings and a missing final newline are accepted.
/// </summary>
public sealed class LfwPairs
{
    private LfwPairs(int foldCount, int pairsPerHalf, IReadOnlyList<LfwPair> pairs)
    {
        FoldCount = foldCount;
        PairsPerHalf = pairsPerHalf;
        Pairs = pairs;
    }

    /// <summary>Number of folds declared in the header.</summary>
    public int FoldCount { get; }

    /// <summary>Matched pairs per fold, which is also the mismatched pairs per fold.</summary>
    public int PairsPerHalf { get; }

    /// <summary>All pairs in file order: fold 1 matched, fold 1 mismatched, fold 2 matched, and so on.</summary>
    public IReadOnlyList<LfwPair> Pairs { get; }

    /// <summary>Reads and parses a pairs file.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="FormatException">The file does not follow the layout described on the type.</exception>
    public static LfwPairs Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException(
                $"LFW pairs file '{path}' not found; pass the path to pairs.txt or set the data root.", path);
        }
        using var reader = new StreamReader(path);
        return Parse(reader, path);
    }

    /// <summary>Parses pairs text; <paramref name="source"/> names the input in error messages.</summary>
    /// <exception cref="FormatException">The text does not follow the layout described on the type.</exception>
    public static LfwPairs Parse(TextReader reader, string source = "pairs text")
    {
        ArgumentNullException.ThrowIfNull(reader);
        var lines = new List<(int Number, string[] Fields)>();
        int lineNumber = 0;
        string? line;

        // TextReader.ReadLine splits on CR, LF and CRLF, so both line-ending styles read the same.
        while ((line = reader.ReadLine()) is not null)
        {
            lineNumber++;
            string[] fields = line.Split(['\t', ' '], StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length > 0)
            {
                lines.Add((lineNumber, fields));
            }
        }
        if (lines.Count == 0)
        {
            throw new FormatException($"{source} is empty; expected a header line such as '10<TAB>300'.");
        }

        (int headerLine, string[] header) = lines[0];
        if (header.Length != 2 || !TryParsePositive(header[0], out int foldCount) ||
            !TryParsePositive(header[1], out int pairsPerHalf))
        {
            throw new FormatException(
                $"{source} line {headerLine}: header '{string.Join(' ', header)}' is invalid; " +
                "expected two positive numbers, the fold count and the pairs per half-fold, such as '10 300'.");
        }

        int expected = foldCount * 2 * pairsPerHalf;
        if (lines.Count - 1 != expected)
        {
            throw new FormatException(
                $"{source} has {lines.Count - 1} pair lines, but its header declares {foldCount} folds of " +
                $"2 x {pairsPerHalf} pairs, {expected} in all; the file is truncated or does not match its header.");
        }

        var pairs = new LfwPair[expected];
        for (int index = 0; index < expected; index++)
        {
            int fold = index / (2 * pairsPerHalf) + 1;
            bool isSame = index % (2 * pairsPerHalf) < pairsPerHalf;
            (int number, string[] fields) = lines[index + 1];
            pairs[index] = ParsePair(fields, fold, number, isSame, source);
        }
        return new LfwPairs(foldCount, pairsPerHalf, pairs);
    }

    /// <summary>Returns the pairs whose fold is in <paramref name="folds"/>, in file order.</summary>
    public IReadOnlyList<LfwPair> InFolds(FoldSelection folds) =>
        Pairs.Where(pair => folds.Contains(pair.Fold)).ToArray();

    /// <summary>
    /// Returns the folder that contains one subfolder per person: <c>lfwRoot/images</c> when it exists
    /// (the layout of the shared data folder), otherwise <paramref name="lfwRoot"/> itself (the layout of
    /// the original LFW archives).
    /// </summary>
    public static string FindImageRoot(string lfwRoot)
    {
        string images = Path.Combine(lfwRoot, "images");
        return Directory.Exists(images) ? images : lfwRoot;
    }

    /// <summary>
    /// Returns the path of image <paramref name="number"/> of <paramref name="name"/>:
    /// <c>imageRoot/name/name_NNNN.jpg</c>, with the 1-based number padded to four digits.
    /// </summary>
    public static string ImagePath(string imageRoot, string name, int number) =>
        Path.Combine(imageRoot, name, $"{name}_{number.ToString("D4", CultureInfo.InvariantCulture)}.jpg");

    /// <summary>
    /// Checks that both images of every pair in <paramref name="folds"/> (all folds when null) exist under
    /// <paramref name="imageRoot"/>. Every missing image and every pair that needs one is reported; no pair
    /// is dropped silently.
    /// </summary>
    public LfwResolution Resolve(string imageRoot, FoldSelection? folds = null)
    {
        IReadOnlyList<LfwPair> selected = folds is null ? Pairs : InFolds(folds);
        var exists = new Dictionary<string, bool>(StringComparer.Ordinal);
        var available = new List<ResolvedLfwPair>();
        var missing = new List<MissingLfwPair>();

        foreach (LfwPair pair in selected)
        {
            string first = ImagePath(imageRoot, pair.FirstName, pair.FirstNumber);
            string second = ImagePath(imageRoot, pair.SecondName, pair.SecondNumber);
            var absent = new List<string>(2);
            if (!CheckExists(first, exists))
            {
                absent.Add(first);
            }
            if (!CheckExists(second, exists))
            {
                absent.Add(second);
            }

            if (absent.Count == 0)
            {
                available.Add(new ResolvedLfwPair(pair, first, second));
            }
            else
            {
                missing.Add(new MissingLfwPair(pair, absent));
            }
        }

        string[] missingImages = exists.Where(entry => !entry.Value).Select(entry => entry.Key).Order(StringComparer.Ordinal).ToArray();
        return new LfwResolution(imageRoot, available, missing, missingImages);
    }

    private static bool CheckExists(string path, Dictionary<string, bool> cache)
    {
        if (!cache.TryGetValue(path, out bool found))
        {
            found = File.Exists(path);
            cache[path] = found;
        }
        return found;
    }

    private static LfwPair ParsePair(string[] fields, int fold, int line, bool isSame, string source)
    {
        if (isSame)
        {
            if (fields.Length != 3 || !TryParsePositive(fields[1], out int i) || !TryParsePositive(fields[2], out int j))
            {
                throw new FormatException(
                    $"{source} line {line}: '{string.Join(' ', fields)}' is not a matched pair of fold {fold}; " +
                    "expected 'name i j' with 1-based image numbers.");
            }
            return new LfwPair(fold, line, fields[0], i, fields[0], j, IsSame: true);
        }

        if (fields.Length != 4 || !TryParsePositive(fields[1], out int first) || !TryParsePositive(fields[3], out int second))
        {
            throw new FormatException(
                $"{source} line {line}: '{string.Join(' ', fields)}' is not a mismatched pair of fold {fold}; " +
                "expected 'name1 i name2 j' with 1-based image numbers.");
        }
        return new LfwPair(fold, line, fields[0], first, fields[2], second, IsSame: false);
    }

    private static bool TryParsePositive(string text, out int value) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value > 0;
}
