namespace FaceNet.Runtime.Pretrained;

/// <summary>Which face <see cref="FacePipeline.AlignFace"/> embeds when the detector finds several in one image.</summary>
public enum FaceChoice
{
    /// <summary>The face with the largest detection box, the usual subject of a portrait.</summary>
    Largest,

    /// <summary>
    /// The face whose box overlaps most (highest intersection over union) with the central box: half the image's
    /// width and height, centred. Suits face sets cropped around their subject, such as LFW, where a larger face of
    /// a bystander at the edge is not the one labelled. The overlap also passes over small false detections near
    /// the centre, such as a pair of glasses, that a nearest-centre rule would take.
    /// </summary>
    Central,
}
