namespace FaceNet.Runtime.Training;

/// <summary>
/// Learning rate as a function of the 0-based training step. FaceNet (Schroff, Kalenichenko and Philbin,
/// CVPR 2015) starts AdaGrad at 0.05 and lowers the rate to finish training, without saying when or how
/// far. Step decay and cosine annealing are two common ways to lower it.
/// </summary>
public abstract class LearningRateSchedule
{
    private LearningRateSchedule()
    {
    }

    /// <summary>The learning rate for 0-based <paramref name="step"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="step"/> is negative.</exception>
    public float At(int step)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        return Compute(step);
    }

    /// <summary>The same rate at every step.</summary>
    /// <exception cref="ArgumentException">The rate is negative or not finite.</exception>
    public static LearningRateSchedule Constant(float learningRate)
    {
        CheckRate(nameof(learningRate), learningRate);
        return new ConstantSchedule(learningRate);
    }

    /// <summary>
    /// Step decay: <c>initial * factor ^ floor(step / interval)</c>, so the rate drops by
    /// <paramref name="factor"/> every <paramref name="interval"/> steps.
    /// </summary>
    /// <exception cref="ArgumentException">The rate is negative or not finite, the factor is outside (0, 1], or
    /// the interval is not positive.</exception>
    public static LearningRateSchedule StepDecay(float initial, float factor, int interval)
    {
        CheckRate(nameof(initial), initial);
        if (!(factor > 0f && factor <= 1f))
        {
            throw new ArgumentException($"StepDecay: factor {factor} must be in (0, 1].", nameof(factor));
        }
        if (interval < 1)
        {
            throw new ArgumentException($"StepDecay: interval {interval} must be at least 1 step.", nameof(interval));
        }
        return new StepDecaySchedule(initial, factor, interval);
    }

    /// <summary>
    /// Cosine annealing from <paramref name="initial"/> at step 0 to <paramref name="minimum"/> at
    /// <paramref name="totalSteps"/>: <c>min + (initial - min) * (1 + cos(pi * step / total)) / 2</c>; steps past
    /// the total stay at the minimum.
    /// </summary>
    /// <exception cref="ArgumentException">A rate is negative or not finite, the minimum exceeds the initial rate,
    /// or the total is not positive.</exception>
    public static LearningRateSchedule Cosine(float initial, int totalSteps, float minimum = 0f)
    {
        CheckRate(nameof(initial), initial);
        CheckRate(nameof(minimum), minimum);
        if (minimum > initial)
        {
            throw new ArgumentException($"Cosine: minimum {minimum} exceeds the initial rate {initial}.", nameof(minimum));
        }
        if (totalSteps < 1)
        {
            throw new ArgumentException($"Cosine: total steps {totalSteps} must be at least 1.", nameof(totalSteps));
        }
        return new CosineSchedule(initial, minimum, totalSteps);
    }

    /// <summary>Computes the rate for a step already checked to be 0 or more.</summary>
    protected abstract float Compute(int step);

    private static void CheckRate(string name, float rate)
    {
        if (!float.IsFinite(rate) || rate < 0f)
        {
            throw new ArgumentException($"Learning rate {name} = {rate} must be finite and at least 0.", name);
        }
    }

    private sealed class ConstantSchedule(float rate) : LearningRateSchedule
    {
        protected override float Compute(int step) => rate;

        public override string ToString() => $"constant {rate}";
    }

    private sealed class StepDecaySchedule(float initial, float factor, int interval) : LearningRateSchedule
    {
        protected override float Compute(int step) => (float)(initial * Math.Pow(factor, step / interval));

        public override string ToString() => $"step decay {initial} x {factor} every {interval} steps";
    }

    private sealed class CosineSchedule(float initial, float minimum, int totalSteps) : LearningRateSchedule
    {
        protected override float Compute(int step)
        {
            if (step >= totalSteps)
            {
                return minimum;
            }
            double progress = (double)step / totalSteps;
            return (float)(minimum + (initial - minimum) * (1 + Math.Cos(Math.PI * progress)) / 2);
        }

        public override string ToString() => $"cosine {initial} to {minimum} over {totalSteps} steps";
    }
}
