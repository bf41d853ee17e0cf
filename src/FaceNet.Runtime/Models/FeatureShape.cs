namespace FaceNet.Runtime.Models;

/// <summary>
/// Shape of one sample's activations: channels x height x width for NCHW tensors, or a flat feature
/// vector (<see cref="IsFlat"/>, height and width 1) for (N, F) tensors.
/// </summary>
public readonly record struct FeatureShape(int Channels, int Height, int Width, bool IsFlat = false)
{
    /// <summary>A flat vector of <paramref name="features"/> values.</summary>
    public static FeatureShape Flat(int features) => new(features, 1, 1, IsFlat: true);

    /// <summary>Number of values per sample.</summary>
    public long Elements => (long)Channels * Height * Width;

    /// <summary>The dimensions of a batch of <paramref name="batch"/> samples of this shape.</summary>
    public int[] BatchDims(int batch) => IsFlat ? [batch, Channels] : [batch, Channels, Height, Width];

    /// <summary>Shape as text: <c>192x12x12</c> (channels first) or <c>128</c> when flat.</summary>
    public override string ToString() => IsFlat ? $"{Channels}" : $"{Channels}x{Height}x{Width}";
}

/// <summary>One row of a model's layer table, computed without allocating activations.</summary>
/// <param name="Name">Dotted path of the layer, such as <c>inception3a.branch3x3.reduce</c>.</param>
/// <param name="Kind">Layer type, such as <c>conv 3x3/2</c> or <c>inception</c>.</param>
/// <param name="Depth">Nesting level: 0 for the network's top-level layers, 1 for their children, and so on.</param>
/// <param name="Output">Shape of one sample's output.</param>
/// <param name="Parameters">Trainable scalars of the layer and its children (running statistics excluded).</param>
/// <param name="MultiplyAdds">
/// Multiply-adds of one sample's forward pass: one per weight use per output position, for convolutions
/// and fully connected layers only. Bias additions, batch normalisation, pooling, LRN and activations are
/// not counted.
/// </param>
public sealed record LayerRow(string Name, string Kind, int Depth, FeatureShape Output, long Parameters, long MultiplyAdds);
