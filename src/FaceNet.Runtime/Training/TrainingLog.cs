namespace FaceNet.Runtime.Training;

/// <summary>
/// The CSV log of a training run, one row per step. Rows are flushed as they are written, so a killed run
/// keeps its history. On resume, rows after the resumed step are dropped so that the log matches the run.
/// </summary>
public sealed class TrainingLog : IDisposable
{
    private readonly StreamWriter _writer;

    private TrainingLog(string path, StreamWriter writer, List<StepRecord> records)
    {
        Path = path;
        _writer = writer;
        Records = records;
    }

    /// <summary>The log file.</summary>
    public string Path { get; }

    /// <summary>Every row, in step order, including those read back on resume.</summary>
    public List<StepRecord> Records { get; }

    /// <summary>Starts a new log, replacing any file at <paramref name="path"/>.</summary>
    public static TrainingLog Create(string path)
    {
        var writer = new StreamWriter(path, append: false);
        writer.WriteLine(StepRecord.CsvHeader);
        writer.Flush();
        return new TrainingLog(path, writer, new List<StepRecord>());
    }

    /// <summary>Reopens a log for a run resumed after <paramref name="resumedStep"/>, keeping earlier rows.</summary>
    public static TrainingLog Resume(string path, long resumedStep)
    {
        var earlierRows = new List<StepRecord>();
        if (File.Exists(path))
        {
            foreach (string line in File.ReadLines(path).Skip(1))
            {
                if (string.IsNullOrWhiteSpace(line))
                {
                    continue;
                }
                StepRecord record;
                try
                {
                    record = StepRecord.FromCsv(line);
                }
                catch (FormatException)
                {
                    // A run killed mid-write can leave a torn last row; everything after it is dropped too.
                    break;
                }
                if (record.Step > resumedStep)
                {
                    break;
                }
                earlierRows.Add(record);
            }
        }
        var writer = new StreamWriter(path, append: false);
        writer.WriteLine(StepRecord.CsvHeader);
        foreach (StepRecord record in earlierRows)
        {
            writer.WriteLine(record.ToCsv());
        }
        writer.Flush();
        return new TrainingLog(path, writer, earlierRows);
    }

    /// <summary>Appends a row and flushes it.</summary>
    public void Append(StepRecord record)
    {
        Records.Add(record);
        _writer.WriteLine(record.ToCsv());
        _writer.Flush();
    }

    /// <inheritdoc />
    public void Dispose() => _writer.Dispose();
}
