// Element-wise and feature kernels: fill, strided copy, add-scaled, ReLU, maxout, zero padding and
// row-wise L2 normalisation. Every tensor argument is a batch-strided view: the pointer is the view's
// first element, samples hold `sample` contiguous elements and start `*_stride` elements apart.
#include "common.cuh"
#include "device_helpers.cuh"

extern "C" __global__ void fill(float* __restrict__ y, // (N, sample), batch stride y_stride
                                int y_stride, int sample, int total, float value)
{
    GRID_STRIDE_LOOP(i, total)
    {
        y[strided_index(i, sample, y_stride)] = value;
    }
}

extern "C" __global__ void copy_strided(const float* __restrict__ x, // (N, sample)
                                        int x_stride,
                                        float* __restrict__ y, // (N, sample)
                                        int y_stride, int sample, int total)
{
    GRID_STRIDE_LOOP(i, total)
    {
        y[strided_index(i, sample, y_stride)] = x[strided_index(i, sample, x_stride)];
    }
}

// y += alpha * x
extern "C" __global__ void add_scaled(const float* __restrict__ x, // (N, sample)
                                      int x_stride, float alpha,
                                      float* __restrict__ y, // (N, sample)
                                      int y_stride, int sample, int total)
{
    GRID_STRIDE_LOOP(i, total)
    {
        y[strided_index(i, sample, y_stride)] += alpha * x[strided_index(i, sample, x_stride)];
    }
}

// y = max(x, 0); x and y may alias.
extern "C" __global__ void relu_forward(const float* x, // (N, sample)
                                        int x_stride,
                                        float* y, // (N, sample)
                                        int y_stride, int sample, int total)
{
    GRID_STRIDE_LOOP(i, total)
    {
        y[strided_index(i, sample, y_stride)] = fmaxf(x[strided_index(i, sample, x_stride)], 0.0f);
    }
}

// dx += dy where y > 0
extern "C" __global__ void relu_backward(const float* __restrict__ y, // (N, sample)
                                         int y_stride,
                                         const float* __restrict__ dy, // (N, sample)
                                         int dy_stride,
                                         float* __restrict__ dx, // (N, sample)
                                         int dx_stride, int sample, int total)
{
    GRID_STRIDE_LOOP(i, total)
    {
        if (y[strided_index(i, sample, y_stride)] > 0.0f)
        {
            dx[strided_index(i, sample, dx_stride)] += dy[strided_index(i, sample, dy_stride)];
        }
    }
}

// y[n, f] = max over j < group of x[n, f * group + j]; total = N * features.
extern "C" __global__ void maxout_forward(const float* __restrict__ x, // (N, features * group)
                                          int x_stride,
                                          float* __restrict__ y, // (N, features)
                                          int y_stride, int group, int features, int total)
{
    GRID_STRIDE_LOOP(i, total)
    {
        const int n = i / features;
        const int f = i % features;
        const float* xs = x + n * x_stride + f * group;
        float best = xs[0];
        for (int j = 1; j < group; j++)
        {
            best = fmaxf(best, xs[j]);
        }
        y[n * y_stride + f] = best;
    }
}

// Adds dy[n, f] into the first maximum of group f of dx, recomputed from x. One thread per group,
// so no two threads write the same element.
extern "C" __global__ void maxout_backward(const float* __restrict__ x, // (N, features * group)
                                           int x_stride,
                                           const float* __restrict__ dy, // (N, features)
                                           int dy_stride,
                                           float* __restrict__ dx, // (N, features * group)
                                           int dx_stride, int group, int features, int total)
{
    GRID_STRIDE_LOOP(i, total)
    {
        const int n = i / features;
        const int f = i % features;
        const float* xs = x + n * x_stride + f * group;
        int arg = 0;
        for (int j = 1; j < group; j++)
        {
            if (xs[j] > xs[arg])
            {
                arg = j;
            }
        }
        dx[n * dx_stride + f * group + arg] += dy[n * dy_stride + f];
    }
}

// y (N, C, OH, OW) = x (N, C, H, W) placed at (top, left), zeros elsewhere; one thread per element of y.
extern "C" __global__ void zero_pad_forward(const float* __restrict__ x, // (N, C, H, W)
                                            int x_stride,
                                            float* __restrict__ y, // (N, C, OH, OW)
                                            int y_stride, int channels, int h, int w, int oh, int ow,
                                            int top, int left, int total)
{
    const int sample = channels * oh * ow;
    GRID_STRIDE_LOOP(i, total)
    {
        const int n = i / sample;
        const int r = i % sample;
        const int c = r / (oh * ow);
        const int yy = r / ow % oh - top;
        const int xx = r % ow - left;
        const bool inside = yy >= 0 && yy < h && xx >= 0 && xx < w;
        y[n * y_stride + r] = inside ? x[n * x_stride + (c * h + yy) * w + xx] : 0.0f;
    }
}

// dx (N, C, H, W) += the (top, left)-offset window of dy (N, C, OH, OW); one thread per element of dx.
extern "C" __global__ void zero_pad_backward(const float* __restrict__ dy, // (N, C, OH, OW)
                                             int dy_stride,
                                             float* __restrict__ dx, // (N, C, H, W)
                                             int dx_stride, int channels, int h, int w, int oh, int ow,
                                             int top, int left, int total)
{
    const int sample = channels * h * w;
    GRID_STRIDE_LOOP(i, total)
    {
        const int n = i / sample;
        const int r = i % sample;
        const int c = r / (h * w);
        const int yy = r / w % h + top;
        const int xx = r % w + left;
        dx[n * dx_stride + r] += dy[n * dy_stride + (c * oh + yy) * ow + xx];
    }
}

// y = x / max(||x||, epsilon) per row; norms[n] = ||x_n||. One block per row.
extern "C" __global__ void l2_normalize_forward(const float* __restrict__ x, // (N, F)
                                                int x_stride,
                                                float* __restrict__ y, // (N, F)
                                                int y_stride,
                                                float* __restrict__ norms, // (N)
                                                int norms_stride, int features, float epsilon)
{
    DYNAMIC_SHARED(float, scratch); // SCRATCH_FLOATS
    const float* xr = x + blockIdx.x * x_stride;
    float* yr = y + blockIdx.x * y_stride;
    float sum = 0.0f;
    for (int f = threadIdx.x; f < features; f += blockDim.x)
    {
        sum += xr[f] * xr[f];
    }
    const float norm = sqrtf(block_sum(sum, scratch));
    const float inv = 1.0f / fmaxf(norm, epsilon);
    for (int f = threadIdx.x; f < features; f += blockDim.x)
    {
        yr[f] = xr[f] * inv;
    }
    if (threadIdx.x == 0)
    {
        norms[blockIdx.x * norms_stride] = norm;
    }
}

// dx += (dy - y * dot(y, dy)) / norm, or dy / epsilon where the norm was clamped. One block per row.
extern "C" __global__ void l2_normalize_backward(const float* __restrict__ y, // (N, F)
                                                 int y_stride,
                                                 const float* __restrict__ norms, // (N)
                                                 int norms_stride,
                                                 const float* __restrict__ dy, // (N, F)
                                                 int dy_stride,
                                                 float* __restrict__ dx, // (N, F)
                                                 int dx_stride, int features, float epsilon)
{
    DYNAMIC_SHARED(float, scratch); // SCRATCH_FLOATS
    const float* yr = y + blockIdx.x * y_stride;
    const float* dyr = dy + blockIdx.x * dy_stride;
    float* dxr = dx + blockIdx.x * dx_stride;
    const float norm = norms[blockIdx.x * norms_stride];
    if (norm < epsilon)
    {
        const float inv = 1.0f / epsilon;
        for (int f = threadIdx.x; f < features; f += blockDim.x)
        {
            dxr[f] += dyr[f] * inv;
        }
        return; // the whole block takes this branch, so no thread is left waiting at a barrier
    }
    float dot = 0.0f;
    for (int f = threadIdx.x; f < features; f += blockDim.x)
    {
        dot += yr[f] * dyr[f];
    }
    dot = block_sum(dot, scratch);
    const float inv = 1.0f / norm;
    for (int f = threadIdx.x; f < features; f += blockDim.x)
    {
        dxr[f] += (dyr[f] - yr[f] * dot) * inv;
    }
}

// Launch shapes:
//   fill, copy_strided, add_scaled, relu_*, maxout_*, zero_pad_*: 1-D grid-stride, 256 threads,
//     blocks = min(ceil(total / 256), 4096); `total` counts the elements of the output (maxout: groups).
//   l2_normalize_*: one block of 128 threads per row (grid N), 128 bytes of dynamic shared memory; any
//     feature count.
FACENET_KERNELS(fill, copy_strided, add_scaled, relu_forward, relu_backward, maxout_forward, maxout_backward,
                zero_pad_forward, zero_pad_backward, l2_normalize_forward, l2_normalize_backward)
