using FaceNet.Runtime.Pretrained;

namespace FaceNet.Tests.Pretrained;

/// <summary>
/// The face-api model store that tests share: the default cache root, so the package is fetched with
/// npm once per machine and then only verified.
/// </summary>
public static class PretrainedModels
{
    private static readonly Lazy<FaceApiModelStore> SharedStore = new(() => new FaceApiModelStore());

    /// <summary>The shared store.</summary>
    public static FaceApiModelStore Store => SharedStore.Value;

    /// <summary>The verified manifest path of a model, fetched on first use.</summary>
    public static string Manifest(FaceApiModel model) => Store.Ensure(model);
}
