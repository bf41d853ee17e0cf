// Device helpers shared by the kernel files: batch-strided indexing and warp and block reductions.
// Included after common.cuh.
#pragma once

#define WARP_SIZE 32
#define FULL_MASK 0xffffffffu

// Position of element i of a batch-strided tensor inside its buffer, relative to the view's offset:
// samples hold `sample` contiguous elements and start `stride` elements apart.
__device__ __forceinline__ int strided_index(int i, int sample, int stride)
{
    return (i / sample) * stride + i % sample;
}

// Sum over the 32 lanes of a warp; every lane gets the result.
__device__ __forceinline__ float warp_sum(float v)
{
    for (int offset = WARP_SIZE / 2; offset > 0; offset >>= 1)
    {
        v += __shfl_xor_sync(FULL_MASK, v, offset);
    }
    return v;
}

// Sum over the block; every thread gets the result. `scratch` is a shared array of at least 32 floats.
// The summation order depends only on the block size, so the result is deterministic.
__device__ __forceinline__ float block_sum(float v, float* scratch)
{
    const int lane = threadIdx.x % WARP_SIZE;
    const int warp = threadIdx.x / WARP_SIZE;
    const int warps = (blockDim.x + WARP_SIZE - 1) / WARP_SIZE;
    v = warp_sum(v);
    __syncthreads(); // a previous call may still be reading scratch
    if (lane == 0)
    {
        scratch[warp] = v;
    }
    __syncthreads();
    v = lane < warps ? scratch[lane] : 0.0f;
    return warp_sum(v);
}

// Floats of shared scratch that block_sum needs. Kernels take all shared memory as dynamic shared memory
// (DYNAMIC_SHARED) and the host passes its size, because the emulator keeps static __shared__ arrays in
// thread-local storage, which is too small for tiles.
#define SCRATCH_FLOATS WARP_SIZE

// Grid-stride loop over [0, total).
#define GRID_STRIDE_LOOP(i, total) \
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < (total); i += blockDim.x * gridDim.x)
