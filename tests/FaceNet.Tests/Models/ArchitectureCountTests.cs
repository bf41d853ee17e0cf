using FaceNet.Runtime.Models;

namespace FaceNet.Tests.Models;

/// <summary>Parameter and multiply-add counts of every architecture against the FaceNet paper's figures.</summary>
public class ArchitectureCountTests
{
    // The FaceNet paper (Schroff et al., CVPR 2015) rounds its totals (140M, 1.6B) and rows (164K, 128M); these bounds are the allowed
    // relative deviation from those rounded figures.
    private const double TotalTolerance = 0.02;
    private const double RowTolerance = 0.05;
    private const double DesignedTolerance = 0.10;

    private static void AssertWithin(double expected, double actual, double tolerance, string what)
    {
        double deviation = Math.Abs(actual - expected) / expected;
        Assert.True(deviation <= tolerance,
            $"{what}: expected {expected:N0} within {tolerance:P0}, got {actual:N0} ({deviation:P1} off).");
    }

    [Fact]
    public void Nn1_Totals_MatchPaper()
    {
        FaceNetModel model = Architectures.Create("nn1");

        AssertWithin(140e6, model.ParameterCount, TotalTolerance, "nn1 parameters");
        AssertWithin(1.6e9, model.MultiplyAdds, TotalTolerance, "nn1 multiply-adds");
    }

    [Fact]
    public void Nn2_Totals_MatchPaper()
    {
        FaceNetModel model = Architectures.Create("nn2");

        AssertWithin(7.5e6, model.ParameterCount, TotalTolerance, "nn2 parameters");
        AssertWithin(1.6e9, model.MultiplyAdds, TotalTolerance, "nn2 multiply-adds");
    }

    // Table 2 prints rounded figures ("9K", "0.1M", "1.6M"), so each count is first rounded to the
    // resolution of the printed figure (the last column is that resolution for parameters and FLOPS).
    [Theory]
    [InlineData("conv1", 9e3, 119e6, 1e3, 1e6)]
    [InlineData("inception2", 115e3, 360e6, 1e3, 1e6)]
    [InlineData("inception3a", 164e3, 128e6, 1e3, 1e6)]
    [InlineData("inception3b", 228e3, 179e6, 1e3, 1e6)]
    [InlineData("inception3c", 398e3, 108e6, 1e3, 1e6)]
    [InlineData("inception4a", 545e3, 107e6, 1e3, 1e6)]
    [InlineData("inception4b", 595e3, 117e6, 1e3, 1e6)]
    [InlineData("inception4c", 654e3, 128e6, 1e3, 1e6)]
    [InlineData("inception4d", 722e3, 142e6, 1e3, 1e6)]
    [InlineData("inception4e", 717e3, 56e6, 1e3, 1e6)]
    [InlineData("inception5a", 1.6e6, 78e6, 1e5, 1e6)]
    [InlineData("inception5b", 1.6e6, 78e6, 1e5, 1e6)]
    [InlineData("fc", 131e3, 0.1e6, 1e3, 1e5)]
    public void Nn2_Row_MatchesTable2(string layer, double parameters, double multiplyAdds,
        double parameterResolution, double multiplyAddResolution)
    {
        LayerRow row = Architectures.Create("nn2").Describe().Single(r => r.Depth == 0 && r.Name == layer);

        double roundedParameters = Math.Round(row.Parameters / parameterResolution) * parameterResolution;
        double roundedMultiplyAdds = Math.Round(row.MultiplyAdds / multiplyAddResolution) * multiplyAddResolution;

        AssertWithin(parameters, roundedParameters, RowTolerance, $"nn2 {layer} parameters ({row.Parameters:N0})");
        AssertWithin(multiplyAdds, roundedMultiplyAdds, RowTolerance,
            $"nn2 {layer} multiply-adds ({row.MultiplyAdds:N0})");
    }

    [Theory]
    [InlineData("inception2", 56, 192)]
    [InlineData("inception3b", 28, 320)]
    [InlineData("inception3c", 14, 640)]
    [InlineData("inception4e", 7, 1024)]
    [InlineData("inception5b", 7, 1024)]
    public void Nn2_RowShape_MatchesTable2(string layer, int size, int channels)
    {
        LayerRow row = Architectures.Create("nn2").Describe().Single(r => r.Depth == 0 && r.Name == layer);

        Assert.Equal(new FeatureShape(channels, size, size), row.Output);
    }

    [Fact]
    public void Nn3_Input_Is160WithNn2Weights()
    {
        FaceNetModel nn3 = Architectures.Create("nn3");

        Assert.Equal(160, nn3.InputHeight);
        Assert.Equal(Architectures.Create("nn2").ParameterCount, nn3.ParameterCount);
    }

    [Fact]
    public void Nn4_MultiplyAdds_MatchPaper()
    {
        FaceNetModel model = Architectures.Create("nn4");

        Assert.Equal(96, model.InputWidth);
        AssertWithin(285e6, model.MultiplyAdds, RowTolerance, "nn4 multiply-adds");
    }

    [Fact]
    public void Nns1_Totals_MatchPaper()
    {
        FaceNetModel model = Architectures.Create("nns1");

        Assert.Equal(165, model.InputHeight);
        AssertWithin(26e6, model.ParameterCount, DesignedTolerance, "nns1 parameters");
        AssertWithin(220e6, model.MultiplyAdds, DesignedTolerance, "nns1 multiply-adds");
    }

    [Fact]
    public void Nns2_Totals_MatchPaper()
    {
        FaceNetModel model = Architectures.Create("nns2");

        Assert.Equal(140, model.InputHeight);
        Assert.Equal(116, model.InputWidth);
        AssertWithin(4.3e6, model.ParameterCount, DesignedTolerance, "nns2 parameters");
        AssertWithin(20e6, model.MultiplyAdds, DesignedTolerance, "nns2 multiply-adds");
    }

    [Fact]
    public void Nns2_NonSquareInput_KeepsAspectThroughStem()
    {
        LayerRow conv1 = Architectures.Create("nns2").Describe().Single(r => r.Name == "conv1");

        Assert.Equal(new FeatureShape(16, 70, 58), conv1.Output);
    }

    [Fact]
    public void Nn4Small2_Parameters_MatchOpenFace()
    {
        Assert.Equal(3_733_968, Architectures.Create("nn4-small2").ParameterCount);
    }

    [Theory]
    [InlineData("inception3a", 256, 12)]
    [InlineData("inception3b", 320, 12)]
    [InlineData("inception3c", 640, 6)]
    [InlineData("inception4a", 640, 6)]
    [InlineData("inception4e", 1024, 3)]
    [InlineData("inception5a", 736, 3)]
    [InlineData("inception5b", 736, 3)]
    public void Nn4Small2_BlockShape_MatchesOpenFace(string layer, int channels, int size)
    {
        LayerRow row = Architectures.Create("nn4-small2").Describe().Single(r => r.Depth == 0 && r.Name == layer);

        Assert.Equal(new FeatureShape(channels, size, size), row.Output);
    }

    [Theory]
    [InlineData("nn1")]
    [InlineData("nn2")]
    [InlineData("nn3")]
    [InlineData("nn4")]
    [InlineData("nns1")]
    [InlineData("nns2")]
    [InlineData("nn4-small2")]
    public void Architecture_EmbeddingSize_IsParameter(string name)
    {
        FaceNetModel model = Architectures.Create(name, embeddingSize: 64);

        Assert.Equal(FeatureShape.Flat(64), model.OutputShape);
        Assert.Equal(FeatureShape.Flat(64), model.Describe()[^1].Output);
    }

    [Fact]
    public void Architecture_ParameterShapes_SumToCount()
    {
        FaceNetModel model = Architectures.Create("nn4-small2");

        long sum = model.ParameterShapes().Sum(s => s.Dims.Aggregate(1L, (a, b) => a * b));

        Assert.Equal(model.ParameterCount, sum);
    }

    [Fact]
    public void Architecture_TensorNames_AreDottedPaths()
    {
        var names = Architectures.Create("nn4-small2").ParameterShapes().Select(s => s.Name).ToList();

        Assert.Contains("inception3a.branch3x3.conv.weight", names);
        Assert.Contains("inception3a.branchpool.proj.bn.gamma", names);
        Assert.Contains("fc.bias", names);
        Assert.Equal(names.Count, names.Distinct().Count());
    }

    [Fact]
    public void Architecture_UnknownName_ListsValidNames()
    {
        var error = Assert.Throws<ArgumentException>(() => Architectures.Create("nn9"));

        Assert.Contains("nn9", error.Message);
        Assert.Contains("nn4-small2", error.Message);
    }
}
