using FaceNet.Runtime.Cpu;
using FaceNet.Runtime.Data;
using FaceNet.Runtime.Imaging;
using FaceNet.Runtime.Models;
using FaceNet.Runtime.Pretrained;
using FaceNet.Tests.Pretrained;

namespace FaceNet.Tests.Cuda;

/// <summary>The face-api recognition ResNet on the emulated CUDA backend against the CPU backend.</summary>
public sealed class FaceRecognitionNetParityTests(EmulatedBackendFixture fixture) : IClassFixture<EmulatedBackendFixture>
{
    /// <summary>
    /// Descriptor components are about 0.1 in size after 29 convolutions that sum up to 2,304 products each,
    /// in tile order on the kernels and in GEMM order on the CPU: float32 rounding of a few 1e-7 per layer.
    /// </summary>
    private const double Tolerance = 2e-5;

    [Fact]
    public void Forward_OneLfwFace_MatchesCpu()
    {
        TfjsWeights weights = TfjsWeights.Load(PretrainedModels.Manifest(FaceApiModel.FaceRecognition));
        string image = Path.Combine(DataRoot.RequireExisting(), "lfw", "images", "Colin_Powell", "Colin_Powell_0001.jpg");
        float[] input = new Preprocessor(FaceRecognitionNet.Preprocessing()).Apply(new ImageDecoder().Decode(image));
        using FaceNetModel cpu = FaceRecognitionNet.Load(weights, CpuBackend.Instance);
        using FaceNetModel emulated = FaceRecognitionNet.Load(weights, fixture.Backend);

        float[] expected = FaceRecognitionNetTests.Embed(cpu, input);
        float[] actual = FaceRecognitionNetTests.Embed(emulated, input);

        double largest = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            largest = Math.Max(largest, Math.Abs(expected[i] - actual[i]));
            Assert.True(Math.Abs(expected[i] - actual[i]) <= Tolerance,
                $"Component {i}: emulated CUDA {actual[i]:G9}, CPU {expected[i]:G9}.");
        }
        Console.WriteLine($"face-api ResNet, emulated CUDA against CPU: largest component difference {largest:G3}");
    }
}
