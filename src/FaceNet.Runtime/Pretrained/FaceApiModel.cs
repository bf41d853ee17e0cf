namespace FaceNet.Runtime.Pretrained;

/// <summary>The pretrained networks of the face-api package that this engine loads.</summary>
public enum FaceApiModel
{
    /// <summary>
    /// <c>face_recognition_model</c>: a 29-layer ResNet after dlib's face recognition model, 150x150 RGB in,
    /// a 128-d descriptor out.
    /// </summary>
    FaceRecognition,

    /// <summary><c>face_landmark_68_model</c>: 68 facial landmarks from a 112x112 face crop.</summary>
    FaceLandmark68,

    /// <summary><c>tiny_face_detector_model</c>: a small YOLOv2-style face detector.</summary>
    TinyFaceDetector,

    /// <summary><c>ssd_mobilenetv1_model</c>: an SSD face detector on a MobileNet v1 backbone.</summary>
    SsdMobilenetV1,
}
