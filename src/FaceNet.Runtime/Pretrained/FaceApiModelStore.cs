using System.ComponentModel;
using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;

namespace FaceNet.Runtime.Pretrained;

/// <summary>
/// A cache folder of the face-api pretrained weights (TensorFlow.js manifests and .bin files from the npm
/// package <c>@vladmandic/face-api</c>, MIT licence). Missing files are fetched with <c>npm pack</c>, and
/// every file is checked against the SHA-256 recorded here each time it is requested.
/// </summary>
/// <remarks>
/// The cache root is, in order: the constructor argument, the <c>FACENET_MODELS</c> environment variable,
/// <c>$XDG_CACHE_HOME/facenet/models</c>, <c>~/.cache/facenet/models</c>. Files live in the subfolder
/// <c>face-api-1.7.15</c> of the root, so another package version never mixes with these.
/// </remarks>
public sealed class FaceApiModelStore
{
    /// <summary>The npm package that ships the weights.</summary>
    public const string PackageName = "@vladmandic/face-api";

    /// <summary>The package version whose files the checksums below describe.</summary>
    public const string PackageVersion = "1.7.15";

    /// <summary>Environment variable that overrides the cache root.</summary>
    public const string DirectoryVariable = "FACENET_MODELS";

    /// <summary>Folder of the weights inside the npm package archive.</summary>
    private const string ArchiveModelFolder = "package/model/";

    /// <summary>Longest wait for <c>npm pack</c>; the archive is about 13 MB.</summary>
    private static readonly TimeSpan NpmTimeout = TimeSpan.FromMinutes(5);

    /// <summary>
    /// SHA-256 of every file this engine reads, computed from the files of
    /// <c>@vladmandic/face-api@1.7.15</c> as <c>npm pack</c> delivers them.
    /// </summary>
    private static readonly Dictionary<string, string> Checksums = new(StringComparer.Ordinal)
    {
        ["face_recognition_model-weights_manifest.json"] =
            "cbaffa501b0b9275a12b63357a6843e7e30c054e1c9151e1a5f879b26e32986b",
        ["face_recognition_model.bin"] = "b413e420d6840b2775fba32008db6f3cddb07d485967fb42cfcf379c16a8c589",
        ["face_landmark_68_model-weights_manifest.json"] =
            "ca4886639f86e99b39fed0c155f81b63317225773bd9616716e887b0153389c9",
        ["face_landmark_68_model.bin"] = "4611ef65c87d836d03d684b30eec4d195d8b219fa1dd58fc58945831c6b9299b",
        ["tiny_face_detector_model-weights_manifest.json"] =
            "5d1af4849ac48d5b985f4a9b16010c512353ddd6fcc63d50fd0bc9e9e64296e5",
        ["tiny_face_detector_model.bin"] = "b7503ce7df31039b1c43316a9b865cab6a70dd748cc602d3fa28b551503c3871",
        ["ssd_mobilenetv1_model-weights_manifest.json"] =
            "888f744dffbc84f5f060d1f8427d9742341943a2dfaaf9205d10029b7e7a2955",
        ["ssd_mobilenetv1_model.bin"] = "2835640602d53718aa6ae9a42896327eaa21beefed056c218d32ca7d79e1e2f8",
    };

    /// <summary>Serialises fetches within the process; separate processes stay safe through atomic renames.</summary>
    private static readonly object FetchLock = new();

    private readonly Action<string> _progress;

    /// <summary>Creates a store over a cache root.</summary>
    /// <param name="root">Cache root; null picks the default described on the class.</param>
    /// <param name="progress">Receives progress lines while files are fetched; null writes them to standard error.</param>
    public FaceApiModelStore(string? root = null, Action<string>? progress = null)
    {
        Root = Path.GetFullPath(string.IsNullOrWhiteSpace(root) ? DefaultRoot() : root);
        Directory = Path.Combine(Root, "face-api-" + PackageVersion);
        _progress = progress ?? (line => Console.Error.WriteLine(line));
    }

    /// <summary>The cache root.</summary>
    public string Root { get; }

    /// <summary>The folder that contains this package version's files: <c>Root/face-api-1.7.15</c>.</summary>
    public string Directory { get; }

    /// <summary>The npm executable run to fetch the package; <c>npm</c> from PATH unless set.</summary>
    public string NpmCommand { get; init; } = "npm";

    /// <summary>
    /// The default cache root: <c>FACENET_MODELS</c> when set, else <c>$XDG_CACHE_HOME/facenet/models</c>, else
    /// <c>~/.cache/facenet/models</c>.
    /// </summary>
    public static string DefaultRoot()
    {
        string? fromEnvironment = Environment.GetEnvironmentVariable(DirectoryVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            return fromEnvironment;
        }
        string? cacheHome = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        if (string.IsNullOrWhiteSpace(cacheHome))
        {
            cacheHome = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        }
        return Path.Combine(cacheHome, "facenet", "models");
    }

    /// <summary>The file name stem of a model in the package: <c>face_recognition_model</c> and so on.</summary>
    public static string BaseName(FaceApiModel model) => model switch
    {
        FaceApiModel.FaceRecognition => "face_recognition_model",
        FaceApiModel.FaceLandmark68 => "face_landmark_68_model",
        FaceApiModel.TinyFaceDetector => "tiny_face_detector_model",
        FaceApiModel.SsdMobilenetV1 => "ssd_mobilenetv1_model",
        _ => throw new ArgumentOutOfRangeException(nameof(model), model, "Unknown face-api model."),
    };

    /// <summary>The manifest and weight file names of a model.</summary>
    public static IReadOnlyList<string> FileNames(FaceApiModel model) =>
        [BaseName(model) + "-weights_manifest.json", BaseName(model) + ".bin"];

    /// <summary>The recorded SHA-256 (lower-case hex) of a file of the package.</summary>
    /// <exception cref="ArgumentException">The file is not in the checksum table.</exception>
    public static string ExpectedSha256(string fileName) =>
        Checksums.TryGetValue(fileName, out string? sha)
            ? sha
            : throw new ArgumentException(
                $"'{fileName}' is not a face-api model file in the checksum table. Known files: {string.Join(", ", Checksums.Keys)}.",
                nameof(fileName));

    /// <summary>Where a model's manifest lives in the cache (whether or not it exists yet).</summary>
    public string ManifestPath(FaceApiModel model) => Path.Combine(Directory, FileNames(model)[0]);

    /// <summary>
    /// Makes sure a model's files are in the cache, fetching the package when any is missing, verifies their
    /// checksums, and returns the manifest path.
    /// </summary>
    /// <exception cref="ModelStoreException">npm is missing or failed, or a file's checksum does not match.</exception>
    public string Ensure(FaceApiModel model)
    {
        IReadOnlyList<string> names = FileNames(model);
        if (names.Any(name => !File.Exists(Path.Combine(Directory, name))))
        {
            lock (FetchLock)
            {
                if (names.Any(name => !File.Exists(Path.Combine(Directory, name))))
                {
                    Fetch();
                }
            }
        }
        foreach (string name in names)
        {
            VerifyFile(Path.Combine(Directory, name), name);
        }
        return ManifestPath(model);
    }

    /// <summary>Ensures the files of every model in <see cref="FaceApiModel"/>.</summary>
    public void EnsureAll()
    {
        foreach (FaceApiModel model in Enum.GetValues<FaceApiModel>())
        {
            Ensure(model);
        }
    }

    /// <summary>
    /// Installs every known file from an npm package archive (<c>.tgz</c>): extracts it next to its final
    /// place, verifies its checksum, then renames it into <see cref="Directory"/>, so a reader never sees a
    /// partial file. Nothing is installed when any file is missing or wrong.
    /// </summary>
    /// <exception cref="ModelStoreException">The archive lacks a file, or a file's checksum does not match.</exception>
    public void InstallFromArchive(string archivePath)
    {
        System.IO.Directory.CreateDirectory(Directory);
        var staged = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            ExtractKnownFiles(archivePath, staged);
            string[] missing = Checksums.Keys.Where(name => !staged.ContainsKey(name)).ToArray();
            if (missing.Length > 0)
            {
                throw new ModelStoreException(
                    $"The archive '{archivePath}' does not contain {string.Join(", ", missing)} under " +
                    $"{ArchiveModelFolder}; it is not {PackageName}@{PackageVersion}.");
            }
            foreach ((string name, string partial) in staged)
            {
                VerifyFile(partial, name, $"'{name}' from {PackageName}@{PackageVersion}");
            }
            foreach ((string name, string partial) in staged)
            {
                File.Move(partial, Path.Combine(Directory, name), overwrite: true);
            }
            staged.Clear();
        }
        finally
        {
            foreach (string partial in staged.Values)
            {
                File.Delete(partial);
            }
        }
    }

    private void ExtractKnownFiles(string archivePath, Dictionary<string, string> staged)
    {
        using FileStream file = File.OpenRead(archivePath);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var tar = new TarReader(gzip);
        while (tar.GetNextEntry() is { } entry)
        {
            if (!entry.Name.StartsWith(ArchiveModelFolder, StringComparison.Ordinal) || entry.DataStream is null)
            {
                continue;
            }
            string name = entry.Name[ArchiveModelFolder.Length..];
            if (!Checksums.ContainsKey(name) || staged.ContainsKey(name))
            {
                continue;
            }
            string partial = Path.Combine(Directory, $"{name}.partial-{Environment.ProcessId}-{Guid.NewGuid():N}");
            staged.Add(name, partial);
            using FileStream output = File.Create(partial);
            entry.DataStream.CopyTo(output);
        }
    }

    private void Fetch()
    {
        string spec = $"{PackageName}@{PackageVersion}";
        _progress($"Fetching the face-api models: npm pack {spec} (about 13 MB) into {Directory} ...");
        string temp = Path.Combine(Path.GetTempPath(), $"facenet-npm-{Environment.ProcessId}-{Guid.NewGuid():N}");
        System.IO.Directory.CreateDirectory(temp);
        try
        {
            string archive = RunNpmPack(spec, temp);
            InstallFromArchive(archive);
            _progress($"Installed the face-api {PackageVersion} models in {Directory}.");
        }
        finally
        {
            System.IO.Directory.Delete(temp, recursive: true);
        }
    }

    /// <summary>How to install the weights without npm: which files, from where, into which folder.</summary>
    private string ManualInstallHint(string spec) =>
        $"place these files by hand in {Directory}: {string.Join(", ", Checksums.Keys)} (folder package/model of " +
        $"the npm package {spec}).";

    /// <summary>
    /// Returns npm's error output, else its standard output, trimmed and cut to its last 2,000 characters,
    /// where npm states the cause.
    /// </summary>
    private static string NpmOutputTail(string stderr, string stdout)
    {
        const int MaxLength = 2000;
        string text = stderr.Trim();
        if (text.Length == 0)
        {
            text = stdout.Trim();
        }
        if (text.Length == 0)
        {
            return "npm printed no message.";
        }
        return text.Length <= MaxLength ? text : "..." + text[^MaxLength..];
    }

    private string RunNpmPack(string spec, string workingDirectory)
    {
        var start = new ProcessStartInfo(NpmCommand)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("pack");
        start.ArgumentList.Add(spec);
        // Error level, not --silent: npm's own error lines are what a failure message needs to show.
        start.ArgumentList.Add("--loglevel=error");

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new Win32Exception($"'{NpmCommand}' did not start.");
        }
        catch (Win32Exception e)
        {
            throw new ModelStoreException(
                $"Could not run '{NpmCommand}' to fetch the face-api models ({e.Message}). Install Node.js and npm " +
                $"(for example 'apt-get install nodejs npm'), or {ManualInstallHint(spec)}", e);
        }
        using (process)
        {
            Task<string> stdout = process.StandardOutput.ReadToEndAsync();
            Task<string> stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(NpmTimeout))
            {
                process.Kill(entireProcessTree: true);
                throw new ModelStoreException(
                    $"'npm pack {spec}' timed out after {NpmTimeout.TotalMinutes:0} minutes; check the network and " +
                    $"the npm registry setting, or {ManualInstallHint(spec)}");
            }
            if (process.ExitCode != 0)
            {
                throw new ModelStoreException(
                    $"'npm pack {spec}' failed with exit code {process.ExitCode}: {NpmOutputTail(stderr.Result, stdout.Result)} " +
                    $"Check the network and the npm registry setting, or {ManualInstallHint(spec)}");
            }
            _ = stdout.Result;
        }
        string[] archives = System.IO.Directory.GetFiles(workingDirectory, "*.tgz");
        if (archives.Length != 1)
        {
            throw new ModelStoreException(
                $"'npm pack {spec}' succeeded but left {archives.Length} .tgz files in {workingDirectory}, not 1.");
        }
        return archives[0];
    }

    /// <summary>Throws unless the file's SHA-256 equals the recorded one.</summary>
    private void VerifyFile(string path, string name, string? description = null)
    {
        string expected = ExpectedSha256(name);
        string actual = ComputeSha256(path);
        if (actual != expected)
        {
            string what = description ?? $"Model file '{path}'";
            throw new ModelStoreException(
                $"{what} has SHA-256 {actual}, but {PackageName}@{PackageVersion} ships {expected}. " +
                $"Delete the file and run again to fetch a fresh copy, or replace it with the file from the package.");
        }
    }

    /// <summary>Lower-case hex SHA-256 of a file.</summary>
    public static string ComputeSha256(string path)
    {
        using FileStream stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
