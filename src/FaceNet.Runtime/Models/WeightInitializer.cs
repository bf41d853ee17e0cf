namespace FaceNet.Runtime.Models;

/// <summary>How a declared tensor is filled when a module is allocated.</summary>
public enum Initialization
{
    /// <summary>All zeros (biases, batch normalisation shift, running mean).</summary>
    Zeros,

    /// <summary>All ones (batch normalisation scale, running variance).</summary>
    Ones,

    /// <summary>
    /// He (Kaiming) normal: N(0, 2 / fanIn). Keeps the activation variance constant through ReLU and
    /// maxout layers, where about half of the units are zero or discarded.
    /// </summary>
    HeNormal,

    /// <summary>LeCun normal: N(0, 1 / fanIn), for the linear embedding layer that no ReLU follows.</summary>
    LeCunNormal,
}

/// <summary>A declared tensor: local name, dimensions, initialisation and fan-in.</summary>
internal sealed record TensorSpec(string LocalName, int[] Dims, Initialization Init, int FanIn)
{
    public int Count
    {
        get
        {
            int count = 1;
            foreach (int d in Dims)
            {
                count = checked(count * d);
            }
            return count;
        }
    }
}

/// <summary>Draws initial values for declared tensors from a seeded <see cref="Random"/>.</summary>
internal static class WeightInitializer
{
    public static float[] Create(TensorSpec spec, Random random)
    {
        var values = new float[spec.Count];
        switch (spec.Init)
        {
            case Initialization.Zeros:
                break;
            case Initialization.Ones:
                Array.Fill(values, 1f);
                break;
            case Initialization.HeNormal:
                FillNormal(values, Math.Sqrt(2.0 / spec.FanIn), random);
                break;
            case Initialization.LeCunNormal:
                FillNormal(values, Math.Sqrt(1.0 / spec.FanIn), random);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(spec), spec.Init, "Unknown initialisation.");
        }
        return values;
    }

    // Box-Muller transform: two uniform draws give two independent standard normal values.
    private static void FillNormal(float[] values, double std, Random random)
    {
        for (int i = 0; i < values.Length; i += 2)
        {
            double u1 = 1.0 - random.NextDouble();
            double u2 = random.NextDouble();
            double radius = Math.Sqrt(-2.0 * Math.Log(u1));
            values[i] = (float)(std * radius * Math.Cos(2 * Math.PI * u2));
            if (i + 1 < values.Length)
            {
                values[i + 1] = (float)(std * radius * Math.Sin(2 * Math.PI * u2));
            }
        }
    }
}
