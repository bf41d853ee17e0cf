using FaceNet.Runtime.Autograd;
using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Cpu;
using FaceNet.Runtime.Models;
using FaceNet.Runtime.Operations;
using FaceNet.Runtime.Tensors;
using FaceNet.Runtime.Training;

namespace FaceNet.Tests.Training;

/// <summary>
/// A training step of nn4-small2 (forward, semi-hard triplet loss, backward, AdaGrad update) in steady
/// state takes every tensor from the buffer pool: no new pooled array and no large managed allocation.
/// </summary>
/// <remarks>
/// GC.GetTotalAllocatedBytes counts the whole process, so this class runs in a collection that xunit
/// runs alone, after the parallel tests.
/// </remarks>
[Collection(AllocationMeasurementCollection.Name)]
public class SteadyStateAllocationTests
{
    /// <summary>
    /// Per-step budget for small managed objects (tensor wrappers, closures, task state). At batch 8 the
    /// conv1 output alone is 4.7 MB and the step's activations add up to far more. A step that allocated its
    /// activations instead of taking them from the pool would exceed this budget many times over.
    /// </summary>
    private const long SmallObjectBudgetBytes = 1_500_000;

    [Fact]
    public void TrainingStep_SteadyState_AllocatesNoLargeArrays()
    {
        var backend = new CpuBackend();
        using FaceNetModel model = Architectures.Create("nn4-small2");
        model.Allocate(backend, seed: 3);
        using var optimizer = new AdaGrad(model.Parameters());
        int[] labels = [0, 0, 1, 1, 2, 2, 3, 3];
        float[] images = Enumerable.Range(0, labels.Length * 3 * 96 * 96)
            .Select(i => (float)Math.Sin(i * 0.37)).ToArray();

        void Step()
        {
            using Graph graph = Graph.ForTraining(backend);
            Tensor x = graph.FromHost(images, labels.Length, 3, 96, 96);
            Tensor embeddings = model.Forward(graph, x);
            TripletLossResult loss = TripletLoss.SemiHard(graph, embeddings, labels, 0.2f, NegativePolicy.SemiHardOrHardest);
            loss.Backward();
            optimizer.Step(0.01f);
            optimizer.ZeroGradients();
        }

        for (int i = 0; i < 3; i++)
        {
            Step();
        }
        PoolStatistics before = backend.PoolStatistics;
        long bytesBefore = GC.GetTotalAllocatedBytes(precise: true);
        int largeObjectCollectionsBefore = GC.CollectionCount(2);

        Step();
        Step();

        long allocatedPerStep = (GC.GetTotalAllocatedBytes(precise: true) - bytesBefore) / 2;
        PoolStatistics after = backend.PoolStatistics;
        Assert.Equal(before.FreshAllocations, after.FreshAllocations);
        Assert.Equal(before.LiveBuffers, after.LiveBuffers);
        Assert.True(allocatedPerStep < SmallObjectBudgetBytes,
            $"A steady-state step allocated {allocatedPerStep:N0} managed bytes (budget {SmallObjectBudgetBytes:N0}).");
        Assert.True(GC.CollectionCount(2) - largeObjectCollectionsBefore <= 1, "Steady-state steps forced repeated full collections.");
    }
}

/// <summary>Tests that measure process-wide allocation and must not share the process with other tests.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AllocationMeasurementCollection
{
    public const string Name = "Allocation measurement";
}
