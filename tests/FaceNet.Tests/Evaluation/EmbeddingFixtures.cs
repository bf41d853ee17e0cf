namespace FaceNet.Tests.Evaluation;

/// <summary>Seeded synthetic embeddings: identities as random unit centres with small noise.</summary>
internal static class EmbeddingFixtures
{
    public static float[] RandomUnit(Random random, int dimension)
    {
        var vector = new float[dimension];
        for (int i = 0; i < dimension; i++)
        {
            // Box-Muller gives a Gaussian direction, uniform on the sphere after normalising.
            vector[i] = (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
        }
        return Normalise(vector);
    }

    public static float[] Near(Random random, float[] centre, double noise)
    {
        float[] offset = RandomUnit(random, centre.Length);
        var vector = new float[centre.Length];
        for (int i = 0; i < centre.Length; i++)
        {
            vector[i] = (float)(centre[i] + noise * offset[i]);
        }
        return Normalise(vector);
    }

    private static float[] Normalise(float[] vector)
    {
        double norm = Math.Sqrt(vector.Sum(value => (double)value * value));
        for (int i = 0; i < vector.Length; i++)
        {
            vector[i] = (float)(vector[i] / norm);
        }
        return vector;
    }
}
