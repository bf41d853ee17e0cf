// Cross-channel local response normalisation with Torch's window, clipped at the channel edges (for an even
// size, Caffe's window sits one channel further up):
//   scale[c] = k + alpha / size * sum over c' in [c - size / 2, c + (size - 1) / 2] of x[c']^2
//   y[c]     = x[c] * scale[c]^-beta
// The backward pass uses the forward's y and scale:
//   dx[c] += dy[c] * scale[c]^-beta
//            - 2 * alpha * beta / size * x[c] * sum over windows c' containing c of dy[c'] * y[c'] / scale[c']
#include "common.cuh"
#include "device_helpers.cuh"

// One thread per element; the window sum walks at most `size` channels of the same pixel.
extern "C" __global__ void lrn_forward(const float* __restrict__ x, // (N, C, H, W)
                                       int x_stride,
                                       float* __restrict__ y, // (N, C, H, W)
                                       int y_stride,
                                       float* __restrict__ scale, // (N, C, H, W)
                                       int scale_stride, int channels, int plane, int size, float alpha,
                                       float beta, float k, int total)
{
    const int sample = channels * plane;
    GRID_STRIDE_LOOP(i, total)
    {
        const int n = i / sample;
        const int c = i % sample / plane;
        const int p = i % plane;
        const float* xs = x + n * x_stride;
        const int lo = c - size / 2 > 0 ? c - size / 2 : 0;
        const int hi = c + (size - 1) / 2 < channels - 1 ? c + (size - 1) / 2 : channels - 1;
        float sum = 0.0f;
        for (int j = lo; j <= hi; j++)
        {
            const float v = xs[j * plane + p];
            sum += v * v;
        }
        const float s = k + alpha / size * sum;
        const float xv = xs[c * plane + p];
        scale[n * scale_stride + i % sample] = s;
        y[n * y_stride + i % sample] = xv * powf(s, -beta);
    }
}

// One thread per element of dx. The windows containing channel c are those centred on
// c' in [c - (size - 1) / 2, c + size / 2].
extern "C" __global__ void lrn_backward(const float* __restrict__ x, // (N, C, H, W)
                                        int x_stride,
                                        const float* __restrict__ y, // (N, C, H, W)
                                        int y_stride,
                                        const float* __restrict__ scale, // (N, C, H, W)
                                        int scale_stride,
                                        const float* __restrict__ dy, // (N, C, H, W)
                                        int dy_stride,
                                        float* __restrict__ dx, // (N, C, H, W)
                                        int dx_stride, int channels, int plane, int size, float alpha,
                                        float beta, int total)
{
    const int sample = channels * plane;
    GRID_STRIDE_LOOP(i, total)
    {
        const int n = i / sample;
        const int r = i % sample;
        const int c = r / plane;
        const int p = r % plane;
        const float* ys = y + n * y_stride;
        const float* ss = scale + n * scale_stride;
        const float* dys = dy + n * dy_stride;
        const int lo = c - (size - 1) / 2 > 0 ? c - (size - 1) / 2 : 0;
        const int hi = c + size / 2 < channels - 1 ? c + size / 2 : channels - 1;
        float sum = 0.0f;
        for (int j = lo; j <= hi; j++)
        {
            const int e = j * plane + p;
            sum += dys[e] * ys[e] / ss[e];
        }
        const float xv = x[n * x_stride + r];
        dx[n * dx_stride + r] += dys[r] * powf(ss[r], -beta) - 2.0f * alpha * beta / size * xv * sum;
    }
}

// Launch shapes: both kernels 1-D grid-stride with 256 threads, one thread per element
// (total = N*C*H*W, plane = H*W).
FACENET_KERNELS(lrn_forward, lrn_backward)
