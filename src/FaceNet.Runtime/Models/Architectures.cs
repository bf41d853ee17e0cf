using FaceNet.Runtime.Backends;

namespace FaceNet.Runtime.Models;

/// <summary>
/// The registry of embedding architectures by name. "The paper" here is Schroff, Kalenichenko and
/// Philbin, "FaceNet: A Unified Embedding for Face Recognition and Clustering", CVPR 2015. The layer
/// tables, and the design choices the paper leaves open, are documented in <c>docs/architectures.md</c>.
/// </summary>
/// <remarks>
/// Convolutions in the paper's models (nn1 to nns2) have a bias and ReLU and no batch normalisation, and
/// LRN sits where the paper's tables put "rnorm" or "norm" (size 5, alpha 1e-4, beta 0.75, k 1).
/// nn4-small2 follows OpenFace: bias, batch normalisation (epsilon 1e-5) and ReLU after every convolution.
/// </remarks>
public static class Architectures
{
    private static readonly Dictionary<string, Func<int, FaceNetModel>> Factories =
        new(StringComparer.OrdinalIgnoreCase)
        {
            ["nn1"] = Nn1,
            ["nn2"] = d => InceptionNet("nn2", 224, d, fiveByFiveInBlock5: true),
            ["nn3"] = d => InceptionNet("nn3", 160, d, fiveByFiveInBlock5: true),
            ["nn4"] = d => InceptionNet("nn4", 96, d, fiveByFiveInBlock5: false),
            ["nns1"] = Nns1,
            ["nns2"] = Nns2,
            ["nn4-small2"] = Nn4Small2,
        };

    /// <summary>Every registered name, in the paper's order with nn4-small2 last.</summary>
    public static IReadOnlyList<string> Names { get; } = ["nn1", "nn2", "nn3", "nn4", "nns1", "nns2", "nn4-small2"];

    /// <summary>Whether <paramref name="name"/> is registered (case-insensitive).</summary>
    public static bool IsKnown(string name) => Factories.ContainsKey(name);

    /// <summary>Builds the description of architecture <paramref name="name"/>; no weights are allocated.</summary>
    /// <param name="name">A name from <see cref="Names"/>, case-insensitive.</param>
    /// <param name="embeddingSize">Length of the embedding; the paper uses 128.</param>
    /// <exception cref="ArgumentException">The name is not registered; the message lists the valid names.</exception>
    public static FaceNetModel Create(string name, int embeddingSize = 128)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(embeddingSize, 1);
        if (!Factories.TryGetValue(name, out var factory))
        {
            throw new ArgumentException(
                $"Unknown architecture '{name}'. Valid names: {string.Join(", ", Names)}.", nameof(name));
        }
        return factory(embeddingSize);
    }

    private static LrnLayer Lrn(string name) => new(name, LrnParameters.Default);

    private static PoolLayer MaxPool(string name) => new(name, PoolKind.Max, 3, 2, 1);

    /// <summary>
    /// NN1: the Zeiler and Fergus style network with 1x1 reductions, 220x220 input, and two maxout fully
    /// connected layers (p = 2) before the embedding.
    /// </summary>
    private static FaceNetModel Nn1(int d)
    {
        ConvOptions c = ConvOptions.BiasRelu;
        return new FaceNetModel("nn1", 220, 220, d,
            new ConvBlock("conv1", 3, 64, 7, 2, 3, c),
            MaxPool("pool1"),
            Lrn("rnorm1"),
            new ConvBlock("conv2a", 64, 64, 1, options: c),
            new ConvBlock("conv2", 64, 192, 3, options: c),
            Lrn("rnorm2"),
            MaxPool("pool2"),
            new ConvBlock("conv3a", 192, 192, 1, options: c),
            new ConvBlock("conv3", 192, 384, 3, options: c),
            MaxPool("pool3"),
            new ConvBlock("conv4a", 384, 384, 1, options: c),
            new ConvBlock("conv4", 384, 256, 3, options: c),
            new ConvBlock("conv5a", 256, 256, 1, options: c),
            new ConvBlock("conv5", 256, 256, 3, options: c),
            new ConvBlock("conv6a", 256, 256, 1, options: c),
            new ConvBlock("conv6", 256, 256, 3, options: c),
            MaxPool("pool4"),
            new FullyConnectedLayer("fc1", 7 * 7 * 256, 32 * 128, maxoutPool: 2),
            new FullyConnectedLayer("fc2", 32 * 128, 32 * 128, maxoutPool: 2),
            new FullyConnectedLayer("fc7128", 32 * 128, d),
            new L2NormalizationLayer("l2"));
    }

    /// <summary>
    /// NN2 (224), NN3 (160) and NN4 (96): the paper's Table 2 inception network at the given input size.
    /// NN4 drops the 5x5 branches of blocks 5a and 5b, which the paper describes as "no 5x5 convolutions
    /// in the higher layers".
    /// </summary>
    private static FaceNetModel InceptionNet(string name, int size, int d, bool fiveByFiveInBlock5)
    {
        ConvOptions c = ConvOptions.BiasRelu;
        int five = fiveByFiveInBlock5 ? 1 : 0;
        var stem = new Module[]
        {
            new ConvBlock("conv1", 3, 64, 7, 2, 3, c),
            MaxPool("pool1"),
            Lrn("norm1"),
            new Sequential("inception2",
                new ConvBlock("reduce", 64, 64, 1, options: c),
                new ConvBlock("conv", 64, 192, 3, options: c)),
            Lrn("norm2"),
            MaxPool("pool2"),
        };
        var blocks = new (string Name, InceptionSpec Spec)[]
        {
            ("inception3a", new InceptionSpec(64, 96, 128, 16, 32, PoolKind.Max, 32)),
            ("inception3b", new InceptionSpec(64, 96, 128, 32, 64, PoolKind.L2, 64)),
            ("inception3c", new InceptionSpec(0, 128, 256, 32, 64, PoolKind.Max, 0, Stride: 2, PoolStride: 2)),
            ("inception4a", new InceptionSpec(256, 96, 192, 32, 64, PoolKind.L2, 128)),
            ("inception4b", new InceptionSpec(224, 112, 224, 32, 64, PoolKind.L2, 128)),
            ("inception4c", new InceptionSpec(192, 128, 256, 32, 64, PoolKind.L2, 128)),
            ("inception4d", new InceptionSpec(160, 144, 288, 32, 64, PoolKind.L2, 128)),
            ("inception4e", new InceptionSpec(0, 160, 256, 64, 128, PoolKind.Max, 0, Stride: 2, PoolStride: 2)),
            ("inception5a", new InceptionSpec(384, 192, 384, 48 * five, 128 * five, PoolKind.L2, 128)),
            ("inception5b", new InceptionSpec(384, 192, 384, 48 * five, 128 * five, PoolKind.Max, 128)),
        };
        return BuildInception(name, size, size, d, stem, blocks, c, globalPool: true);
    }

    /// <summary>
    /// NNS1: a "mini" inception network for 165x165 input with two inception stages and a large maxout
    /// fully connected layer, sized to the paper's 26M parameters and 220M multiply-adds.
    /// </summary>
    private static FaceNetModel Nns1(int d)
    {
        ConvOptions c = ConvOptions.BiasRelu;
        var stem = new Module[]
        {
            new ConvBlock("conv1", 3, 48, 7, 2, 3, c),
            MaxPool("pool1"),
            Lrn("norm1"),
            new Sequential("inception2",
                new ConvBlock("reduce", 48, 48, 1, options: c),
                new ConvBlock("conv", 48, 80, 3, options: c)),
            Lrn("norm2"),
            MaxPool("pool2"),
        };
        var blocks = new (string Name, InceptionSpec Spec)[]
        {
            ("inception3a", new InceptionSpec(32, 48, 64, 8, 16, PoolKind.Max, 16)),
            ("inception3c", new InceptionSpec(0, 64, 128, 16, 32, PoolKind.Max, 0, Stride: 2, PoolStride: 2)),
            ("inception4a", new InceptionSpec(128, 96, 192, 16, 32, PoolKind.L2, 64)),
            ("inception4e", new InceptionSpec(0, 128, 256, 32, 64, PoolKind.Max, 0, Stride: 2, PoolStride: 2)),
        };
        return BuildInception("nns1", 165, 165, d, stem, blocks, c, globalPool: false, fcHidden: 480);
    }

    /// <summary>
    /// NNS2: a "tiny" inception network for 140x116 (height x width) input without 5x5 branches, sized to
    /// the paper's 4.3M parameters and 20M multiply-adds.
    /// </summary>
    private static FaceNetModel Nns2(int d)
    {
        ConvOptions c = ConvOptions.BiasRelu;
        var stem = new Module[]
        {
            new ConvBlock("conv1", 3, 16, 5, 2, 2, c),
            MaxPool("pool1"),
            new ConvBlock("conv2", 16, 24, 3, options: c),
            MaxPool("pool2"),
        };
        var blocks = new (string Name, InceptionSpec Spec)[]
        {
            ("inception3a", new InceptionSpec(16, 16, 32, 0, 0, PoolKind.Max, 16)),
            ("inception3c", new InceptionSpec(0, 32, 64, 0, 0, PoolKind.Max, 0, Stride: 2, PoolStride: 2)),
            ("inception4e", new InceptionSpec(0, 64, 128, 0, 0, PoolKind.Max, 0, Stride: 2, PoolStride: 2)),
            ("inception5a", new InceptionSpec(96, 64, 128, 0, 0, PoolKind.L2, 32)),
        };
        return BuildInception("nns2", 140, 116, d, stem, blocks, c, globalPool: false, fcHidden: 384);
    }

    /// <summary>
    /// OpenFace nn4.small2 for 96x96 input: 3,733,968 parameters. Pool branches without padding come out
    /// smaller than their block and are zero-padded back to its size.
    /// </summary>
    private static FaceNetModel Nn4Small2(int d)
    {
        ConvOptions c = ConvOptions.BiasBatchNormRelu;
        var stem = new Module[]
        {
            new ConvBlock("conv1", 3, 64, 7, 2, 3, c),
            MaxPool("pool1"),
            Lrn("lrn1"),
            new ConvBlock("conv2", 64, 64, 1, options: c),
            new ConvBlock("conv3", 64, 192, 3, 1, 1, c),
            Lrn("lrn2"),
            MaxPool("pool2"),
        };
        var blocks = new (string Name, InceptionSpec Spec)[]
        {
            ("inception3a", new InceptionSpec(64, 96, 128, 16, 32, PoolKind.Max, 32,
                PoolStride: 2, PoolPadding: 0)),
            ("inception3b", new InceptionSpec(64, 96, 128, 32, 64, PoolKind.L2, 64,
                PoolStride: 3, PoolPadding: 0)),
            ("inception3c", new InceptionSpec(0, 128, 256, 32, 64, PoolKind.Max, 0, Stride: 2,
                PoolStride: 2, PoolPadding: 0)),
            ("inception4a", new InceptionSpec(256, 96, 192, 32, 64, PoolKind.L2, 128,
                PoolStride: 3, PoolPadding: 0)),
            ("inception4e", new InceptionSpec(0, 160, 256, 64, 128, PoolKind.Max, 0, Stride: 2,
                PoolStride: 2, PoolPadding: 0)),
            ("inception5a", new InceptionSpec(256, 96, 384, 0, 0, PoolKind.L2, 96,
                PoolStride: 3, PoolPadding: 0)),
            ("inception5b", new InceptionSpec(256, 96, 384, 0, 0, PoolKind.Max, 96,
                PoolStride: 2, PoolPadding: 0)),
        };
        return BuildInception("nn4-small2", 96, 96, d, stem, blocks, c, globalPool: true);
    }

    /// <summary>
    /// Chains stem, inception blocks and head. With <paramref name="globalPool"/> the head is an average
    /// pool over the whole final map and one fully connected layer; otherwise it is a maxout (p = 2) fully
    /// connected layer of <paramref name="fcHidden"/> outputs on the flattened map, then the embedding layer.
    /// </summary>
    private static FaceNetModel BuildInception(string name, int height, int width, int d, Module[] stem,
        (string Name, InceptionSpec Spec)[] blocks, ConvOptions conv, bool globalPool, int fcHidden = 0)
    {
        var layers = new List<Module>(stem);
        FeatureShape shape = new(3, height, width);
        foreach (Module m in stem)
        {
            shape = m.OutputShape(shape);
        }
        foreach (var (blockName, spec) in blocks)
        {
            var block = new InceptionBlock(blockName, shape.Channels, spec, conv);
            shape = block.OutputShape(shape);
            layers.Add(block);
        }
        if (globalPool)
        {
            if (shape.Height != shape.Width)
            {
                throw new InvalidOperationException($"{name}: global average pooling needs a square map, got {shape}.");
            }
            layers.Add(new PoolLayer("avgpool", PoolKind.Average, shape.Height, 1));
            layers.Add(new FullyConnectedLayer("fc", shape.Channels, d));
        }
        else
        {
            layers.Add(new FullyConnectedLayer("fc1", (int)shape.Elements, fcHidden, maxoutPool: 2));
            layers.Add(new FullyConnectedLayer("fc2", fcHidden, d));
        }
        layers.Add(new L2NormalizationLayer("l2"));
        return new FaceNetModel(name, height, width, d, layers.ToArray());
    }
}
