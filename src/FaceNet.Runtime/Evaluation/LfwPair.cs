namespace FaceNet.Runtime.Evaluation;

/// <summary>One verification pair from an LFW <c>pairs.txt</c> file.</summary>
/// <param name="Fold">1-based fold number.</param>
/// <param name="Line">1-based line number in the pairs file, for messages.</param>
/// <param name="FirstName">Person name of the first image, as in the folder name.</param>
/// <param name="FirstNumber">1-based image number of the first image.</param>
/// <param name="SecondName">Person name of the second image; equals <paramref name="FirstName"/> for a
/// same-identity pair.</param>
/// <param name="SecondNumber">1-based image number of the second image.</param>
/// <param name="IsSame">True for a matched (same identity) pair.</param>
public sealed record LfwPair(
    int Fold,
    int Line,
    string FirstName,
    int FirstNumber,
    string SecondName,
    int SecondNumber,
    bool IsSame)
{
    /// <summary>Formats the pair as it reads in the pairs file, for example "Abel_Pacheco 1 4".</summary>
    public override string ToString() => IsSame
        ? $"{FirstName} {FirstNumber} {SecondNumber}"
        : $"{FirstName} {FirstNumber} {SecondName} {SecondNumber}";
}
