using FaceNet.Kernels.Selftest;
using FaceNet.Runtime.Cpu;

namespace FaceNet.Tests.Cuda;

/// <summary>
/// Runs the self-test's operation parity table on the emulated driver, one theory row per case, and checks that
/// the comparison itself reports differences.
/// </summary>
public sealed class OperationParityTests(EmulatedBackendFixture fixture) : IClassFixture<EmulatedBackendFixture>
{
    public static TheoryData<int> CaseIndices()
    {
        var data = new TheoryData<int>();
        for (int i = 0; i < OperationParity.Cases.Count; i++)
        {
            data.Add(i);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(CaseIndices))]
    public void Case_EmulatedDriver_MatchesCpu(int index)
    {
        ParityCase parityCase = OperationParity.Cases[index];

        IReadOnlyList<ParityResult> rows = OperationParity.Run(parityCase, CpuBackend.Instance, fixture.Backend);

        Assert.NotEmpty(rows);
        foreach (ParityResult row in rows)
        {
            Assert.True(row.Passed, $"{row.Operation} {row.Shape}: {row.Failures} of {row.Elements} values outside " +
                $"{row.Tolerance}; max abs error {row.MaxAbsoluteError:G3}, max rel error {row.MaxRelativeError:G3}.");
        }
    }

    [Fact]
    public void Cases_CoverEveryKernelFamily()
    {
        string[] operations = OperationParity.Cases.Select(c => c.Operation).ToArray();

        foreach (string family in new[] { "conv2d", "max pool", "avg pool", "l2 pool", "lrn", "batch norm", "relu",
                     "maxout", "zero pad", "l2 normalize", "fully connected", "triplet", "adagrad" })
        {
            Assert.True(operations.Any(o => o.StartsWith(family, StringComparison.Ordinal)), $"no case for {family}.");
        }
    }

    [Fact]
    public void Compare_ValueOutsideTolerance_CountsFailure()
    {
        ParityResult result = OperationParity.Compare("op", "[3]", [1f, 2f, 3f], [1f, 2.01f, 3f],
            ParityTolerance.Reduction, 0);

        Assert.Equal(1, result.Failures);
        Assert.False(result.Passed);
        Assert.Equal(0.01, result.MaxAbsoluteError, 1e-6);
        Assert.Equal(0.005, result.MaxRelativeError, 1e-6);
    }

    [Fact]
    public void Compare_NaNOnOneSide_CountsFailure()
    {
        ParityResult result = OperationParity.Compare("op", "[2]", [1f, 2f], [1f, float.NaN], ParityTolerance.Exact, 0);

        Assert.Equal(1, result.Failures);
    }

    [Fact]
    public void Compare_WithinTolerance_Passes()
    {
        ParityResult result = OperationParity.Compare("op", "[2]", [1f, -2f], [1.00005f, -2f], ParityTolerance.Reduction, 0);

        Assert.True(result.Passed);
    }
}
