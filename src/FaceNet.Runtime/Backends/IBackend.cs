using FaceNet.Runtime.Tensors;

namespace FaceNet.Runtime.Backends;

/// <summary>
/// A device that stores tensors and runs the engine's kernels. Models and autograd talk only to this
/// interface, so the CPU backend and the CUDA backend (real or emulated) are interchangeable.
/// </summary>
/// <remarks>
/// Conventions every implementation follows:
/// <list type="bullet">
/// <item>NCHW tensors may be batch-strided views (see <see cref="Tensor"/>); kernels honour
/// <see cref="Tensor.Offset"/> and <see cref="Tensor.BatchStride"/> of every argument.</item>
/// <item>Forward kernels overwrite their output. Backward kernels <b>add</b> into their gradient outputs,
/// so a value that fans out to several consumers accumulates its gradient without extra buffers.</item>
/// <item>Shapes are checked by the caller in <c>FaceNet.Runtime.Operations</c>; kernels trust them.</item>
/// </list>
/// </remarks>
public interface IBackend
{
    /// <summary>Short name for logs and reports: <c>cpu</c>, <c>cuda</c>, <c>emulated</c>.</summary>
    string Name { get; }

    // ---- memory -------------------------------------------------------------------------------

    /// <summary>Takes a buffer of exactly <paramref name="length"/> elements from the pool; contents are undefined.</summary>
    DeviceBuffer Allocate(int length);

    /// <summary>Returns a buffer to the pool.</summary>
    void Release(DeviceBuffer buffer);

    /// <summary>Statistics of the buffer pool, for memory tests and reports.</summary>
    PoolStatistics PoolStatistics { get; }

    /// <summary>Copies host data into a tensor (which may be a strided view); lengths must match its count.</summary>
    void Upload(ReadOnlySpan<float> source, Tensor destination);

    /// <summary>Copies a tensor (which may be a strided view) to host memory, samples packed.</summary>
    void Download(Tensor source, Span<float> destination);

    /// <summary>Sets every element of the tensor to <paramref name="value"/>.</summary>
    void Fill(Tensor tensor, float value);

    /// <summary><c>destination = source</c> (same shape, either may be strided).</summary>
    void Copy(Tensor source, Tensor destination);

    /// <summary><c>destination += alpha * source</c> (same shape, either may be strided).</summary>
    void AddScaled(Tensor source, float alpha, Tensor destination);

    /// <summary>Waits for queued work to finish; a no-op on the CPU.</summary>
    void Synchronize();

    // ---- dense algebra ------------------------------------------------------------------------

    /// <summary>
    /// Row-major SGEMM on contiguous tensors' storage:
    /// <c>C = alpha * op(A) * op(B) + beta * C</c> with op(A) of size m x k and op(B) of size k x n.
    /// Offsets are element offsets into each tensor's buffer; lda, ldb, ldc are row strides in elements.
    /// </summary>
    void Gemm(bool transposeA, bool transposeB, int m, int n, int k, float alpha,
        Tensor a, int aOffset, int lda, Tensor b, int bOffset, int ldb, float beta, Tensor c, int cOffset, int ldc);

    // ---- convolution --------------------------------------------------------------------------

    /// <summary>
    /// <c>y = conv(x, weight) + bias</c>, then ReLU when <paramref name="relu"/> is set.
    /// x: (N, Cin, H, W); weight: (Cout, Cin, KH, KW); bias: (Cout) or null; y: (N, Cout, OH, OW).
    /// </summary>
    void Conv2dForward(in Conv2dGeometry g, Tensor x, Tensor weight, Tensor? bias, Tensor y, bool relu);

    /// <summary><c>dx += conv_transpose(dy, weight)</c>. dy: (N, Cout, OH, OW); dx: (N, Cin, H, W).</summary>
    void Conv2dBackwardData(in Conv2dGeometry g, Tensor dy, Tensor weight, Tensor dx);

    /// <summary>
    /// <c>dWeight += correlation(x, dy)</c> and <c>dBias += sum of dy over N, OH, OW</c> (when dBias is not null).
    /// </summary>
    void Conv2dBackwardFilter(in Conv2dGeometry g, Tensor x, Tensor dy, Tensor dWeight, Tensor? dBias);

    /// <summary>
    /// Depthwise convolution, one filter per channel:
    /// <c>y[n, c, oh, ow] = bias[c] + sum over kh, kw of weight[c, 0, kh, kw] * x[n, c, oh * strideH - padH + kh,
    /// ow * strideW - padW + kw]</c>, positions outside the input reading 0. <c>g.OutChannels</c> equals
    /// <c>g.InChannels</c>. x: (N, C, H, W); weight: (C, 1, KH, KW); bias: (C) or null; y: (N, C, OH, OW).
    /// </summary>
    void DepthwiseConv2dForward(in Conv2dGeometry g, Tensor x, Tensor weight, Tensor? bias, Tensor y);

    /// <summary>Adds the depthwise convolution's input gradient into dx (N, C, H, W) from dy (N, C, OH, OW).</summary>
    void DepthwiseConv2dBackwardData(in Conv2dGeometry g, Tensor dy, Tensor weight, Tensor dx);

    /// <summary>
    /// <c>dWeight[c, 0, kh, kw] += sum over n, oh, ow of x[n, c, ...] * dy[n, c, oh, ow]</c> and
    /// <c>dBias[c] += sum of dy over N, OH, OW</c> (when dBias is not null).
    /// </summary>
    void DepthwiseConv2dBackwardFilter(in Conv2dGeometry g, Tensor x, Tensor dy, Tensor dWeight, Tensor? dBias);

    /// <summary>
    /// Per-channel affine map <c>y[n, c, h, w] = x[n, c, h, w] * scale[c] + shift[c]</c> for x and y (N, C, H, W)
    /// and scale, shift (C); x and y may be the same tensor.
    /// </summary>
    void ScaleShiftForward(Tensor x, Tensor scale, Tensor shift, Tensor y);

    /// <summary><c>dx[n, c, h, w] += dy[n, c, h, w] * scale[c]</c>.</summary>
    void ScaleShiftBackwardData(Tensor dy, Tensor scale, Tensor dx);

    /// <summary><c>dScale[c] += sum over n, h, w of dy * x</c> and <c>dShift[c] += sum over n, h, w of dy</c>.</summary>
    void ScaleShiftBackwardParameters(Tensor x, Tensor dy, Tensor dScale, Tensor dShift);

    // ---- pooling and normalisation ------------------------------------------------------------

    /// <summary>Pooling of the given kind. x: (N, C, H, W); y: (N, C, OH, OW).</summary>
    void Pool2dForward(PoolKind kind, in Pool2dGeometry g, Tensor x, Tensor y);

    /// <summary>
    /// Adds the pooling gradient into dx. Max pooling sends each dy to the first maximum of its window
    /// (recomputed from x); L2 pooling sends <c>dy * x / y</c>, and nothing where y is 0.
    /// </summary>
    void Pool2dBackward(PoolKind kind, in Pool2dGeometry g, Tensor x, Tensor y, Tensor dy, Tensor dx);

    /// <summary>
    /// Cross-channel LRN (see <see cref="LrnParameters"/>). Writes y and the denominator base
    /// <c>scale = K + Alpha / Size * sum x^2</c>, which the backward pass reuses. All (N, C, H, W).
    /// </summary>
    void LrnForward(LrnParameters p, Tensor x, Tensor y, Tensor scale);

    /// <summary>Adds the LRN gradient into dx, from x, y, scale and dy of the forward pass.</summary>
    void LrnBackward(LrnParameters p, Tensor x, Tensor y, Tensor scale, Tensor dy, Tensor dx);

    /// <summary>
    /// Batch normalisation with batch statistics over (N, H, W) per channel:
    /// <c>y = gamma * (x - mean) * invStd + beta</c> with <c>invStd = 1 / sqrt(var + eps)</c> and the biased
    /// variance. Saves mean and invStd (C) for the backward pass and updates the running statistics as
    /// <c>running = (1 - momentum) * running + momentum * batch</c>, with the unbiased variance.
    /// </summary>
    void BatchNormForwardTraining(Tensor x, Tensor gamma, Tensor beta, Tensor y, Tensor savedMean,
        Tensor savedInvStd, Tensor runningMean, Tensor runningVar, float momentum, float epsilon);

    /// <summary>Batch normalisation with the running statistics; no batch statistic is used.</summary>
    void BatchNormForwardInference(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
        float epsilon, Tensor y);

    /// <summary>Adds the gradients of <see cref="BatchNormForwardTraining"/> into dx, dGamma and dBeta.</summary>
    void BatchNormBackward(Tensor x, Tensor dy, Tensor gamma, Tensor savedMean, Tensor savedInvStd,
        Tensor dx, Tensor dGamma, Tensor dBeta);

    // ---- element-wise and feature ops ---------------------------------------------------------

    /// <summary><c>y = max(x, 0)</c>; x and y may be the same tensor.</summary>
    void ReluForward(Tensor x, Tensor y);

    /// <summary><c>dx += dy where y &gt; 0</c>.</summary>
    void ReluBackward(Tensor y, Tensor dy, Tensor dx);

    /// <summary>
    /// Maxout over groups of <paramref name="groupSize"/> consecutive features:
    /// x: (N, F * p), y: (N, F), <c>y[n, f] = max over j &lt; p of x[n, f * p + j]</c>.
    /// </summary>
    void MaxoutForward(int groupSize, Tensor x, Tensor y);

    /// <summary>Adds dy into the first maximum of each group of dx (recomputed from x).</summary>
    void MaxoutBackward(int groupSize, Tensor x, Tensor dy, Tensor dx);

    /// <summary>
    /// Copies x (N, C, H, W) into y (N, C, H + top + bottom, W + left + right) at (top, left), zeros elsewhere.
    /// </summary>
    void ZeroPad2dForward(Tensor x, Tensor y, int top, int left);

    /// <summary>Adds the (top, left)-offset window of dy into dx.</summary>
    void ZeroPad2dBackward(Tensor dy, Tensor dx, int top, int left);

    /// <summary>
    /// Row-wise L2 normalisation: <c>y = x / max(||x||, epsilon)</c> for x: (N, F); writes the norms (N).
    /// </summary>
    void L2NormalizeForward(Tensor x, Tensor y, Tensor norms, float epsilon);

    /// <summary>Adds <c>(dy - y * dot(y, dy)) / norm</c> into dx (rows clamped by epsilon get <c>dy / epsilon</c>).</summary>
    void L2NormalizeBackward(Tensor y, Tensor norms, Tensor dy, Tensor dx, float epsilon);

    // ---- detector activations -----------------------------------------------------------------

    /// <summary><c>y = x &gt; 0 ? x : slope * x</c>; x and y may be the same tensor.</summary>
    void LeakyReluForward(Tensor x, Tensor y, float slope);

    /// <summary><c>dx += x &gt; 0 ? dy : slope * dy</c>, from the forward input x.</summary>
    void LeakyReluBackward(Tensor x, Tensor dy, Tensor dx, float slope);

    /// <summary><c>y = min(max(x, min), max)</c>; x and y may be the same tensor. ReLU6 is min 0, max 6.</summary>
    void ClipForward(Tensor x, Tensor y, float min, float max);

    /// <summary><c>dx += dy where min &lt; x &lt; max</c>, from the forward input x.</summary>
    void ClipBackward(Tensor x, Tensor dy, Tensor dx, float min, float max);

    // ---- losses -------------------------------------------------------------------------------

    /// <summary>
    /// Pairwise squared L2 distances of the rows of embeddings (N, D) into distances (N, N).
    /// </summary>
    void PairwiseSquaredDistances(Tensor embeddings, Tensor distances);

    /// <summary>
    /// Triplet loss on given triplets, forward and gradient in one call: mean over triplets of
    /// <c>max(d(a, p) - d(a, n) + alpha, 0)</c> with squared L2 distances. Writes (not adds) the gradient
    /// with respect to the embeddings (N, D), scaled by <paramref name="gradientScale"/> / triplet count.
    /// Returns the loss; 0 with a zero gradient when there are no triplets.
    /// </summary>
    float TripletLoss(Tensor embeddings, ReadOnlySpan<int> anchors, ReadOnlySpan<int> positives,
        ReadOnlySpan<int> negatives, float alpha, Tensor gradient, float gradientScale);

    /// <summary>
    /// Online semi-hard triplet mining fused with the loss: for every anchor-positive pair of equal labels
    /// (label &lt; 0 marks an extra negative that is never an anchor), picks a negative by
    /// <paramref name="policy"/> from the distance matrix, and returns the statistics. Writes (not adds)
    /// the gradient of the mean loss with respect to the embeddings, times <paramref name="gradientScale"/>.
    /// </summary>
    TripletStats TripletSemiHard(Tensor embeddings, ReadOnlySpan<int> labels, float alpha, NegativePolicy policy,
        Tensor gradient, float gradientScale);

    // ---- optimiser updates --------------------------------------------------------------------

    /// <summary>
    /// AdaGrad: <c>g' = g + wd * p; accum += g'^2; p -= lr * g' / (sqrt(accum) + eps)</c>.
    /// </summary>
    void AdaGradUpdate(Tensor parameter, Tensor gradient, Tensor accumulator, float learningRate,
        float epsilon, float weightDecay);

    /// <summary>SGD with momentum: <c>g' = g + wd * p; v = momentum * v + g'; p -= lr * v</c>.</summary>
    void SgdUpdate(Tensor parameter, Tensor gradient, Tensor velocity, float learningRate, float momentum,
        float weightDecay);

    /// <summary>
    /// Adam with bias correction at 1-based <paramref name="step"/>:
    /// <c>m = b1 m + (1 - b1) g'; v = b2 v + (1 - b2) g'^2; p -= lr * m^ / (sqrt(v^) + eps)</c>, <c>g' = g + wd p</c>.
    /// </summary>
    void AdamUpdate(Tensor parameter, Tensor gradient, Tensor m, Tensor v, float learningRate, float beta1,
        float beta2, float epsilon, float weightDecay, int step);
}

/// <summary>Counters of a backend's buffer pool.</summary>
/// <param name="FreshAllocations">Buffers created because the pool had none of the requested length.</param>
/// <param name="Reuses">Requests served from the pool.</param>
/// <param name="LiveBuffers">Buffers handed out and not yet released.</param>
/// <param name="PooledBytes">Bytes held by idle buffers in the pool.</param>
public readonly record struct PoolStatistics(long FreshAllocations, long Reuses, long LiveBuffers, long PooledBytes);
