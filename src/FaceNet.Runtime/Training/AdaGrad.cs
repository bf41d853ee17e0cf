using FaceNet.Runtime.Autograd;

namespace FaceNet.Runtime.Training;

/// <summary>
/// AdaGrad, the optimiser the FaceNet paper trains with (starting learning rate 0.05):
/// <c>g' = g + wd * p; accumulator += g'^2; p -= lr * g' / (sqrt(accumulator) + epsilon)</c>.
/// </summary>
/// <remarks>
/// The FaceNet paper (Schroff, Kalenichenko and Philbin, CVPR 2015) gives neither epsilon nor a starting
/// accumulator. The defaults follow PyTorch's
/// <c>torch.optim.Adagrad</c> (epsilon 1e-10, accumulator 0), so the first step moves each weight with a
/// nonzero gradient by almost exactly the learning rate. TensorFlow starts the accumulator at 0.1 instead,
/// which shrinks the first steps; pass <c>initialAccumulator: 0.1f</c> for that behaviour.
/// </remarks>
public sealed class AdaGrad : Optimizer
{
    /// <summary>Starting learning rate of the FaceNet paper.</summary>
    public const float PaperLearningRate = 0.05f;

    /// <summary>Name of the squared-gradient sum in <see cref="Optimizer.State"/>.</summary>
    public const string AccumulatorSlot = "accumulator";

    /// <summary>Creates the optimiser and one accumulator per parameter.</summary>
    /// <exception cref="ArgumentException">Epsilon is not positive, the starting accumulator is negative, or a
    /// base-class check fails.</exception>
    public AdaGrad(IEnumerable<Parameter> parameters, float epsilon = 1e-10f, float weightDecay = 0f,
        float initialAccumulator = 0f)
        : base(parameters, weightDecay)
    {
        if (!(epsilon > 0f) || !float.IsFinite(epsilon))
        {
            throw new ArgumentException($"AdaGrad: epsilon {epsilon} must be positive and finite.", nameof(epsilon));
        }
        if (!(initialAccumulator >= 0f) || !float.IsFinite(initialAccumulator))
        {
            throw new ArgumentException(
                $"AdaGrad: initial accumulator {initialAccumulator} must be finite and at least 0.",
                nameof(initialAccumulator));
        }
        Epsilon = epsilon;
        foreach (Parameter p in Parameters)
        {
            CreateState(AccumulatorSlot, p, initialAccumulator);
        }
    }

    /// <summary>Constant added to the root of the accumulator, so that a zero accumulator does not divide by zero.</summary>
    public float Epsilon { get; }

    /// <inheritdoc />
    protected override void Update(Parameter parameter, float learningRate, int step) =>
        parameter.Value.Backend.AdaGradUpdate(parameter.Value, parameter.Gradient,
            GetState(AccumulatorSlot, parameter), learningRate, Epsilon, WeightDecay);
}
