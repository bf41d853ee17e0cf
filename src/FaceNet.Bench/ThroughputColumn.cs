using System.Globalization;
using System.Reflection;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using FaceNet.Runtime.Benchmarks;

namespace FaceNet.Bench;

/// <summary>
/// Counted work of one benchmark invocation, computed from the [Params] values alone (no setup), so that a
/// column can turn BenchmarkDotNet's median time into a rate.
/// </summary>
public interface IThroughputWork
{
    /// <summary>Images (or samples) processed per invocation; 0 when the rate makes no sense.</summary>
    double Items { get; }

    /// <summary>FLOPs per invocation, 2 per multiply-add; 0 when not counted.</summary>
    double Flops { get; }
}

/// <summary>The rate columns: images/s, GFLOP/s and fraction of the CPU peak.</summary>
public enum ThroughputKind
{
    /// <summary>Items per second from the median time.</summary>
    ItemsPerSecond,

    /// <summary>GFLOP/s from the median time.</summary>
    Gflops,

    /// <summary>GFLOP/s over <see cref="CpuPeak.PeakGflops"/>.</summary>
    PeakFraction,
}

/// <summary>A summary column that divides a benchmark's counted work by its median time.</summary>
public sealed class ThroughputColumn(ThroughputKind kind) : IColumn
{
    private static readonly Lazy<CpuPeak> Peak = new(CpuPeak.Measure);

    /// <inheritdoc />
    public string Id => "Throughput." + kind;

    /// <inheritdoc />
    public string ColumnName => kind switch
    {
        ThroughputKind.ItemsPerSecond => "Images/s",
        ThroughputKind.Gflops => "GFLOP/s",
        _ => "Of peak",
    };

    /// <inheritdoc />
    public bool AlwaysShow => true;

    /// <inheritdoc />
    public ColumnCategory Category => ColumnCategory.Custom;

    /// <inheritdoc />
    public int PriorityInCategory => (int)kind;

    /// <inheritdoc />
    public bool IsNumeric => true;

    /// <inheritdoc />
    public UnitType UnitType => UnitType.Dimensionless;

    /// <inheritdoc />
    public string Legend => kind switch
    {
        ThroughputKind.ItemsPerSecond => "Images (or samples) per second from the median time",
        ThroughputKind.Gflops => "Counted FLOPs (2 per multiply-add) per second from the median time, in billions",
        _ => $"GFLOP/s over the CPU peak ({Peak.Value.PeakGflops:0.0} GFLOP/s, see docs/benchmarks.md)",
    };

    /// <inheritdoc />
    public bool IsAvailable(Summary summary) => true;

    /// <inheritdoc />
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    /// <inheritdoc />
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) =>
        GetValue(summary, benchmarkCase, SummaryStyle.Default);

    /// <inheritdoc />
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        double? medianNs = summary[benchmarkCase]?.ResultStatistics?.Median;
        IThroughputWork? work = WorkOf(benchmarkCase);
        if (medianNs is null || medianNs <= 0 || work is null)
        {
            return "-";
        }
        double seconds = medianNs.Value / 1e9;
        double gflops = work.Flops / seconds / 1e9;
        return kind switch
        {
            ThroughputKind.ItemsPerSecond => work.Items > 0 ? Format(work.Items / seconds, "0.0") : "-",
            ThroughputKind.Gflops => work.Flops > 0 ? Format(gflops, "0.00") : "-",
            _ => work.Flops > 0 ? Format(gflops / Peak.Value.PeakGflops, "P1") : "-",
        };
    }

    /// <inheritdoc />
    public override string ToString() => ColumnName;

    private static string Format(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);

    // Creates a fresh instance of the benchmark class and assigns this case's [Params] values. The
    // constructors allocate nothing, and the work counts depend on the parameters only.
    private static IThroughputWork? WorkOf(BenchmarkCase benchmarkCase)
    {
        Type type = benchmarkCase.Descriptor.Type;
        if (!typeof(IThroughputWork).IsAssignableFrom(type))
        {
            return null;
        }
        object instance = Activator.CreateInstance(type)!;
        foreach (var parameter in benchmarkCase.Parameters.Items)
        {
            const BindingFlags flags = BindingFlags.Public | BindingFlags.Instance;
            if (type.GetProperty(parameter.Name, flags) is { CanWrite: true } property)
            {
                property.SetValue(instance, parameter.Value);
            }
            else
            {
                type.GetField(parameter.Name, flags)?.SetValue(instance, parameter.Value);
            }
        }
        return (IThroughputWork)instance;
    }
}

/// <summary>Default columns plus images/s, GFLOP/s and fraction of peak.</summary>
public sealed class ThroughputConfig : ManualConfig
{
    /// <summary>Creates the configuration.</summary>
    public ThroughputConfig()
    {
        AddColumn(new ThroughputColumn(ThroughputKind.ItemsPerSecond));
        AddColumn(new ThroughputColumn(ThroughputKind.Gflops));
        AddColumn(new ThroughputColumn(ThroughputKind.PeakFraction));
        AddColumn(StatisticColumn.Median);

        // On a shared machine the fastest iteration is the one least disturbed by other processes.
        AddColumn(StatisticColumn.Min);
    }
}
