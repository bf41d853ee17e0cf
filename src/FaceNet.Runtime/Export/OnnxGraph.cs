using System.Runtime.InteropServices;

namespace FaceNet.Runtime.Export;

/// <summary>
/// An ONNX graph under construction: nodes in topological order, float and int64 initializers, one
/// float input and one float output. Field numbers are those of <c>onnx.proto</c> (ONNX 1.x).
/// </summary>
internal sealed class OnnxGraph
{
    // onnx.proto enum values.
    private const int ElementFloat = 1;
    private const int ElementInt64 = 7;
    private const int AttributeFloat = 1;
    private const int AttributeInt = 2;
    private const int AttributeInts = 7;

    private readonly List<ProtobufWriter> _nodes = new();
    private readonly List<ProtobufWriter> _initializers = new();
    private int _nextId;

    /// <summary>Returns a fresh value name with the given prefix.</summary>
    public string NewName(string prefix) => $"{prefix}_{_nextId++}";

    /// <summary>Adds a float initializer and returns its name.</summary>
    public string AddInitializer(string name, int[] dims, float[] values)
    {
        var tensor = new ProtobufWriter();
        foreach (int d in dims)
        {
            tensor.Int64(1, d);
        }
        tensor.Int64(2, ElementFloat).String(8, name).Bytes(9, MemoryMarshal.AsBytes(values.AsSpan()));
        _initializers.Add(tensor);
        return name;
    }

    /// <summary>
    /// Adds an int64 vector initializer (such as Pad's pads or Reshape's shape) and returns its name.
    /// </summary>
    public string AddInt64Initializer(string name, long[] values)
    {
        var tensor = new ProtobufWriter().Int64(1, values.Length).Int64(2, ElementInt64).String(8, name)
            .Bytes(9, MemoryMarshal.AsBytes(values.AsSpan()));
        _initializers.Add(tensor);
        return name;
    }

    /// <summary>Adds a node with one freshly named output and returns the output's name.</summary>
    public string AddNode(string opType, string[] inputs, params OnnxAttribute[] attributes) =>
        AddNode(opType, inputs, NewName(opType.ToLowerInvariant()), attributes);

    /// <summary>Adds a node whose one output is called <paramref name="output"/> and returns that name.</summary>
    public string AddNode(string opType, string[] inputs, string output, params OnnxAttribute[] attributes)
    {
        var node = new ProtobufWriter();
        foreach (string input in inputs)
        {
            node.String(1, input);
        }
        node.String(2, output).String(3, output).String(4, opType);
        foreach (OnnxAttribute a in attributes)
        {
            node.Message(5, EncodeAttribute(a));
        }
        _nodes.Add(node);
        return output;
    }

    /// <summary>
    /// Encodes the model: IR version 7, the default operator set at <paramref name="opset"/>, input and
    /// output as float tensors whose first dimension is the symbolic batch size <c>N</c>.
    /// </summary>
    public byte[] ToModel(string graphName, string input, int[] inputSampleDims, string output,
        int[] outputSampleDims, int opset, string producerVersion)
    {
        var graph = new ProtobufWriter();
        foreach (ProtobufWriter node in _nodes)
        {
            graph.Message(1, node);
        }
        graph.String(2, graphName);
        foreach (ProtobufWriter tensor in _initializers)
        {
            graph.Message(5, tensor);
        }
        graph.Message(11, ValueInfo(input, inputSampleDims));
        graph.Message(12, ValueInfo(output, outputSampleDims));

        var opsetId = new ProtobufWriter().String(1, "").Int64(2, opset);
        return new ProtobufWriter()
            .Int64(1, 7)
            .String(2, "FaceNet.NET")
            .String(3, producerVersion)
            .Message(7, graph)
            .Message(8, opsetId)
            .ToArray();
    }

    private static ProtobufWriter ValueInfo(string name, int[] sampleDims)
    {
        var shape = new ProtobufWriter();
        shape.Message(1, new ProtobufWriter().String(2, "N"));
        foreach (int d in sampleDims)
        {
            shape.Message(1, new ProtobufWriter().Int64(1, d));
        }
        var tensorType = new ProtobufWriter().Int64(1, ElementFloat).Message(2, shape);
        var type = new ProtobufWriter().Message(1, tensorType);
        return new ProtobufWriter().String(1, name).Message(2, type);
    }

    private static ProtobufWriter EncodeAttribute(OnnxAttribute a)
    {
        var attribute = new ProtobufWriter().String(1, a.Name);
        if (a.Ints is not null)
        {
            foreach (long v in a.Ints)
            {
                attribute.Int64(8, v);
            }
            return attribute.Int64(20, AttributeInts);
        }
        if (a.FloatValue is float f)
        {
            return attribute.Float(2, f).Int64(20, AttributeFloat);
        }
        return attribute.Int64(3, a.IntValue).Int64(20, AttributeInt);
    }
}

/// <summary>A node attribute: an int, a float or a list of ints.</summary>
internal sealed record OnnxAttribute(string Name, long IntValue = 0, float? FloatValue = null, long[]? Ints = null)
{
    public static OnnxAttribute Int(string name, long value) => new(name, IntValue: value);

    public static OnnxAttribute Float(string name, float value) => new(name, FloatValue: value);

    public static OnnxAttribute IntList(string name, params long[] values) => new(name, Ints: values);
}
