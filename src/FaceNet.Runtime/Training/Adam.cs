using FaceNet.Runtime.Autograd;

namespace FaceNet.Runtime.Training;

/// <summary>
/// Adam with bias correction (Kingma and Ba, 2015), with the weight decay added to the gradient (L2
/// penalty, not the decoupled AdamW form): <c>g' = g + wd * p; m = b1 m + (1 - b1) g';
/// v = b2 v + (1 - b2) g'^2; p -= lr * m^ / (sqrt(v^) + eps)</c> with <c>m^ = m / (1 - b1^t)</c> and
/// <c>v^ = v / (1 - b2^t)</c> at 1-based step t.
/// </summary>
public sealed class Adam : Optimizer
{
    /// <summary>Name of the first-moment estimate in <see cref="Optimizer.State"/>.</summary>
    public const string FirstMomentSlot = "m";

    /// <summary>Name of the second-moment estimate in <see cref="Optimizer.State"/>.</summary>
    public const string SecondMomentSlot = "v";

    /// <summary>Creates the optimiser and zero moment estimates per parameter.</summary>
    /// <exception cref="ArgumentException">A beta is outside [0, 1), epsilon is not positive, or a base-class
    /// check fails.</exception>
    public Adam(IEnumerable<Parameter> parameters, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f,
        float weightDecay = 0f)
        : base(parameters, weightDecay)
    {
        if (!(beta1 >= 0f && beta1 < 1f))
        {
            throw new ArgumentException($"Adam: beta1 {beta1} must be in [0, 1).", nameof(beta1));
        }
        if (!(beta2 >= 0f && beta2 < 1f))
        {
            throw new ArgumentException($"Adam: beta2 {beta2} must be in [0, 1).", nameof(beta2));
        }
        if (!(epsilon > 0f) || !float.IsFinite(epsilon))
        {
            throw new ArgumentException($"Adam: epsilon {epsilon} must be positive and finite.", nameof(epsilon));
        }
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
        foreach (Parameter p in Parameters)
        {
            CreateState(FirstMomentSlot, p, 0f);
            CreateState(SecondMomentSlot, p, 0f);
        }
    }

    /// <summary>Decay rate of the first-moment estimate.</summary>
    public float Beta1 { get; }

    /// <summary>Decay rate of the second-moment estimate.</summary>
    public float Beta2 { get; }

    /// <summary>Constant added to the root of the corrected second moment.</summary>
    public float Epsilon { get; }

    /// <inheritdoc />
    protected override void Update(Parameter parameter, float learningRate, int step) =>
        parameter.Value.Backend.AdamUpdate(parameter.Value, parameter.Gradient,
            GetState(FirstMomentSlot, parameter), GetState(SecondMomentSlot, parameter), learningRate, Beta1, Beta2,
            Epsilon, WeightDecay, step);
}
