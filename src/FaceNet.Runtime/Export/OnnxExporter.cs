using FaceNet.Runtime.Autograd;
using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Models;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Runtime.Export;

/// <summary>
/// Writes an allocated <see cref="FaceNetModel"/> as an ONNX model (operator set 13) for inference:
/// input <c>images</c> (N, 3, H, W), output <c>embeddings</c> (N, D). Batch normalisation uses the
/// running statistics, as on an inference graph.
/// </summary>
/// <remarks>
/// Layer mapping: convolution to Conv, BatchNormalization and Relu; max and average pooling to MaxPool and
/// AveragePool (count_include_pad=1, since the average divides by the full window); L2 pooling to LpPool
/// with p=2, which computes <c>(sum |x|^2)^(1/2)</c> with padded cells counted as zero; LRN to LRN, whose
/// alpha is divided by the window size as in Torch; inception blocks to their branches, Pad for a
/// branch that comes out smaller, and Concat; fully connected layers to Flatten and Gemm (transB=1), with
/// Reshape and ReduceMax for maxout; the final L2 normalisation to LpNormalization, which divides by the
/// norm without the engine's lower bound on it (the two differ only for an all-zero embedding).
/// </remarks>
public static class OnnxExporter
{
    /// <summary>Operator set version of the exported graph.</summary>
    public const int Opset = 13;

    /// <summary>Name of the graph input.</summary>
    public const string InputName = "images";

    /// <summary>Name of the graph output.</summary>
    public const string OutputName = "embeddings";

    /// <summary>Writes the model to <paramref name="path"/>.</summary>
    /// <exception cref="InvalidOperationException">The model has no weights, or contains a layer with no
    /// ONNX equivalent here (such as ceil-mode L2 pooling, which needs operator set 18).</exception>
    public static void Export(FaceNetModel model, string path) => File.WriteAllBytes(path, ToBytes(model));

    /// <summary>Encodes the model as ONNX protobuf bytes.</summary>
    /// <exception cref="InvalidOperationException">See <see cref="Export"/>.</exception>
    public static byte[] ToBytes(FaceNetModel model)
    {
        if (!model.IsAllocated)
        {
            throw new InvalidOperationException(
                $"Model '{model.Architecture}' has no weights; call Allocate or load a checkpoint before exporting.");
        }
        var values = new Dictionary<string, (int[] Dims, float[] Values)>(StringComparer.Ordinal);
        foreach (Parameter p in model.Parameters())
        {
            values[p.Name] = Download(p.Value);
        }
        foreach (var (name, tensor) in model.States())
        {
            values[name] = Download(tensor);
        }

        var writer = new ModuleWriter(new OnnxGraph(), values);
        string x = InputName;
        FeatureShape shape = model.InputShape;
        foreach (Module layer in model.Layers)
        {
            x = writer.Write(layer, x, shape);
            shape = layer.OutputShape(shape);
        }
        writer.Graph.AddNode("Identity", [x], OutputName);
        string version = typeof(OnnxExporter).Assembly.GetName().Version?.ToString() ?? "";
        return writer.Graph.ToModel(model.Architecture, InputName, [3, model.InputHeight, model.InputWidth],
            OutputName, [model.EmbeddingSize], Opset, version);
    }

    private static (int[] Dims, float[] Values) Download(Tensor t)
    {
        var host = new float[t.Count];
        t.Backend.Download(t, host);
        return (t.Dims.ToArray(), host);
    }

    private sealed class ModuleWriter(OnnxGraph graph, Dictionary<string, (int[] Dims, float[] Values)> values)
    {
        public OnnxGraph Graph { get; } = graph;

        public string Write(Module module, string x, FeatureShape input) => module switch
        {
            ConvBlock conv => WriteConv(conv, x),
            PoolLayer pool => WritePool(pool, x),
            LrnLayer lrn => Graph.AddNode("LRN", [x],
                OnnxAttribute.Int("size", lrn.Settings.Size),
                OnnxAttribute.Float("alpha", lrn.Settings.Alpha),
                OnnxAttribute.Float("beta", lrn.Settings.Beta),
                OnnxAttribute.Float("bias", lrn.Settings.K)),
            InceptionBlock block => WriteInception(block, x, input),
            Sequential sequence => WriteSequence(sequence, x, input),
            FullyConnectedLayer fc => WriteFullyConnected(fc, x, input),
            L2NormalizationLayer => Graph.AddNode("LpNormalization", [x],
                OnnxAttribute.Int("axis", 1), OnnxAttribute.Int("p", 2)),
            _ => throw new InvalidOperationException(
                $"Layer '{module.Path}' ({module.Kind}) has no ONNX mapping; extend OnnxExporter for it."),
        };

        private string Initializer(string name)
        {
            if (!values.TryGetValue(name, out var v))
            {
                throw new InvalidOperationException(
                    $"Tensor '{name}' is missing from the model's parameters and states.");
            }
            return Graph.AddInitializer(name, v.Dims, v.Values);
        }

        private string WriteConv(ConvBlock conv, string x)
        {
            string prefix = conv.Path + ".";
            var inputs = new List<string> { x, Initializer(prefix + "weight") };
            if (conv.Options.Bias)
            {
                inputs.Add(Initializer(prefix + "bias"));
            }
            long p = conv.Padding;
            string y = Graph.AddNode("Conv", inputs.ToArray(),
                OnnxAttribute.IntList("kernel_shape", conv.Kernel, conv.Kernel),
                OnnxAttribute.IntList("strides", conv.Stride, conv.Stride),
                OnnxAttribute.IntList("pads", p, p, p, p));
            if (conv.Options.BatchNorm)
            {
                y = Graph.AddNode("BatchNormalization",
                    [y, Initializer(prefix + "bn.gamma"), Initializer(prefix + "bn.beta"),
                        Initializer(prefix + "bn.running_mean"), Initializer(prefix + "bn.running_var")],
                    OnnxAttribute.Float("epsilon", conv.Options.BatchNormEpsilon));
            }
            if (conv.Options.Relu)
            {
                y = Graph.AddNode("Relu", [y]);
            }
            return y;
        }

        private string WritePool(PoolLayer pool, string x)
        {
            long k = pool.KernelSize;
            long s = pool.Stride;
            long p = pool.Padding;
            OnnxAttribute kernel = OnnxAttribute.IntList("kernel_shape", k, k);
            OnnxAttribute strides = OnnxAttribute.IntList("strides", s, s);
            OnnxAttribute pads = OnnxAttribute.IntList("pads", p, p, p, p);
            OnnxAttribute ceil = OnnxAttribute.Int("ceil_mode", pool.CeilMode ? 1 : 0);
            switch (pool.PoolKind)
            {
                case PoolKind.Max:
                    return Graph.AddNode("MaxPool", [x], kernel, strides, pads, ceil);
                case PoolKind.Average:
                    return Graph.AddNode("AveragePool", [x], kernel, strides, pads, ceil,
                        OnnxAttribute.Int("count_include_pad", 1));
                default:
                    if (pool.CeilMode)
                    {
                        throw new InvalidOperationException(
                            $"Layer '{pool.Path}': ceil-mode L2 pooling needs LpPool of operator set 18; " +
                            $"this exporter writes operator set {Opset}.");
                    }
                    return Graph.AddNode("LpPool", [x], kernel, strides, pads, OnnxAttribute.Int("p", 2));
            }
        }

        private string WriteSequence(Sequential sequence, string x, FeatureShape input)
        {
            FeatureShape shape = input;
            foreach (Module child in sequence.Children)
            {
                x = Write(child, x, shape);
                shape = child.OutputShape(shape);
            }
            return x;
        }

        private string WriteInception(InceptionBlock block, string x, FeatureShape input)
        {
            FeatureShape output = block.OutputShape(input);
            var parts = new List<string>();
            foreach (Module branch in block.Children)
            {
                string y = Write(branch, x, input);
                FeatureShape shape = branch.OutputShape(input);
                int padH = output.Height - shape.Height;
                int padW = output.Width - shape.Width;
                if (padH != 0 || padW != 0)
                {
                    // Same split as the engine: the top and left get the smaller half.
                    long[] pads = [0, 0, padH / 2, padW / 2, 0, 0, padH - padH / 2, padW - padW / 2];
                    string padsName = Graph.AddInt64Initializer(Graph.NewName(branch.Path + ".pads"), pads);
                    y = Graph.AddNode("Pad", [y, padsName]);
                }
                parts.Add(y);
            }
            return Graph.AddNode("Concat", parts.ToArray(), OnnxAttribute.Int("axis", 1));
        }

        private string WriteFullyConnected(FullyConnectedLayer fc, string x, FeatureShape input)
        {
            if (!input.IsFlat)
            {
                x = Graph.AddNode("Flatten", [x], OnnxAttribute.Int("axis", 1));
            }
            string prefix = fc.Path + ".";
            var inputs = new List<string> { x, Initializer(prefix + "weight") };
            if (fc.HasBias)
            {
                inputs.Add(Initializer(prefix + "bias"));
            }
            string y = Graph.AddNode("Gemm", inputs.ToArray(), OnnxAttribute.Int("transB", 1));
            if (fc.MaxoutPool > 1)
            {
                // Maxout groups are consecutive features: view (N, F * p) as (N, F, p), then take the max of p.
                string shape = Graph.AddInt64Initializer(Graph.NewName(fc.Path + ".maxout_shape"),
                    [0, fc.OutFeatures, fc.MaxoutPool]);
                y = Graph.AddNode("Reshape", [y, shape]);
                y = Graph.AddNode("ReduceMax", [y], OnnxAttribute.IntList("axes", 2), OnnxAttribute.Int("keepdims", 0));
            }
            if (fc.Relu)
            {
                y = Graph.AddNode("Relu", [y]);
            }
            return y;
        }
    }
}
