using FaceNet.Runtime.Autograd;
using FaceNet.Runtime.Models;
using FaceNet.Runtime.Operations;
using FaceNet.Runtime.Tensors;

namespace FaceNet.Runtime.Pretrained;

/// <summary>
/// A fixed per-channel affine map of the input image, <c>y = x * scale[c] + shift[c]</c>, held as state
/// tensors <c>scale</c> and <c>shift</c> (not trained). It turns pixel values on the 0..255 scale into the
/// input a pretrained network was trained on, such as face-api's <c>(x - mean[c]) / 255</c>.
/// </summary>
public sealed class InputNormalization : Module
{
    /// <summary>Creates the layer for <paramref name="channels"/> channels; allocation sets scale 1 and shift 0.</summary>
    public InputNormalization(string name, int channels) : base(name)
    {
        Channels = channels;
        DeclareState("scale", [channels], Initialization.Ones);
        DeclareState("shift", [channels], Initialization.Zeros);
    }

    /// <summary>Channels of the input.</summary>
    public int Channels { get; }

    /// <inheritdoc />
    public override string Kind => "input scale + shift";

    /// <inheritdoc />
    public override FeatureShape OutputShape(FeatureShape input) =>
        input.IsFlat || input.Channels != Channels ? throw ShapeError(input, $"{Channels} channels") : input;

    /// <summary>Sets the map to <c>(x - mean[c]) / divisor</c>.</summary>
    public void SetMeanAndDivisor(ReadOnlySpan<float> mean, float divisor)
    {
        if (mean.Length != Channels)
        {
            throw new ArgumentException($"Layer '{Path}' has {Channels} channels but got {mean.Length} means.");
        }
        float[] scale = new float[Channels];
        float[] shift = new float[Channels];
        for (int c = 0; c < Channels; c++)
        {
            scale[c] = 1f / divisor;
            shift[c] = -mean[c] / divisor;
        }
        Tensor scaleTensor = GetState("scale");
        scaleTensor.Backend.Upload(scale, scaleTensor);
        Tensor shiftTensor = GetState("shift");
        shiftTensor.Backend.Upload(shift, shiftTensor);
    }

    /// <inheritdoc />
    public override Tensor Forward(Graph graph, Tensor x)
    {
        OutputShape(ShapeOf(x));
        return Arithmetic.ScaleShift(graph, x, GetState("scale"), GetState("shift"));
    }
}
