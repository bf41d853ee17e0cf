// Pooling kernels: max, average and L2 over KH x KW windows, with padding and Torch's ceil mode.
// Window (oh, ow) covers input rows [oh * sh - ph, oh * sh - ph + kh) clipped to the input; padded cells
// never win a max, count as zero for L2, and count in the average's divisor (see pool_divisor).
// Backward passes gather: one thread per input element visits the windows that contain it, so every dx
// element has a single writer and the result is deterministic.
#include "common.cuh"
#include "device_helpers.cuh"

#define POOL_MAX 0
#define POOL_AVERAGE 1
#define POOL_L2 2

struct PoolShape
{
    int channels, h, w, oh, ow, kh, kw, sh, sw, ph, pw;
};

// Divisor of the average: the window clipped to the padded input (H + 2 * ph), so padded cells count
// but a ceil-mode window running past the padding does not, as in Torch.
__device__ __forceinline__ float pool_divisor(const PoolShape& s, int oh, int ow)
{
    const int h0 = oh * s.sh - s.ph;
    const int w0 = ow * s.sw - s.pw;
    const int h1 = h0 + s.kh < s.h + s.ph ? h0 + s.kh : s.h + s.ph;
    const int w1 = w0 + s.kw < s.w + s.pw ? w0 + s.kw : s.w + s.pw;
    return (float)((h1 - h0) * (w1 - w0));
}

// Evaluates window (oh, ow) of one channel plane. For max pooling `arg` receives the plane index of the
// first maximum in row-major window order.
__device__ __forceinline__ float pool_window(int kind, const float* plane, const PoolShape& s, int oh, int ow,
                                             int* arg)
{
    const int h0 = oh * s.sh - s.ph;
    const int w0 = ow * s.sw - s.pw;
    const int hs = h0 > 0 ? h0 : 0;
    const int ws = w0 > 0 ? w0 : 0;
    const int he = h0 + s.kh < s.h ? h0 + s.kh : s.h;
    const int we = w0 + s.kw < s.w ? w0 + s.kw : s.w;
    float acc = kind == POOL_MAX ? -INFINITY : 0.0f;
    int best = -1;
    for (int r = hs; r < he; r++)
    {
        for (int c = ws; c < we; c++)
        {
            const float v = plane[r * s.w + c];
            if (kind == POOL_MAX)
            {
                if (best < 0 || v > acc)
                {
                    acc = v;
                    best = r * s.w + c;
                }
            }
            else if (kind == POOL_AVERAGE)
            {
                acc += v;
            }
            else
            {
                acc += v * v;
            }
        }
    }
    if (arg != nullptr)
    {
        *arg = best;
    }
    if (kind == POOL_AVERAGE)
    {
        return acc / pool_divisor(s, oh, ow);
    }
    return kind == POOL_L2 ? sqrtf(acc) : acc;
}

// One thread per output element.
extern "C" __global__ void pool2d_forward(const float* __restrict__ x, // (N, C, H, W)
                                          int x_stride,
                                          float* __restrict__ y, // (N, C, OH, OW)
                                          int y_stride, int kind, int channels, int h, int w, int oh, int ow,
                                          int kh, int kw, int sh, int sw, int ph, int pw, int total)
{
    const PoolShape s = {channels, h, w, oh, ow, kh, kw, sh, sw, ph, pw};
    const int sample = channels * oh * ow;
    GRID_STRIDE_LOOP(i, total)
    {
        const int n = i / sample;
        const int c = i % sample / (oh * ow);
        const int yy = i / ow % oh;
        const int xx = i % ow;
        const float* plane = x + n * x_stride + c * h * w;
        y[n * y_stride + i % sample] = pool_window(kind, plane, s, yy, xx, nullptr);
    }
}

// One thread per input element: dx += the gradient of every window containing it.
//   max:     dy of each window whose first maximum (recomputed from x) is this element.
//   average: dy / divisor of each window.
//   L2:      dy * x / y of each window, nothing where y is 0.
extern "C" __global__ void pool2d_backward(const float* __restrict__ x, // (N, C, H, W)
                                           int x_stride,
                                           const float* __restrict__ y, // (N, C, OH, OW)
                                           int y_stride,
                                           const float* __restrict__ dy, // (N, C, OH, OW)
                                           int dy_stride,
                                           float* __restrict__ dx, // (N, C, H, W)
                                           int dx_stride, int kind, int channels, int h, int w, int oh, int ow,
                                           int kh, int kw, int sh, int sw, int ph, int pw, int total)
{
    const PoolShape s = {channels, h, w, oh, ow, kh, kw, sh, sw, ph, pw};
    const int sample = channels * h * w;
    GRID_STRIDE_LOOP(i, total)
    {
        const int n = i / sample;
        const int c = i % sample / (h * w);
        const int r = i / w % h;
        const int q = i % w;
        const int index = r * w + q;
        const float* plane = x + n * x_stride + c * h * w;
        const int out_offset = c * oh * ow;
        const float* y_plane = y + n * y_stride + out_offset;
        const float* dy_plane = dy + n * dy_stride + out_offset;

        // Windows containing row r: oh * sh - ph <= r < oh * sh - ph + kh.
        const int top = r + ph - kh + 1;
        const int oh_begin = top > 0 ? (top + sh - 1) / sh : 0;
        const int oh_last = (r + ph) / sh < oh - 1 ? (r + ph) / sh : oh - 1;
        const int left = q + pw - kw + 1;
        const int ow_begin = left > 0 ? (left + sw - 1) / sw : 0;
        const int ow_last = (q + pw) / sw < ow - 1 ? (q + pw) / sw : ow - 1;

        const float xv = plane[index];
        float sum = 0.0f;
        for (int a = oh_begin; a <= oh_last; a++)
        {
            for (int b = ow_begin; b <= ow_last; b++)
            {
                const float g = dy_plane[a * ow + b];
                if (kind == POOL_MAX)
                {
                    int arg;
                    pool_window(POOL_MAX, plane, s, a, b, &arg);
                    if (arg == index)
                    {
                        sum += g;
                    }
                }
                else if (kind == POOL_AVERAGE)
                {
                    sum += g / pool_divisor(s, a, b);
                }
                else
                {
                    const float yv = y_plane[a * ow + b];
                    if (yv != 0.0f)
                    {
                        sum += g * xv / yv;
                    }
                }
            }
        }
        dx[n * dx_stride + i % sample] += sum;
    }
}

// Launch shapes: both kernels 1-D grid-stride with 256 threads; pool2d_forward has one thread per
// element of y (total = N*C*OH*OW), pool2d_backward one per element of dx (total = N*C*H*W).
// kind: 0 max, 1 average, 2 L2, matching the PoolKind enum.
FACENET_KERNELS(pool2d_forward, pool2d_backward)
