// Batch normalisation over (N, H, W) per channel:
//   y = gamma * (x - mean) * invStd + beta,  invStd = 1 / sqrt(var + eps), var biased.
// Training and backward passes run one block per channel: the block reduces its channel with warp
// shuffles and a shared-memory step, then applies the result to the same channel, in one launch.
#include "common.cuh"
#include "device_helpers.cuh"

// Element i of channel c, i in [0, N * plane), of a batch-strided (N, C, H, W) tensor.
__device__ __forceinline__ int channel_index(int i, int c, int plane, int stride)
{
    return i / plane * stride + c * plane + i % plane;
}

// Batch mean and biased variance (two passes, so large means do not cancel), normalisation, and the
// running-statistics update running = (1 - momentum) * running + momentum * batch with the unbiased variance.
extern "C" __global__ void batchnorm_forward_training(const float* __restrict__ x, // (N, C, H, W)
                                                      int x_stride,
                                                      const float* __restrict__ gamma, // (C)
                                                      const float* __restrict__ beta,  // (C)
                                                      float* __restrict__ y,           // (N, C, H, W)
                                                      int y_stride,
                                                      float* __restrict__ saved_mean,    // (C)
                                                      float* __restrict__ saved_inv_std, // (C)
                                                      float* __restrict__ running_mean,  // (C)
                                                      float* __restrict__ running_var,   // (C)
                                                      int n, int channels, int plane, float momentum,
                                                      float epsilon)
{
    DYNAMIC_SHARED(float, scratch); // SCRATCH_FLOATS
    const int c = blockIdx.x;
    const int count = n * plane;
    float sum = 0.0f;
    for (int i = threadIdx.x; i < count; i += blockDim.x)
    {
        sum += x[channel_index(i, c, plane, x_stride)];
    }
    const float mean = block_sum(sum, scratch) / count;

    float squares = 0.0f;
    for (int i = threadIdx.x; i < count; i += blockDim.x)
    {
        const float d = x[channel_index(i, c, plane, x_stride)] - mean;
        squares += d * d;
    }
    squares = block_sum(squares, scratch);
    const float var = squares / count;
    const float inv_std = 1.0f / sqrtf(var + epsilon);

    const float g = gamma[c] * inv_std;
    const float b = beta[c];
    for (int i = threadIdx.x; i < count; i += blockDim.x)
    {
        const float v = x[channel_index(i, c, plane, x_stride)];
        y[channel_index(i, c, plane, y_stride)] = (v - mean) * g + b;
    }
    if (threadIdx.x == 0)
    {
        const float unbiased = count > 1 ? squares / (count - 1) : var;
        saved_mean[c] = mean;
        saved_inv_std[c] = inv_std;
        running_mean[c] = (1.0f - momentum) * running_mean[c] + momentum * mean;
        running_var[c] = (1.0f - momentum) * running_var[c] + momentum * unbiased;
    }
}

// y = gamma * (x - runningMean) / sqrt(runningVar + eps) + beta. One thread per element.
extern "C" __global__ void batchnorm_forward_inference(const float* __restrict__ x, // (N, C, H, W)
                                                       int x_stride,
                                                       const float* __restrict__ gamma,        // (C)
                                                       const float* __restrict__ beta,         // (C)
                                                       const float* __restrict__ running_mean, // (C)
                                                       const float* __restrict__ running_var,  // (C)
                                                       float* __restrict__ y,                  // (N, C, H, W)
                                                       int y_stride, int channels, int plane, float epsilon,
                                                       int total)
{
    const int sample = channels * plane;
    GRID_STRIDE_LOOP(i, total)
    {
        const int c = i % sample / plane;
        const float inv_std = 1.0f / sqrtf(running_var[c] + epsilon);
        const float v = x[strided_index(i, sample, x_stride)];
        y[strided_index(i, sample, y_stride)] = (v - running_mean[c]) * inv_std * gamma[c] + beta[c];
    }
}

// With xhat = (x - mean) * invStd and M = N * H * W:
//   dBeta += sum dy,  dGamma += sum dy * xhat,
//   dx += gamma * invStd / M * (M * dy - sum dy - xhat * sum(dy * xhat)).
extern "C" __global__ void batchnorm_backward(const float* __restrict__ x, // (N, C, H, W)
                                              int x_stride,
                                              const float* __restrict__ dy, // (N, C, H, W)
                                              int dy_stride,
                                              const float* __restrict__ gamma,         // (C)
                                              const float* __restrict__ saved_mean,    // (C)
                                              const float* __restrict__ saved_inv_std, // (C)
                                              float* __restrict__ dx,                  // (N, C, H, W)
                                              int dx_stride,
                                              float* __restrict__ dgamma, // (C)
                                              float* __restrict__ dbeta,  // (C)
                                              int n, int channels, int plane)
{
    DYNAMIC_SHARED(float, scratch); // SCRATCH_FLOATS
    const int c = blockIdx.x;
    const int count = n * plane;
    const float mean = saved_mean[c];
    const float inv_std = saved_inv_std[c];
    float sum_dy = 0.0f;
    float sum_dy_xhat = 0.0f;
    for (int i = threadIdx.x; i < count; i += blockDim.x)
    {
        const float g = dy[channel_index(i, c, plane, dy_stride)];
        sum_dy += g;
        sum_dy_xhat += g * (x[channel_index(i, c, plane, x_stride)] - mean) * inv_std;
    }
    sum_dy = block_sum(sum_dy, scratch);
    sum_dy_xhat = block_sum(sum_dy_xhat, scratch);

    const float factor = gamma[c] * inv_std / count;
    for (int i = threadIdx.x; i < count; i += blockDim.x)
    {
        const float g = dy[channel_index(i, c, plane, dy_stride)];
        const float xhat = (x[channel_index(i, c, plane, x_stride)] - mean) * inv_std;
        dx[channel_index(i, c, plane, dx_stride)] += factor * (count * g - sum_dy - xhat * sum_dy_xhat);
    }
    if (threadIdx.x == 0)
    {
        dgamma[c] += sum_dy_xhat;
        dbeta[c] += sum_dy;
    }
}

// Launch shapes:
//   batchnorm_forward_training, batchnorm_backward: one block of 256 threads per channel (grid C), 128 bytes
//     of dynamic shared memory.
//   batchnorm_forward_inference: 1-D grid-stride, 256 threads, total = N*C*H*W.
// Rank-2 (N, F) inputs use plane = 1.
FACENET_KERNELS(batchnorm_forward_training, batchnorm_forward_inference, batchnorm_backward)
