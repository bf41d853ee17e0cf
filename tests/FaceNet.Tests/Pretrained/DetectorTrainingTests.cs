using FaceNet.Runtime.Autograd;
using FaceNet.Runtime.Cpu;
using FaceNet.Runtime.Pretrained;
using FaceNet.Runtime.Tensors;
using FaceNet.Tests.Support;

namespace FaceNet.Tests.Pretrained;

/// <summary>The pretrained detector and landmark network record a tape and give every weight a gradient.</summary>
public class DetectorTrainingTests
{
    private static void AssertEveryParameterHasGradient(IReadOnlyList<Parameter> parameters)
    {
        foreach (Parameter parameter in parameters)
        {
            float[] gradient = new float[parameter.Count];
            CpuBackend.Instance.Download(parameter.Gradient, gradient);
            Assert.True(gradient.All(float.IsFinite), $"{parameter.Name} has a non-finite gradient.");
            Assert.True(gradient.Any(g => g != 0), $"{parameter.Name} received no gradient.");
        }
    }

    [Fact]
    public void TinyDetector_Backward_ReachesEveryWeight()
    {
        using TinyFaceDetector detector = TinyFaceDetector.Load(PretrainedModels.Manifest(FaceApiModel.TinyFaceDetector));
        float[] input = GradientCheck.RandomValues(3 * 64 * 64, seed: 71);
        using Graph graph = Graph.ForTraining(CpuBackend.Instance);

        Tensor head = detector.Forward(graph, graph.FromHost(input, 1, 3, 64, 64));
        graph.Backward(head, graph.FromHost(GradientCheck.RandomValues(head.Count, seed: 72), head.Dims.ToArray()));

        Assert.Equal(new[] { 1, 25, 2, 2 }, head.Dims.ToArray());
        AssertEveryParameterHasGradient(detector.Parameters);
    }

    [Fact]
    public void LandmarkNet_Backward_ReachesEveryWeight()
    {
        using FaceLandmark68Net net = FaceLandmark68Net.Load(PretrainedModels.Manifest(FaceApiModel.FaceLandmark68));
        const int size = FaceLandmark68Net.InputSize;
        float[] input = GradientCheck.RandomValues(3 * size * size, seed: 73);
        using Graph graph = Graph.ForTraining(CpuBackend.Instance);

        Tensor points = net.Forward(graph, graph.FromHost(input, 1, 3, size, size));
        graph.Backward(points, graph.FromHost(GradientCheck.RandomValues(points.Count, seed: 74), points.Dims.ToArray()));

        Assert.Equal(new[] { 1, 136 }, points.Dims.ToArray());
        AssertEveryParameterHasGradient(net.Parameters);
    }
}
