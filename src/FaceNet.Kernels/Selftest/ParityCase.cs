using FaceNet.Runtime.Backends;

namespace FaceNet.Kernels.Selftest;

/// <summary>
/// One parity check: a computation run on a reference and a candidate backend from the same seeded inputs,
/// whose named outputs (downloaded to the host) are compared value by value.
/// </summary>
/// <param name="Operation">Operation name, e.g. <c>conv2d 3x3</c>.</param>
/// <param name="Shape">Input shapes, for the report.</param>
/// <param name="Tolerance">Tolerance for every output of the case.</param>
/// <param name="Run">Runs the computation on a backend and returns each output's name and values.</param>
public sealed record ParityCase(string Operation, string Shape, ParityTolerance Tolerance,
    Func<IBackend, IReadOnlyList<(string Output, float[] Values)>> Run);
