using FaceNet.Runtime.Training;

namespace FaceNet.Tests.Training;

public class BatchSamplerTests
{
    private static int[][] Groups(params int[] sizes)
    {
        var groups = new int[sizes.Length][];
        int next = 0;
        for (int i = 0; i < sizes.Length; i++)
        {
            groups[i] = Enumerable.Range(next, sizes[i]).ToArray();
            next += sizes[i];
        }
        return groups;
    }

    [Fact]
    public void Draw_SameStepTwice_GivesSameBatch()
    {
        var sampler = new BatchSampler(Groups(5, 6, 7, 3, 2, 9), 3, 4, 2, seed: 7);
        TrainingBatch a = sampler.Draw(11);
        TrainingBatch b = new BatchSampler(Groups(5, 6, 7, 3, 2, 9), 3, 4, 2, seed: 7).Draw(11);
        Assert.Equal(a.Images, b.Images);
        Assert.Equal(a.Labels, b.Labels);
    }

    [Fact]
    public void Draw_GroupsHoldUpToKImagesOfOneIdentity()
    {
        int[][] groups = Groups(5, 6, 7, 3, 2, 9);
        var sampler = new BatchSampler(groups, 3, 4, 0, seed: 1);
        TrainingBatch batch = sampler.Draw(0);
        foreach (IGrouping<int, int> group in batch.Images.Zip(batch.Labels).GroupBy(p => p.Second, p => p.First))
        {
            Assert.InRange(group.Count(), 2, 4);
            Assert.All(group, image => Assert.Contains(image, groups[group.Key]));
        }
        Assert.Equal(3, batch.Labels.Distinct().Count());
    }

    [Fact]
    public void Draw_ExtraNegativesComeFromOtherIdentities()
    {
        int[][] groups = Groups(4, 4, 4, 4, 4, 4);
        var sampler = new BatchSampler(groups, 2, 4, 5, seed: 3);
        TrainingBatch batch = sampler.Draw(2);
        int[] chosen = batch.Labels.Where(l => l >= 0).Distinct().ToArray();
        int[] extras = batch.Images.Where((_, i) => batch.Labels[i] < 0).ToArray();
        Assert.Equal(5, extras.Length);
        Assert.Equal(extras.Length, extras.Distinct().Count());
        Assert.All(extras, image => Assert.DoesNotContain(chosen, id => groups[id].Contains(image)));
    }

    [Fact]
    public void Draw_SingleImageIdentitiesAreNeverGroups()
    {
        var sampler = new BatchSampler(Groups(1, 1, 3, 1, 4), 5, 4, 0, seed: 2);
        Assert.Equal(2, sampler.EligibleIdentities);
        TrainingBatch batch = sampler.Draw(0);
        Assert.Equal(new[] { 2, 4 }, batch.Labels.Distinct().Order().ToArray());
    }

    [Fact]
    public void Constructor_NoRepeatedIdentity_Throws()
    {
        var error = Assert.Throws<ArgumentException>(() => new BatchSampler(Groups(1, 1, 1), 2, 2, 0, seed: 0));
        Assert.Contains("two or more images", error.Message);
    }

    [Fact]
    public void Draw_ConsecutiveStepsVisitEveryIdentity()
    {
        var sampler = new BatchSampler(Groups(2, 2, 2, 2, 2, 2), 2, 2, 0, seed: 5);
        int[] seen = Enumerable.Range(0, 3).SelectMany(s => sampler.Draw(s).Labels).Distinct().Order().ToArray();
        Assert.Equal(Enumerable.Range(0, 6).ToArray(), seen);
    }
}
