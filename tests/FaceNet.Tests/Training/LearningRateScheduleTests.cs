using FaceNet.Runtime.Training;

namespace FaceNet.Tests.Training;

public class LearningRateScheduleTests
{
    private const double Tolerance = 1e-7;

    [Fact]
    public void Constant_AnyStep_ReturnsRate()
    {
        LearningRateSchedule schedule = LearningRateSchedule.Constant(0.05f);

        Assert.Equal(0.05f, schedule.At(0));
        Assert.Equal(0.05f, schedule.At(1_000_000));
    }

    [Fact]
    public void StepDecay_AtIntervalBoundaries_DropsByFactor()
    {
        LearningRateSchedule schedule = LearningRateSchedule.StepDecay(0.05f, 0.1f, 100);

        Assert.Equal(0.05, schedule.At(0), Tolerance);
        Assert.Equal(0.05, schedule.At(99), Tolerance);
        Assert.Equal(0.005, schedule.At(100), Tolerance);
        Assert.Equal(0.0005, schedule.At(250), Tolerance);
    }

    [Fact]
    public void Cosine_KeyPoints_FollowHalfCosine()
    {
        LearningRateSchedule schedule = LearningRateSchedule.Cosine(0.1f, 1000, minimum: 0.01f);

        Assert.Equal(0.1, schedule.At(0), Tolerance);
        Assert.Equal(0.055, schedule.At(500), Tolerance);
        Assert.Equal(0.01 + 0.09 * (1 + Math.Cos(Math.PI * 0.25)) / 2, schedule.At(250), Tolerance);
        Assert.Equal(0.01, schedule.At(1000), Tolerance);
        Assert.Equal(0.01, schedule.At(5000), Tolerance);
    }

    [Fact]
    public void Cosine_Steps_NeverIncrease()
    {
        LearningRateSchedule schedule = LearningRateSchedule.Cosine(0.05f, 37);

        for (int step = 1; step <= 40; step++)
        {
            Assert.True(schedule.At(step) <= schedule.At(step - 1), $"Rate rose at step {step}.");
        }
    }

    [Fact]
    public void At_NegativeStep_Throws()
    {
        LearningRateSchedule schedule = LearningRateSchedule.Constant(0.05f);

        Assert.Throws<ArgumentOutOfRangeException>(() => schedule.At(-1));
    }

    [Fact]
    public void Factories_InvalidArguments_Throw()
    {
        Assert.Throws<ArgumentException>(() => LearningRateSchedule.Constant(float.NaN));
        Assert.Throws<ArgumentException>(() => LearningRateSchedule.StepDecay(0.05f, 1.5f, 10));
        Assert.Throws<ArgumentException>(() => LearningRateSchedule.StepDecay(0.05f, 0.5f, 0));
        Assert.Throws<ArgumentException>(() => LearningRateSchedule.Cosine(0.05f, 0));
        Assert.Throws<ArgumentException>(() => LearningRateSchedule.Cosine(0.05f, 10, minimum: 0.1f));
    }
}
