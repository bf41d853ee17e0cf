using FaceNet.Runtime.Autograd;

namespace FaceNet.Runtime.Training;

/// <summary>
/// SGD with heavy-ball momentum: <c>g' = g + wd * p; v = momentum * v + g'; p -= lr * v</c>.
/// With momentum 0 it is plain SGD.
/// </summary>
public sealed class SgdMomentum : Optimizer
{
    /// <summary>Name of the velocity in <see cref="Optimizer.State"/>.</summary>
    public const string VelocitySlot = "velocity";

    /// <summary>Creates the optimiser and one zero velocity per parameter.</summary>
    /// <exception cref="ArgumentException">Momentum is outside [0, 1), or a base-class check fails.</exception>
    public SgdMomentum(IEnumerable<Parameter> parameters, float momentum = 0.9f, float weightDecay = 0f)
        : base(parameters, weightDecay)
    {
        if (!(momentum >= 0f && momentum < 1f))
        {
            throw new ArgumentException($"SgdMomentum: momentum {momentum} must be in [0, 1).", nameof(momentum));
        }
        Momentum = momentum;
        foreach (Parameter p in Parameters)
        {
            CreateState(VelocitySlot, p, 0f);
        }
    }

    /// <summary>Fraction of the previous velocity kept at each step.</summary>
    public float Momentum { get; }

    /// <inheritdoc />
    protected override void Update(Parameter parameter, float learningRate, int step) =>
        parameter.Value.Backend.SgdUpdate(parameter.Value, parameter.Gradient, GetState(VelocitySlot, parameter),
            learningRate, Momentum, WeightDecay);
}
