// Per-channel scale-and-shift y = x * scale[c] + shift[c], the "scale" layer of Caffe and dlib ResNets.
// Tensors are batch-strided views: element (n, c, h, w) is at p[n * stride + (c * H + h) * W + w].
#include "common.cuh"
#include "device_helpers.cuh"

// y = x * scale[c] + shift[c]; x and y may alias. One thread per element.
extern "C" __global__ void scale_shift_forward(const float* x, // (N, C, H, W)
                                               int x_stride,
                                               const float* __restrict__ scale, // (C)
                                               const float* __restrict__ shift, // (C)
                                               float* y,                        // (N, C, H, W)
                                               int y_stride, int channels, int plane, int total)
{
    const int sample = channels * plane;
    GRID_STRIDE_LOOP(i, total)
    {
        const int c = (i % sample) / plane;
        y[strided_index(i, sample, y_stride)] = x[strided_index(i, sample, x_stride)] * scale[c] + shift[c];
    }
}

// dx += dy * scale[c]. One thread per element.
extern "C" __global__ void scale_shift_backward_data(const float* __restrict__ dy, // (N, C, H, W)
                                                     int dy_stride,
                                                     const float* __restrict__ scale, // (C)
                                                     float* __restrict__ dx,          // (N, C, H, W)
                                                     int dx_stride, int channels, int plane, int total)
{
    const int sample = channels * plane;
    GRID_STRIDE_LOOP(i, total)
    {
        const int c = (i % sample) / plane;
        dx[strided_index(i, sample, dx_stride)] += dy[strided_index(i, sample, dy_stride)] * scale[c];
    }
}

// dscale[c] += sum over n, h, w of dy * x and dshift[c] += sum of dy. One block per channel, reducing in a
// fixed order.
extern "C" __global__ void scale_shift_backward_parameters(const float* __restrict__ x, // (N, C, H, W)
                                                           int x_stride,
                                                           const float* __restrict__ dy, // (N, C, H, W)
                                                           int dy_stride,
                                                           float* __restrict__ dscale, // (C)
                                                           float* __restrict__ dshift, // (C)
                                                           int n_count, int plane)
{
    DYNAMIC_SHARED(float, scratch); // SCRATCH_FLOATS
    const int c = blockIdx.x;
    float scale_sum = 0.0f;
    float shift_sum = 0.0f;
    for (int i = threadIdx.x; i < n_count * plane; i += blockDim.x)
    {
        const int n = i / plane;
        const int p = i % plane;
        const float g = dy[n * dy_stride + c * plane + p];
        scale_sum += g * x[n * x_stride + c * plane + p];
        shift_sum += g;
    }
    scale_sum = block_sum(scale_sum, scratch);
    shift_sum = block_sum(shift_sum, scratch);
    if (threadIdx.x == 0)
    {
        dscale[c] += scale_sum;
        dshift[c] += shift_sum;
    }
}

// Launch shapes:
//   scale_shift_forward, scale_shift_backward_data: 1-D grid-stride, 256 threads.
//   scale_shift_backward_parameters: block 256, grid C, 128 bytes of dynamic shared memory.
FACENET_KERNELS(scale_shift_forward, scale_shift_backward_data, scale_shift_backward_parameters)
