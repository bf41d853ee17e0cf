using System.Text.Json.Nodes;
using FaceNet.Runtime.Autograd;
using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Checkpoints;
using FaceNet.Runtime.Cpu;
using FaceNet.Runtime.Models;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Tests.Checkpoints;

public sealed class CheckpointTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("facenet-checkpoint-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string PathOf(string name) => Path.Combine(_folder, name);

    // A small model with every tensor kind: conv weight and bias, batch norm scale, shift and running
    // statistics, and a fully connected layer.
    private static FaceNetModel TinyModel(int seed, string architecture = "tiny", int channels = 4)
    {
        var model = new FaceNetModel(architecture, 8, 8, 6,
            new ConvBlock("conv1", 3, channels, 3, 1, 1, ConvOptions.BiasBatchNormRelu),
            new PoolLayer("avgpool", PoolKind.Average, 8, 1),
            new FullyConnectedLayer("fc", channels, 6),
            new L2NormalizationLayer("l2"));
        model.Allocate(CpuBackend.Instance, seed);
        return model;
    }

    private static float[] Values(Parameter p)
    {
        var values = new float[p.Count];
        p.Value.Backend.Download(p.Value, values);
        return values;
    }

    private static Dictionary<string, float[]> Snapshot(FaceNetModel model) =>
        model.Parameters().ToDictionary(p => p.Name, Values);

    [Fact]
    public void Checkpoint_RoundTrip_RestoresEverything()
    {
        using FaceNetModel source = TinyModel(seed: 1);
        using FaceNetModel target = TinyModel(seed: 2);
        var accumulator = source.Parameters().First();
        var preprocessing = new JsonObject { ["size"] = 96, ["order"] = "rgb" };
        string path = PathOf("model.fnckpt");

        ModelCheckpoint.Save(path, source,
            optimizerState: [("adagrad.accumulator.conv1.weight", accumulator.Value)],
            extras: [new CheckpointTensor("step", TensorRole.Extra, [1], [1234f])],
            preprocessing: preprocessing,
            metadata: new Dictionary<string, string> { ["run"] = "unit-test" });
        CheckpointData loaded = ModelCheckpoint.Load(path, target);

        var expected = Snapshot(source);
        foreach (var (name, values) in Snapshot(target))
        {
            Assert.Equal(expected[name], values);
        }
        Assert.Equal(Values(accumulator), loaded.Find("adagrad.accumulator.conv1.weight")!.Values);
        Assert.Equal(TensorRole.Optimizer, loaded.Find("adagrad.accumulator.conv1.weight")!.Role);
        Assert.Equal([1234f], loaded.Find("step")!.Values);
        Assert.Equal(preprocessing.ToJsonString(), loaded.Preprocessing!.ToJsonString());
        Assert.Equal("unit-test", loaded.Metadata["run"]);
        Assert.Equal("tiny", loaded.Architecture);
        Assert.Equal(6, loaded.EmbeddingSize);
    }

    [Fact]
    public void Checkpoint_RoundTrip_RestoresRunningStatistics()
    {
        using FaceNetModel source = TinyModel(seed: 1);
        using FaceNetModel target = TinyModel(seed: 1);
        var (name, runningVar) = source.States().Single(s => s.Name.EndsWith("running_var", StringComparison.Ordinal));
        runningVar.Backend.Upload([0.5f, 1.5f, 2.5f, 3.5f], runningVar);
        string path = PathOf("model.fnckpt");

        ModelCheckpoint.Save(path, source);
        ModelCheckpoint.Load(path, target);

        Tensor restored = target.States().Single(s => s.Name == name).Tensor;
        var values = new float[4];
        restored.Backend.Download(restored, values);
        Assert.Equal([0.5f, 1.5f, 2.5f, 3.5f], values);
    }

    [Fact]
    public void Checkpoint_LoadedModel_ComputesSameEmbeddings()
    {
        using FaceNetModel source = TinyModel(seed: 1);
        using FaceNetModel target = TinyModel(seed: 2);
        var random = new Random(3);
        float[] images = Enumerable.Range(0, 2 * 3 * 8 * 8).Select(_ => (float)random.NextDouble()).ToArray();
        string path = PathOf("model.fnckpt");

        ModelCheckpoint.Save(path, source);
        ModelCheckpoint.Load(path, target);

        Assert.Equal(Embed(source, images), Embed(target, images));
    }

    private static float[] Embed(FaceNetModel model, float[] images)
    {
        using Graph graph = Graph.ForInference(CpuBackend.Instance);
        Tensor y = model.Forward(graph, graph.FromHost(images, 2, 3, 8, 8));
        var values = new float[y.Count];
        y.Backend.Download(y, values);
        return values;
    }

    [Fact]
    public void Checkpoint_TruncatedFile_IsRejected()
    {
        using FaceNetModel model = TinyModel(seed: 1);
        string path = PathOf("model.fnckpt");
        ModelCheckpoint.Save(path, model);
        byte[] bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^10]);

        var error = Assert.Throws<InvalidDataException>(() => CheckpointFile.Read(path));

        Assert.Contains("truncated", error.Message);
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void Checkpoint_TruncatedHeader_IsRejected()
    {
        using FaceNetModel model = TinyModel(seed: 1);
        string path = PathOf("model.fnckpt");
        ModelCheckpoint.Save(path, model);
        File.WriteAllBytes(path, File.ReadAllBytes(path)[..40]);

        var error = Assert.Throws<InvalidDataException>(() => CheckpointFile.Read(path));

        Assert.Contains("truncated", error.Message);
    }

    [Fact]
    public void Checkpoint_WrongMagic_IsRejected()
    {
        string path = PathOf("not-a-checkpoint.bin");
        File.WriteAllText(path, "this is a text file, not a checkpoint");

        var error = Assert.Throws<InvalidDataException>(() => CheckpointFile.Read(path));

        Assert.Contains("magic", error.Message);
    }

    [Fact]
    public void Checkpoint_RenamedTensor_NamesMissingTensor()
    {
        using FaceNetModel source = TinyModel(seed: 1);
        using FaceNetModel target = TinyModel(seed: 2);
        var before = Snapshot(target);
        CheckpointData captured = ModelCheckpoint.Capture(source);
        var renamed = new CheckpointData(captured.Architecture, captured.EmbeddingSize);
        foreach (CheckpointTensor t in captured.Tensors)
        {
            renamed.Add(t.Name == "fc.weight" ? t with { Name = "fc.kernel" } : t);
        }
        string path = PathOf("renamed.fnckpt");
        CheckpointFile.Write(path, renamed);

        var error = Assert.Throws<InvalidDataException>(() => ModelCheckpoint.Load(path, target));

        Assert.Contains("'fc.weight'", error.Message);
        Assert.Equal(before, Snapshot(target));
    }

    [Fact]
    public void Checkpoint_UnknownTensor_IsRejected()
    {
        using FaceNetModel source = TinyModel(seed: 1);
        using FaceNetModel target = TinyModel(seed: 2);
        CheckpointData data = ModelCheckpoint.Capture(source);
        data.Add(new CheckpointTensor("fc2.weight", TensorRole.Parameter, [2, 2], [1, 2, 3, 4]));
        string path = PathOf("extra.fnckpt");
        CheckpointFile.Write(path, data);

        var error = Assert.Throws<InvalidDataException>(() => ModelCheckpoint.Load(path, target));

        Assert.Contains("'fc2.weight'", error.Message);
    }

    [Fact]
    public void Checkpoint_WrongArchitecture_IsRejected()
    {
        using FaceNetModel source = TinyModel(seed: 1, architecture: "tiny-a");
        using FaceNetModel target = TinyModel(seed: 2, architecture: "tiny-b");
        string path = PathOf("model.fnckpt");
        ModelCheckpoint.Save(path, source);

        var error = Assert.Throws<InvalidDataException>(() => ModelCheckpoint.Load(path, target));

        Assert.Contains("'tiny-a'", error.Message);
        Assert.Contains("'tiny-b'", error.Message);
    }

    [Fact]
    public void Checkpoint_WrongShape_LeavesModelUnchanged()
    {
        using FaceNetModel source = TinyModel(seed: 1, channels: 4);
        using FaceNetModel target = TinyModel(seed: 2, channels: 5);
        var before = Snapshot(target);
        string path = PathOf("model.fnckpt");
        ModelCheckpoint.Save(path, source);

        var error = Assert.Throws<InvalidDataException>(() => ModelCheckpoint.Load(path, target));

        Assert.Contains("'conv1.weight'", error.Message);
        Assert.Contains("[4, 3, 3, 3]", error.Message);
        Assert.Contains("[5, 3, 3, 3]", error.Message);
        Assert.Equal(before, Snapshot(target));
    }

    [Fact]
    public void Checkpoint_NaNWeight_IsRejectedOnLoad()
    {
        using FaceNetModel source = TinyModel(seed: 1);
        using FaceNetModel target = TinyModel(seed: 2);
        var before = Snapshot(target);
        CheckpointData data = ModelCheckpoint.Capture(source);
        data.Find("fc.weight")!.Values[3] = float.NaN;
        string path = PathOf("nan.fnckpt");
        CheckpointFile.Write(path, data, stream => stream, checkFinite: false);

        var error = Assert.Throws<InvalidDataException>(() => ModelCheckpoint.Load(path, target));

        Assert.Contains("'fc.weight'", error.Message);
        Assert.Contains("NaN", error.Message);
        Assert.Equal(before, Snapshot(target));
    }

    [Fact]
    public void Checkpoint_NaNWeight_IsRejectedOnSave()
    {
        using FaceNetModel model = TinyModel(seed: 1);
        Parameter fc = model.Parameters().Single(p => p.Name == "fc.weight");
        float[] values = Values(fc);
        values[0] = float.PositiveInfinity;
        fc.Value.Backend.Upload(values, fc.Value);
        string path = PathOf("inf.fnckpt");

        var error = Assert.Throws<InvalidDataException>(() => ModelCheckpoint.Save(path, model));

        Assert.Contains("'fc.weight'", error.Message);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void Checkpoint_FlippedDataByte_FailsChecksum()
    {
        using FaceNetModel model = TinyModel(seed: 1);
        string path = PathOf("model.fnckpt");
        ModelCheckpoint.Save(path, model);
        byte[] bytes = File.ReadAllBytes(path);
        bytes[^5] ^= 0x01;
        File.WriteAllBytes(path, bytes);

        var error = Assert.Throws<InvalidDataException>(() => CheckpointFile.Read(path));

        Assert.Contains("SHA-256", error.Message);
    }

    [Fact]
    public void Checkpoint_FailedWrite_KeepsPreviousFile()
    {
        using FaceNetModel first = TinyModel(seed: 1);
        using FaceNetModel second = TinyModel(seed: 2);
        string path = PathOf("model.fnckpt");
        ModelCheckpoint.Save(path, first);
        byte[] original = File.ReadAllBytes(path);
        CheckpointData data = ModelCheckpoint.Capture(second);

        Assert.Throws<IOException>(() => CheckpointFile.Write(path, data, stream => new FailingStream(stream, 200)));

        Assert.Equal(original, File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(_folder));
    }

    [Fact]
    public void Checkpoint_FailedFirstWrite_LeavesNoFile()
    {
        using FaceNetModel model = TinyModel(seed: 1);
        string path = PathOf("model.fnckpt");

        Assert.Throws<IOException>(() =>
            CheckpointFile.Write(path, ModelCheckpoint.Capture(model), stream => new FailingStream(stream, 50)));

        Assert.Empty(Directory.GetFiles(_folder));
    }

    [Fact]
    public void Checkpoint_Nn4Small2_RoundTrips()
    {
        using FaceNetModel source = Architectures.Create("nn4-small2");
        using FaceNetModel target = Architectures.Create("nn4-small2");
        source.Allocate(CpuBackend.Instance, seed: 1);
        target.Allocate(CpuBackend.Instance, seed: 2);
        string path = PathOf("nn4-small2.fnckpt");

        ModelCheckpoint.Save(path, source);
        ModelCheckpoint.Load(path, target);

        const string name = "inception5b.branch1x1.weight";
        Assert.Equal(Values(source.Parameters().Single(p => p.Name == name)),
            Values(target.Parameters().Single(p => p.Name == name)));
        Assert.Equal(3_733_968L * sizeof(float), new FileInfo(path).Length - HeaderEnd(path) - StateBytes(target));
    }

    private static long StateBytes(FaceNetModel model) => model.States().Sum(s => (long)s.Tensor.Count * sizeof(float));

    private static long HeaderEnd(string path)
    {
        byte[] preamble = File.ReadAllBytes(path)[..16];
        return 16 + BitConverter.ToUInt32(preamble, 12);
    }

    /// <summary>Passes writes through until <c>limit</c> bytes, then throws as a full disk would.</summary>
    private sealed class FailingStream(Stream inner, long limit) : Stream
    {
        private long _written;

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => _written;
        public override long Position { get => _written; set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (_written + buffer.Length > limit)
            {
                inner.Write(buffer[..(int)(limit - _written)]);
                _written = limit;
                throw new IOException("No space left on device (simulated).");
            }
            inner.Write(buffer);
            _written += buffer.Length;
        }
    }
}
