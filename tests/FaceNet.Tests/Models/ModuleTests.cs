using FaceNet.Runtime.Autograd;
using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Cpu;
using FaceNet.Runtime.Models;
using FaceNet.Runtime.Operations;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Tests.Models;

public class ModuleTests
{
    private static float[] Download(Tensor t)
    {
        var values = new float[t.Count];
        t.Backend.Download(t, values);
        return values;
    }

    [Fact]
    public void Module_SameSeed_GivesSameWeights()
    {
        using FaceNetModel first = Architectures.Create("nns2");
        using FaceNetModel second = Architectures.Create("nns2");

        first.Allocate(CpuBackend.Instance, seed: 5);
        second.Allocate(CpuBackend.Instance, seed: 5);

        Assert.Equal(Download(first.Parameters().First().Value), Download(second.Parameters().First().Value));
    }

    [Fact]
    public void Module_HeNormal_HasExpectedSpread()
    {
        using FaceNetModel model = Architectures.Create("nns2");
        model.Allocate(CpuBackend.Instance, seed: 5);

        // conv2 has fan-in 16 * 3 * 3 = 144, so He-normal weights have standard deviation sqrt(2 / 144).
        float[] weights = Download(model.Parameters().Single(p => p.Name == "conv2.weight").Value);
        double std = Math.Sqrt(weights.Sum(v => (double)v * v) / weights.Length);

        Assert.InRange(std, 0.9 * Math.Sqrt(2.0 / 144), 1.1 * Math.Sqrt(2.0 / 144));
    }

    [Fact]
    public void Module_ParametersBeforeAllocate_SaysWhatToCall()
    {
        FaceNetModel model = Architectures.Create("nn4-small2");

        var error = Assert.Throws<InvalidOperationException>(() => model.Parameters().ToList());

        Assert.Contains("Allocate", error.Message);
    }

    [Fact]
    public void Module_AllocateTwice_IsRejected()
    {
        using FaceNetModel model = Architectures.Create("nns2");
        model.Allocate(CpuBackend.Instance, seed: 1);

        Assert.Throws<InvalidOperationException>(() => model.Allocate(CpuBackend.Instance, seed: 1));
    }

    [Fact]
    public void Module_DuplicateChildNames_AreRejected()
    {
        var error = Assert.Throws<InvalidOperationException>(() => new FaceNetModel("dup", 8, 8, 4,
            new Sequential("body", new PoolLayer("pool", PoolKind.Max, 2, 2), new PoolLayer("pool", PoolKind.Max, 2, 2)),
            new FullyConnectedLayer("fc", 3 * 2 * 2, 4)));

        Assert.Contains("'pool'", error.Message);
    }

    [Fact]
    public void Module_MismatchedChannels_NamesLayer()
    {
        var error = Assert.Throws<InvalidOperationException>(() => new FaceNetModel("bad", 8, 8, 4,
            new ConvBlock("conv1", 3, 4, 3),
            new ConvBlock("conv2", 5, 4, 3),
            new FullyConnectedLayer("fc", 4 * 8 * 8, 4)));

        Assert.Contains("conv2", error.Message);
        Assert.Contains("5 channels", error.Message);
    }

    [Fact]
    public void LrnLayer_ForwardIntoSlice_MatchesForward()
    {
        var layer = new LrnLayer("lrn", LrnParameters.Default);
        var random = new Random(4);
        float[] values = Enumerable.Range(0, 2 * 6 * 3 * 3).Select(_ => (float)random.NextDouble()).ToArray();
        using Graph graph = Graph.ForInference(CpuBackend.Instance);
        Tensor x = graph.FromHost(values, 2, 6, 3, 3);
        ChannelConcat concat = Concat.Allocate(graph, 2, [1, 6], 3, 3);

        Tensor direct = layer.Forward(graph, x);
        layer.Forward(graph, x, concat[1]);

        Assert.Equal(Download(direct), Download(concat[1]));
    }
}
