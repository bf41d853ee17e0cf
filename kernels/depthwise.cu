// Depthwise convolution: every channel has its own KH x KW filter and reads only its own input plane. Tensors are
// batch-strided views: element (n, c, h, w) is at p[n * stride + (c * H + h) * W + w]. Filters are
// (C, 1, KH, KW), contiguous.
#include "common.cuh"
#include "device_helpers.cuh"

// y[n, c, oh, ow] = bias[c] + sum over kh, kw of w[c, kh, kw] * x[n, c, oh * sh - ph + kh, ow * sw - pw + kw].
// One thread per element of y; has_bias is 0 or 1.
extern "C" __global__ void depthwise_conv2d_forward(const float* __restrict__ x, // (N, C, H, W)
                                                    int x_stride,
                                                    const float* __restrict__ weight, // (C, 1, KH, KW)
                                                    const float* __restrict__ bias,   // (C) or null
                                                    int has_bias,
                                                    float* __restrict__ y, // (N, C, OH, OW)
                                                    int y_stride, int channels, int h, int w, int kh, int kw,
                                                    int sh, int sw, int ph, int pw, int oh, int ow, int total)
{
    GRID_STRIDE_LOOP(i, total)
    {
        const int ox = i % ow;
        const int oy = (i / ow) % oh;
        const int c = (i / (ow * oh)) % channels;
        const int n = i / (ow * oh * channels);
        const float* xs = x + n * x_stride + c * h * w;
        const float* filter = weight + c * kh * kw;
        float sum = has_bias ? bias[c] : 0.0f;
        for (int ky = 0; ky < kh; ky++)
        {
            const int iy = oy * sh - ph + ky;
            if (iy < 0 || iy >= h)
            {
                continue;
            }
            for (int kx = 0; kx < kw; kx++)
            {
                const int ix = ox * sw - pw + kx;
                if (ix >= 0 && ix < w)
                {
                    sum += filter[ky * kw + kx] * xs[iy * w + ix];
                }
            }
        }
        y[n * y_stride + (c * oh + oy) * ow + ox] = sum;
    }
}

// dx[n, c, iy, ix] += sum of w[c, ky, kx] * dy[n, c, oy, ox] over the outputs whose window covers (iy, ix).
// One thread per element of dx, which gathers, so no two threads write the same element.
extern "C" __global__ void depthwise_conv2d_backward_data(const float* __restrict__ dy, // (N, C, OH, OW)
                                                          int dy_stride,
                                                          const float* __restrict__ weight, // (C, 1, KH, KW)
                                                          float* __restrict__ dx,           // (N, C, H, W)
                                                          int dx_stride, int channels, int h, int w, int kh,
                                                          int kw, int sh, int sw, int ph, int pw, int oh, int ow,
                                                          int total)
{
    GRID_STRIDE_LOOP(i, total)
    {
        const int ix = i % w;
        const int iy = (i / w) % h;
        const int c = (i / (w * h)) % channels;
        const int n = i / (w * h * channels);
        const float* dys = dy + n * dy_stride + c * oh * ow;
        const float* filter = weight + c * kh * kw;
        float sum = 0.0f;
        for (int ky = 0; ky < kh; ky++)
        {
            const int ty = iy + ph - ky;
            if (ty < 0 || ty % sh != 0 || ty / sh >= oh)
            {
                continue;
            }
            for (int kx = 0; kx < kw; kx++)
            {
                const int tx = ix + pw - kx;
                if (tx >= 0 && tx % sw == 0 && tx / sw < ow)
                {
                    sum += filter[ky * kw + kx] * dys[(ty / sh) * ow + tx / sw];
                }
            }
        }
        dx[n * dx_stride + (c * h + iy) * w + ix] += sum;
    }
}

// Block (c, tap) with tap < KH * KW adds sum over n, oy, ox of x[n, c, ...] * dy[n, c, oy, ox] into
// dweight[c, tap]; the block with tap == KH * KW (launched only when dbias is wanted) adds the sum of dy
// into dbias[c]. Each block reduces in a fixed order, so the result is deterministic.
extern "C" __global__ void depthwise_conv2d_backward_filter(const float* __restrict__ x, // (N, C, H, W)
                                                            int x_stride,
                                                            const float* __restrict__ dy, // (N, C, OH, OW)
                                                            int dy_stride,
                                                            float* __restrict__ dweight, // (C, 1, KH, KW)
                                                            float* __restrict__ dbias,   // (C) or null
                                                            int n_count, int channels, int h, int w, int kh,
                                                            int kw, int sh, int sw, int ph, int pw, int oh, int ow)
{
    DYNAMIC_SHARED(float, scratch); // SCRATCH_FLOATS
    const int c = blockIdx.x;
    const int tap = blockIdx.y;
    const bool is_bias = tap == kh * kw;
    const int ky = tap / kw;
    const int kx = tap % kw;
    const int plane = oh * ow;
    float sum = 0.0f;
    for (int i = threadIdx.x; i < n_count * plane; i += blockDim.x)
    {
        const int n = i / plane;
        const int oy = (i % plane) / ow;
        const int ox = i % ow;
        const float g = dy[n * dy_stride + c * plane + oy * ow + ox];
        if (is_bias)
        {
            sum += g;
            continue;
        }
        const int iy = oy * sh - ph + ky;
        const int ix = ox * sw - pw + kx;
        if (iy >= 0 && iy < h && ix >= 0 && ix < w)
        {
            sum += x[n * x_stride + (c * h + iy) * w + ix] * g;
        }
    }
    sum = block_sum(sum, scratch);
    if (threadIdx.x == 0)
    {
        if (is_bias)
        {
            dbias[c] += sum;
        }
        else
        {
            dweight[c * kh * kw + tap] += sum;
        }
    }
}

// Launch shapes:
//   depthwise_conv2d_forward, depthwise_conv2d_backward_data: 1-D grid-stride, 256 threads.
//   depthwise_conv2d_backward_filter: block 256, grid (C, KH * KW + 1 with a bias gradient, else KH * KW),
//                                     128 bytes of dynamic shared memory.
FACENET_KERNELS(depthwise_conv2d_forward, depthwise_conv2d_backward_data, depthwise_conv2d_backward_filter)
