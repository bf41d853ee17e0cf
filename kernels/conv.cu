// Convolution kernels. The three passes are implicit GEMMs over a virtual im2col matrix that is never
// stored: each block computes a 64 x 64 output tile, staging 16-deep slices of both operands in shared
// memory, and each of its 256 threads accumulates a 4 x 4 sub-tile in registers.
//
//   forward:         y[co, p]  = sum_k W[co, k] * col(x)[k, p],     k = (ci, kh, kw), p = (n, oh, ow)
//   backward data:   dx[ci, q] += sum_k W^T[ci, k] * col(dy)[k, q], k = (co, kh, kw), q = (n, h, w)
//   backward filter: dW[co, j] += sum_k dy[co, k] * col(x)[k, j],   k = (n, oh, ow),  j = (ci, kh, kw)
//
// im2col, col2im and conv2d_bias_relu serve the alternative path where cuBLAS does the GEMM per sample.
#include "common.cuh"
#include "device_helpers.cuh"

#define TILE_M 64
#define TILE_N 64
#define TILE_K 16
#define TILE_THREADS 256
// Dynamic shared memory of the implicit-GEMM kernels: both operand tiles, 8,256 bytes.
#define TILE_SHARED_FLOATS (TILE_K * (TILE_M + 1) + TILE_K * TILE_N)

struct ConvShape
{
    int n, cin, h, w, cout, kh, kw, sh, sw, ph, pw, oh, ow;
};

__device__ __forceinline__ ConvShape make_shape(int n, int cin, int h, int w, int cout, int kh, int kw, int sh,
                                                int sw, int ph, int pw, int oh, int ow)
{
    ConvShape s = {n, cin, h, w, cout, kh, kw, sh, sw, ph, pw, oh, ow};
    return s;
}

// Accumulates rows [m0, m0 + 64) x columns [n0, n0 + 64) of A * B over k in [k_begin, k_end).
// Thread (ty, tx) = (tid / 16, tid % 16) owns rows m0 + ty + 16 i and columns n0 + tx + 16 j.
// The loaders return 0 outside the matrices, so partial tiles need no other care.
template <class LoadA, class LoadB>
__device__ __forceinline__ void tile_gemm(const LoadA& load_a, const LoadB& load_b, int m0, int n0, int k_begin,
                                          int k_end, float (*a_tile)[TILE_M + 1], float (*b_tile)[TILE_N],
                                          float acc[4][4])
{
    const int tid = threadIdx.x;
    const int ty = tid / 16;
    const int tx = tid % 16;
    for (int k0 = k_begin; k0 < k_end; k0 += TILE_K)
    {
        for (int e = tid; e < TILE_M * TILE_K; e += TILE_THREADS)
        {
            const int row = e / TILE_K;
            const int kk = e % TILE_K;
            a_tile[kk][row] = k0 + kk < k_end ? load_a(m0 + row, k0 + kk) : 0.0f;
        }
        for (int e = tid; e < TILE_N * TILE_K; e += TILE_THREADS)
        {
            const int kk = e / TILE_N;
            const int col = e % TILE_N;
            b_tile[kk][col] = k0 + kk < k_end ? load_b(k0 + kk, n0 + col) : 0.0f;
        }
        __syncthreads();
#pragma unroll
        for (int kk = 0; kk < TILE_K; kk++)
        {
            float a[4];
            float b[4];
#pragma unroll
            for (int i = 0; i < 4; i++)
            {
                a[i] = a_tile[kk][ty + 16 * i];
                b[i] = b_tile[kk][tx + 16 * i];
            }
#pragma unroll
            for (int i = 0; i < 4; i++)
            {
#pragma unroll
                for (int j = 0; j < 4; j++)
                {
                    acc[i][j] += a[i] * b[j];
                }
            }
        }
        __syncthreads();
    }
}

// Forward operands: A = weights (Cout x Cin*KH*KW), B = virtual im2col of x (Cin*KH*KW x N*OH*OW).
struct ForwardWeights
{
    const float* weight;
    int rows, depth;
    __device__ float operator()(int co, int k) const
    {
        return co < rows ? weight[co * depth + k] : 0.0f;
    }
};

struct ForwardColumns
{
    const float* x;
    int x_stride, columns;
    ConvShape s;
    __device__ float operator()(int k, int p) const
    {
        if (p >= columns)
        {
            return 0.0f;
        }
        const int window = s.kh * s.kw;
        const int ci = k / window;
        const int kh = k % window / s.kw;
        const int kw = k % s.kw;
        const int plane = s.oh * s.ow;
        const int n = p / plane;
        const int oh = p % plane / s.ow;
        const int ow = p % s.ow;
        const int hh = oh * s.sh - s.ph + kh;
        const int ww = ow * s.sw - s.pw + kw;
        if (hh < 0 || hh >= s.h || ww < 0 || ww >= s.w)
        {
            return 0.0f;
        }
        return x[n * x_stride + (ci * s.h + hh) * s.w + ww];
    }
};

// y = conv(x, weight) + bias, then ReLU when relu != 0. bias may be null.
extern "C" __global__ void __launch_bounds__(TILE_THREADS)
    conv2d_forward(const float* __restrict__ x, // (N, Cin, H, W)
                   int x_stride,
                   const float* __restrict__ weight, // (Cout, Cin, KH, KW)
                   const float* __restrict__ bias,   // (Cout) or null
                   float* __restrict__ y,            // (N, Cout, OH, OW)
                   int y_stride, int n, int cin, int h, int w, int cout, int kh, int kw, int sh, int sw, int ph,
                   int pw, int oh, int ow, int relu)
{
    DYNAMIC_SHARED(float, shared); // TILE_SHARED_FLOATS
    float (*a_tile)[TILE_M + 1] = reinterpret_cast<float (*)[TILE_M + 1]>(shared);
    float (*b_tile)[TILE_N] = reinterpret_cast<float (*)[TILE_N]>(shared + TILE_K * (TILE_M + 1));
    const ConvShape s = make_shape(n, cin, h, w, cout, kh, kw, sh, sw, ph, pw, oh, ow);
    const int depth = cin * kh * kw;
    const int columns = n * oh * ow;
    const int m0 = blockIdx.y * TILE_M;
    const int n0 = blockIdx.x * TILE_N;
    float acc[4][4] = {};
    const ForwardWeights load_a = {weight, cout, depth};
    const ForwardColumns load_b = {x, x_stride, columns, s};
    tile_gemm(load_a, load_b, m0, n0, 0, depth, a_tile, b_tile, acc);

    // Epilogue: bias and ReLU fused into the store.
    const int plane = oh * ow;
    for (int i = 0; i < 4; i++)
    {
        const int co = m0 + threadIdx.x / 16 + 16 * i;
        if (co >= cout)
        {
            continue;
        }
        const float b = bias != nullptr ? bias[co] : 0.0f;
        for (int j = 0; j < 4; j++)
        {
            const int p = n0 + threadIdx.x % 16 + 16 * j;
            if (p >= columns)
            {
                continue;
            }
            float v = acc[i][j] + b;
            if (relu)
            {
                v = fmaxf(v, 0.0f);
            }
            y[p / plane * y_stride + co * plane + p % plane] = v;
        }
    }
}

// Backward-data operands: A = weights transposed (Cin x Cout*KH*KW), B = virtual col(dy): entry
// (co, kh, kw), (n, h, w) is dy at the output position whose window puts tap (kh, kw) on (h, w), or 0.
struct DataWeights
{
    const float* weight;
    int cin, window;
    __device__ float operator()(int ci, int k) const
    {
        if (ci >= cin)
        {
            return 0.0f;
        }
        const int co = k / window;
        return weight[(co * cin + ci) * window + k % window];
    }
};

struct DataColumns
{
    const float* dy;
    int dy_stride, columns;
    ConvShape s;
    __device__ float operator()(int k, int q) const
    {
        if (q >= columns)
        {
            return 0.0f;
        }
        const int window = s.kh * s.kw;
        const int co = k / window;
        const int kh = k % window / s.kw;
        const int kw = k % s.kw;
        const int plane = s.h * s.w;
        const int n = q / plane;
        const int hh = q % plane / s.w;
        const int ww = q % s.w;
        const int th = hh + s.ph - kh;
        const int tw = ww + s.pw - kw;
        if (th < 0 || tw < 0 || th % s.sh != 0 || tw % s.sw != 0)
        {
            return 0.0f;
        }
        const int oh = th / s.sh;
        const int ow = tw / s.sw;
        if (oh >= s.oh || ow >= s.ow)
        {
            return 0.0f;
        }
        return dy[n * dy_stride + (co * s.oh + oh) * s.ow + ow];
    }
};

// dx += conv_transpose(dy, weight). Each dx element belongs to exactly one thread: no atomics.
extern "C" __global__ void __launch_bounds__(TILE_THREADS)
    conv2d_backward_data(const float* __restrict__ dy, // (N, Cout, OH, OW)
                         int dy_stride,
                         const float* __restrict__ weight, // (Cout, Cin, KH, KW)
                         float* __restrict__ dx,           // (N, Cin, H, W)
                         int dx_stride, int n, int cin, int h, int w, int cout, int kh, int kw, int sh, int sw,
                         int ph, int pw, int oh, int ow)
{
    DYNAMIC_SHARED(float, shared); // TILE_SHARED_FLOATS
    float (*a_tile)[TILE_M + 1] = reinterpret_cast<float (*)[TILE_M + 1]>(shared);
    float (*b_tile)[TILE_N] = reinterpret_cast<float (*)[TILE_N]>(shared + TILE_K * (TILE_M + 1));
    const ConvShape s = make_shape(n, cin, h, w, cout, kh, kw, sh, sw, ph, pw, oh, ow);
    const int depth = cout * kh * kw;
    const int columns = n * h * w;
    const int m0 = blockIdx.y * TILE_M;
    const int n0 = blockIdx.x * TILE_N;
    float acc[4][4] = {};
    const DataWeights load_a = {weight, cin, kh * kw};
    const DataColumns load_b = {dy, dy_stride, columns, s};
    tile_gemm(load_a, load_b, m0, n0, 0, depth, a_tile, b_tile, acc);

    const int plane = h * w;
    for (int i = 0; i < 4; i++)
    {
        const int ci = m0 + threadIdx.x / 16 + 16 * i;
        for (int j = 0; j < 4; j++)
        {
            const int q = n0 + threadIdx.x % 16 + 16 * j;
            if (ci < cin && q < columns)
            {
                dx[q / plane * dx_stride + ci * plane + q % plane] += acc[i][j];
            }
        }
    }
}

// Backward-filter operands: A = dy as (Cout x N*OH*OW), B = virtual im2col of x transposed.
struct FilterGradients
{
    const float* dy;
    int dy_stride, cout, plane;
    __device__ float operator()(int co, int k) const
    {
        return co < cout ? dy[k / plane * dy_stride + co * plane + k % plane] : 0.0f;
    }
};

struct FilterColumns
{
    const float* x;
    int x_stride, columns;
    ConvShape s;
    __device__ float operator()(int k, int j) const
    {
        if (j >= columns)
        {
            return 0.0f;
        }
        const int window = s.kh * s.kw;
        const int ci = j / window;
        const int kh = j % window / s.kw;
        const int kw = j % s.kw;
        const int plane = s.oh * s.ow;
        const int n = k / plane;
        const int oh = k % plane / s.ow;
        const int ow = k % s.ow;
        const int hh = oh * s.sh - s.ph + kh;
        const int ww = ow * s.sw - s.pw + kw;
        if (hh < 0 || hh >= s.h || ww < 0 || ww >= s.w)
        {
            return 0.0f;
        }
        return x[n * x_stride + (ci * s.h + hh) * s.w + ww];
    }
};

// dWeight += correlation(x, dy). The reduction over N*OH*OW is split across gridDim.z slices of
// `split_depth` positions each. With one slice the block adds into dweight. With several, slice z writes
// its partial sums to workspace[z], and conv2d_backward_filter_reduce adds them in slice order so the
// result is deterministic.
extern "C" __global__ void __launch_bounds__(TILE_THREADS)
    conv2d_backward_filter(const float* __restrict__ x, // (N, Cin, H, W)
                           int x_stride,
                           const float* __restrict__ dy, // (N, Cout, OH, OW)
                           int dy_stride,
                           float* __restrict__ dweight,   // (Cout, Cin, KH, KW)
                           float* __restrict__ workspace, // (splits, Cout, Cin * KH * KW), unused for 1 slice
                           int n, int cin, int h, int w, int cout, int kh, int kw, int sh, int sw, int ph, int pw,
                           int oh, int ow, int split_depth)
{
    DYNAMIC_SHARED(float, shared); // TILE_SHARED_FLOATS
    float (*a_tile)[TILE_M + 1] = reinterpret_cast<float (*)[TILE_M + 1]>(shared);
    float (*b_tile)[TILE_N] = reinterpret_cast<float (*)[TILE_N]>(shared + TILE_K * (TILE_M + 1));
    const ConvShape s = make_shape(n, cin, h, w, cout, kh, kw, sh, sw, ph, pw, oh, ow);
    const int columns = cin * kh * kw;
    const int depth = n * oh * ow;
    const int k_begin = blockIdx.z * split_depth;
    const int k_end = k_begin + split_depth < depth ? k_begin + split_depth : depth;
    const int m0 = blockIdx.y * TILE_M;
    const int n0 = blockIdx.x * TILE_N;
    float acc[4][4] = {};
    const FilterGradients load_a = {dy, dy_stride, cout, oh * ow};
    const FilterColumns load_b = {x, x_stride, columns, s};
    tile_gemm(load_a, load_b, m0, n0, k_begin, k_end, a_tile, b_tile, acc);

    float* partial = workspace + (size_t)blockIdx.z * cout * columns;
    for (int i = 0; i < 4; i++)
    {
        const int co = m0 + threadIdx.x / 16 + 16 * i;
        for (int j = 0; j < 4; j++)
        {
            const int c = n0 + threadIdx.x % 16 + 16 * j;
            if (co < cout && c < columns)
            {
                if (gridDim.z == 1)
                {
                    dweight[co * columns + c] += acc[i][j];
                }
                else
                {
                    partial[co * columns + c] = acc[i][j];
                }
            }
        }
    }
}

// dweight[i] += sum over slices z in order of workspace[z, i].
extern "C" __global__ void conv2d_backward_filter_reduce(const float* __restrict__ workspace, // (splits, count)
                                                         float* __restrict__ dweight,         // (count)
                                                         int splits, int count)
{
    GRID_STRIDE_LOOP(i, count)
    {
        float sum = 0.0f;
        for (int z = 0; z < splits; z++)
        {
            sum += workspace[(size_t)z * count + i];
        }
        dweight[i] += sum;
    }
}

// dbias[c] += sum of dy over N, OH, OW. One block per channel.
extern "C" __global__ void conv2d_backward_bias(const float* __restrict__ dy, // (N, Cout, OH, OW)
                                                int dy_stride,
                                                float* __restrict__ dbias, // (Cout)
                                                int n, int plane)
{
    DYNAMIC_SHARED(float, scratch); // SCRATCH_FLOATS
    const int c = blockIdx.x;
    float sum = 0.0f;
    for (int i = threadIdx.x; i < n * plane; i += blockDim.x)
    {
        sum += dy[i / plane * dy_stride + c * plane + i % plane];
    }
    sum = block_sum(sum, scratch);
    if (threadIdx.x == 0)
    {
        dbias[c] += sum;
    }
}

// Unfolds one sample: col[(ci, kh, kw), (oh, ow)] = x[ci, oh * sh - ph + kh, ow * sw - pw + kw], 0 in the padding.
extern "C" __global__ void im2col(const float* __restrict__ x, // (Cin, H, W), one sample
                                  float* __restrict__ col,     // (Cin * KH * KW, OH * OW)
                                  int cin, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw, int oh,
                                  int ow)
{
    const int plane = oh * ow;
    const int total = cin * kh * kw * plane;
    GRID_STRIDE_LOOP(i, total)
    {
        const int k = i / plane;
        const int p = i % plane;
        const int ci = k / (kh * kw);
        const int hh = p / ow * sh - ph + k % (kh * kw) / kw;
        const int ww = p % ow * sw - pw + k % kw;
        const bool inside = hh >= 0 && hh < h && ww >= 0 && ww < w;
        col[i] = inside ? x[(ci * h + hh) * w + ww] : 0.0f;
    }
}

// Folds one sample back, adding: dx[ci, h, w] += sum of the col entries that im2col copied from (ci, h, w).
// One thread per dx element gathers its taps, so there are no write conflicts.
extern "C" __global__ void col2im(const float* __restrict__ col, // (Cin * KH * KW, OH * OW)
                                  float* __restrict__ dx,        // (Cin, H, W), one sample
                                  int cin, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw, int oh,
                                  int ow)
{
    const int total = cin * h * w;
    const int plane = oh * ow;
    GRID_STRIDE_LOOP(i, total)
    {
        const int ci = i / (h * w);
        const int hh = i / w % h;
        const int ww = i % w;
        float sum = 0.0f;
        for (int r = 0; r < kh; r++)
        {
            const int th = hh + ph - r;
            if (th < 0 || th % sh != 0 || th / sh >= oh)
            {
                continue;
            }
            for (int c = 0; c < kw; c++)
            {
                const int tw = ww + pw - c;
                if (tw < 0 || tw % sw != 0 || tw / sw >= ow)
                {
                    continue;
                }
                sum += col[((ci * kh + r) * kw + c) * plane + th / sh * ow + tw / sw];
            }
        }
        dx[i] += sum;
    }
}

// y = y + bias[c], then ReLU when relu != 0; the epilogue of the cuBLAS path. bias may be null.
extern "C" __global__ void conv2d_bias_relu(float* __restrict__ y, // (N, C, OH, OW)
                                            int y_stride,
                                            const float* __restrict__ bias, // (C) or null
                                            int channels, int plane, int total, int relu)
{
    const int sample = channels * plane;
    GRID_STRIDE_LOOP(i, total)
    {
        float* p = y + strided_index(i, sample, y_stride);
        float v = *p + (bias != nullptr ? bias[i % sample / plane] : 0.0f);
        *p = relu ? fmaxf(v, 0.0f) : v;
    }
}

// Launch shapes:
//   The implicit-GEMM kernels take TILE_SHARED_FLOATS * 4 = 8,256 bytes of dynamic shared memory.
//   conv2d_forward:         block 256, grid (ceil(N*OH*OW / 64), ceil(Cout / 64)).
//   conv2d_backward_data:   block 256, grid (ceil(N*H*W / 64), ceil(Cin / 64)).
//   conv2d_backward_filter: block 256, grid (ceil(Cin*KH*KW / 64), ceil(Cout / 64), splits), with
//                           split_depth a multiple of 16 and splits = ceil(N*OH*OW / split_depth).
//   conv2d_backward_filter_reduce, im2col, col2im, conv2d_bias_relu: 1-D grid-stride, 256 threads.
//   conv2d_backward_bias:   block 256, grid Cout, 128 bytes of dynamic shared memory.
FACENET_KERNELS(conv2d_forward, conv2d_backward_data, conv2d_backward_filter, conv2d_backward_filter_reduce,
                conv2d_backward_bias, im2col, col2im, conv2d_bias_relu)
