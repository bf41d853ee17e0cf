using FaceNet.Runtime.Autograd;
using FaceNet.Runtime.Backends;
using FaceNet.Runtime.Cpu;
using FaceNet.Runtime.Data;
using FaceNet.Runtime.Imaging;
using FaceNet.Runtime.Pretrained;
using FaceNet.Runtime.Tensors;
using FaceNet.Tests.Pretrained;

namespace FaceNet.Tests.Cuda;

/// <summary>The face-api tiny face detector and landmark network on the emulated CUDA backend against the CPU.</summary>
public sealed class DetectorParityTests(EmulatedBackendFixture fixture) : IClassFixture<EmulatedBackendFixture>
{
    /// <summary>
    /// Outputs are of order 1 to 10 after seven or sixteen convolutions of up to 4,608 products each, summed in
    /// tile order on the kernels and in GEMM order on the CPU: float32 rounding of a few 1e-7 per layer.
    /// </summary>
    private const double Tolerance = 1e-4;

    private static RgbImage LfwFace() => new ImageDecoder().Decode(Path.Combine(DataRoot.RequireExisting(), "lfw",
        "images", "Colin_Powell", "Colin_Powell_0001.jpg"));

    [Fact]
    public void TinyDetector_SmallInput_MatchesCpu()
    {
        string manifest = PretrainedModels.Manifest(FaceApiModel.TinyFaceDetector);
        using TinyFaceDetector cpu = TinyFaceDetector.Load(manifest, CpuBackend.Instance);
        using TinyFaceDetector emulated = TinyFaceDetector.Load(manifest, fixture.Backend);
        cpu.InputSize = emulated.InputSize = 128;
        float[] input = cpu.PrepareInput(LfwFace());

        float[] expected = Run(CpuBackend.Instance, g => cpu.Forward(g, g.FromHost(input, 1, 3, 128, 128)));
        float[] actual = Run(fixture.Backend, g => emulated.Forward(g, g.FromHost(input, 1, 3, 128, 128)));

        AssertClose("tiny detector head", expected, actual);
    }

    [Fact]
    public void LandmarkNet_OneFace_MatchesCpu()
    {
        string manifest = PretrainedModels.Manifest(FaceApiModel.FaceLandmark68);
        using FaceLandmark68Net cpu = FaceLandmark68Net.Load(manifest, CpuBackend.Instance);
        using FaceLandmark68Net emulated = FaceLandmark68Net.Load(manifest, fixture.Backend);
        float[] input = SquareInput.Build(LfwFace(), 70, 60, 110, 130, FaceLandmark68Net.InputSize,
            SquarePadding.Centred, FaceLandmark68Net.MeanRgb.ToArray(), 255f);
        const int size = FaceLandmark68Net.InputSize;

        float[] expected = Run(CpuBackend.Instance, g => cpu.Forward(g, g.FromHost(input, 1, 3, size, size)));
        float[] actual = Run(fixture.Backend, g => emulated.Forward(g, g.FromHost(input, 1, 3, size, size)));

        AssertClose("landmark outputs", expected, actual);
    }

    private static float[] Run(IBackend backend, Func<Graph, Tensor> forward)
    {
        using Graph graph = Graph.ForInference(backend);
        Tensor output = forward(graph);
        float[] values = new float[output.Count];
        backend.Download(output, values);
        return values;
    }

    private static void AssertClose(string what, float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= Tolerance * (1 + Math.Abs(expected[i])),
                $"{what} [{i}]: emulated CUDA {actual[i]:G9}, CPU {expected[i]:G9}.");
        }
    }
}
