using FaceNet.Runtime.Training;

namespace FaceNet.Tests.Training;

public class TrainingLogTests
{
    private static StepRecord Row(long step) => new(step, 0.1 * step, 10, 4, 20, 0.5, 0.7, 1.1, 12.5, 0.05, step);

    [Fact]
    public void Resume_DropsRowsAfterResumedStep()
    {
        string path = Path.Combine(Path.GetTempPath(), $"facenet-log-{Guid.NewGuid():N}.csv");
        try
        {
            using (TrainingLog log = TrainingLog.Create(path))
            {
                for (int s = 1; s <= 5; s++)
                {
                    log.Append(Row(s));
                }
            }
            using (TrainingLog resumed = TrainingLog.Resume(path, 3))
            {
                Assert.Equal(new long[] { 1, 2, 3 }, resumed.Records.Select(r => r.Step).ToArray());
                resumed.Append(Row(4));
            }
            string[] lines = File.ReadAllLines(path);
            Assert.Equal(StepRecord.CsvHeader, lines[0]);
            Assert.Equal(5, lines.Length);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void StepRecord_CsvRoundTrip_KeepsValues()
    {
        StepRecord row = Row(7);
        Assert.Equal(row, StepRecord.FromCsv(row.ToCsv()));
    }

    [Fact]
    public void Resume_TornLastRow_IsDropped()
    {
        string path = Path.Combine(Path.GetTempPath(), $"facenet-log-{Guid.NewGuid():N}.csv");
        try
        {
            File.WriteAllLines(path, new[] { StepRecord.CsvHeader, Row(1).ToCsv(), "2,0.3,1" });
            using TrainingLog resumed = TrainingLog.Resume(path, 10);
            Assert.Single(resumed.Records);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
