namespace FaceNet.Runtime.Benchmarks;

/// <summary>One unit of timed work, such as a forward pass over a batch, with its counted FLOPs.</summary>
public interface IBenchmarkStep : IDisposable
{
    /// <summary>What one run does: <c>inference</c> or <c>training</c>.</summary>
    string Mode { get; }

    /// <summary>Images processed by one run.</summary>
    int Batch { get; }

    /// <summary>Floating-point operations of one run, counting a multiply-add as 2.</summary>
    double Flops { get; }

    /// <summary>Runs the step once and waits for the backend to finish.</summary>
    void Run();
}
