// Activations of the face-api detectors: leaky ReLU (tiny face detector) and clipping (ReLU6 of the SSD
// MobileNet). Every tensor argument is a batch-strided view: the pointer is the view's first element,
// samples hold `sample` contiguous elements and start `*_stride` elements apart.
#include "common.cuh"
#include "device_helpers.cuh"

// y = x > 0 ? x : slope * x; x and y may alias.
extern "C" __global__ void leaky_relu_forward(const float* x, // (N, sample)
                                              int x_stride,
                                              float* y, // (N, sample)
                                              int y_stride, int sample, int total, float slope)
{
    GRID_STRIDE_LOOP(i, total)
    {
        const float v = x[strided_index(i, sample, x_stride)];
        y[strided_index(i, sample, y_stride)] = v > 0.0f ? v : slope * v;
    }
}

// dx += x > 0 ? dy : slope * dy
extern "C" __global__ void leaky_relu_backward(const float* __restrict__ x, // (N, sample)
                                               int x_stride,
                                               const float* __restrict__ dy, // (N, sample)
                                               int dy_stride,
                                               float* __restrict__ dx, // (N, sample)
                                               int dx_stride, int sample, int total, float slope)
{
    GRID_STRIDE_LOOP(i, total)
    {
        const float g = dy[strided_index(i, sample, dy_stride)];
        dx[strided_index(i, sample, dx_stride)] += x[strided_index(i, sample, x_stride)] > 0.0f ? g : slope * g;
    }
}

// y = min(max(x, lo), hi); x and y may alias.
extern "C" __global__ void clip_forward(const float* x, // (N, sample)
                                        int x_stride,
                                        float* y, // (N, sample)
                                        int y_stride, int sample, int total, float lo, float hi)
{
    GRID_STRIDE_LOOP(i, total)
    {
        y[strided_index(i, sample, y_stride)] = fminf(fmaxf(x[strided_index(i, sample, x_stride)], lo), hi);
    }
}

// dx += dy where lo < x < hi
extern "C" __global__ void clip_backward(const float* __restrict__ x, // (N, sample)
                                         int x_stride,
                                         const float* __restrict__ dy, // (N, sample)
                                         int dy_stride,
                                         float* __restrict__ dx, // (N, sample)
                                         int dx_stride, int sample, int total, float lo, float hi)
{
    GRID_STRIDE_LOOP(i, total)
    {
        const float v = x[strided_index(i, sample, x_stride)];
        if (v > lo && v < hi)
        {
            dx[strided_index(i, sample, dx_stride)] += dy[strided_index(i, sample, dy_stride)];
        }
    }
}

// Launch shapes:
//   every kernel: 1-D grid-stride, 256 threads, blocks = min(ceil(total / 256), 4096); `total` counts the
//     elements of the output.
FACENET_KERNELS(leaky_relu_forward, leaky_relu_backward, clip_forward, clip_backward)
