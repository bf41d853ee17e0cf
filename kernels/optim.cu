// Optimiser updates, one thread per parameter element. Every tensor is a batch-strided view with the
// same per-sample size `sample`; g' = g + weight_decay * p throughout.
#include "common.cuh"
#include "device_helpers.cuh"

// AdaGrad: accum += g'^2; p -= lr * g' / (sqrt(accum) + eps).
extern "C" __global__ void adagrad_update(float* __restrict__ p, // parameter
                                          int p_stride,
                                          const float* __restrict__ g, // gradient, same shape
                                          int g_stride,
                                          float* __restrict__ accum, // same shape
                                          int accum_stride, int sample, int total, float lr, float epsilon,
                                          float weight_decay)
{
    GRID_STRIDE_LOOP(i, total)
    {
        float* pi = p + strided_index(i, sample, p_stride);
        float* ai = accum + strided_index(i, sample, accum_stride);
        const float grad = g[strided_index(i, sample, g_stride)] + weight_decay * *pi;
        const float a = *ai + grad * grad;
        *ai = a;
        *pi -= lr * grad / (sqrtf(a) + epsilon);
    }
}

// SGD with momentum: v = momentum * v + g'; p -= lr * v.
extern "C" __global__ void sgd_update(float* __restrict__ p, // parameter
                                      int p_stride,
                                      const float* __restrict__ g, // gradient, same shape
                                      int g_stride,
                                      float* __restrict__ velocity, // same shape
                                      int velocity_stride, int sample, int total, float lr, float momentum,
                                      float weight_decay)
{
    GRID_STRIDE_LOOP(i, total)
    {
        float* pi = p + strided_index(i, sample, p_stride);
        float* vi = velocity + strided_index(i, sample, velocity_stride);
        const float grad = g[strided_index(i, sample, g_stride)] + weight_decay * *pi;
        const float v = momentum * *vi + grad;
        *vi = v;
        *pi -= lr * v;
    }
}

// Adam: m = b1 m + (1 - b1) g'; v = b2 v + (1 - b2) g'^2; p -= lr * (m * c1) / (sqrt(v * c2) + eps), where the
// host passes the bias corrections c1 = 1 / (1 - b1^step) and c2 = 1 / (1 - b2^step).
extern "C" __global__ void adam_update(float* __restrict__ p, // parameter
                                       int p_stride,
                                       const float* __restrict__ g, // gradient, same shape
                                       int g_stride,
                                       float* __restrict__ m, // first moment, same shape
                                       int m_stride,
                                       float* __restrict__ v, // second moment, same shape
                                       int v_stride, int sample, int total, float lr, float beta1, float beta2,
                                       float epsilon, float weight_decay, float correction1, float correction2)
{
    GRID_STRIDE_LOOP(i, total)
    {
        float* pi = p + strided_index(i, sample, p_stride);
        float* mi = m + strided_index(i, sample, m_stride);
        float* vi = v + strided_index(i, sample, v_stride);
        const float grad = g[strided_index(i, sample, g_stride)] + weight_decay * *pi;
        const float m_new = beta1 * *mi + (1.0f - beta1) * grad;
        const float v_new = beta2 * *vi + (1.0f - beta2) * grad * grad;
        *mi = m_new;
        *vi = v_new;
        *pi -= lr * (m_new * correction1) / (sqrtf(v_new * correction2) + epsilon);
    }
}

// Launch shapes: all three 1-D grid-stride with 256 threads, one thread per element (total = element count).
FACENET_KERNELS(adagrad_update, sgd_update, adam_update)
