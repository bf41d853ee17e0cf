// Self-test kernels for the CUDA emulator. Each exercises one feature the op kernels rely on; the tests in
// tests/FaceNet.Tests/Cuda launch them through the emulated driver and compare with host-side results.
// They also compile to PTX, so the same code is checked by nvcc and ptxas.
#include "common.cuh"

// Warp shuffles inside a divergent branch with partial masks. In every warp, lanes 0-15 sum their 16
// values with __shfl_down_sync (mask 0x0000ffff, width 16) while lanes 16-31 take the other branch and
// sum theirs with __shfl_xor_sync (mask 0xffff0000). Lane 0 and lane 16 write the half-warp sums.
// Launch: any grid, block a multiple of 32; n = total threads. output: (n / 16)
extern "C" __global__ void selftest_warp_reduce_divergent(const float* __restrict__ input, // (n)
    float* __restrict__ output, int n)
{
    const int index = blockIdx.x * blockDim.x + threadIdx.x;
    const int lane = threadIdx.x % 32;
    float value = index < n ? input[index] : 0.0f;
    if (lane < 16)
    {
        for (int offset = 8; offset > 0; offset /= 2)
        {
            value += __shfl_down_sync(0x0000ffffu, value, offset, 16);
        }
        if (lane == 0 && index < n)
        {
            output[index / 16] = value;
        }
    }
    else
    {
        for (int offset = 8; offset > 0; offset /= 2)
        {
            value += __shfl_xor_sync(0xffff0000u, value, offset);
        }
        if (lane == 16 && index < n)
        {
            output[index / 16] = value;
        }
    }
}

// Inclusive prefix sum within each warp with __shfl_up_sync, plus a broadcast of the warp's last
// prefix (the warp total) with __shfl_sync. Launch: block a multiple of 32; n = total threads.
extern "C" __global__ void selftest_warp_scan(const int* __restrict__ input, // (n)
    int* __restrict__ prefix,                                                 // (n)
    int* __restrict__ warpTotal,                                              // (n)
    int n)
{
    const int index = blockIdx.x * blockDim.x + threadIdx.x;
    const int lane = threadIdx.x % 32;
    int value = index < n ? input[index] : 0;
    for (int offset = 1; offset < 32; offset *= 2)
    {
        const int other = __shfl_up_sync(0xffffffffu, value, offset);
        if (lane >= offset)
        {
            value += other;
        }
    }
    const int total = __shfl_sync(0xffffffffu, value, 31);
    if (index < n)
    {
        prefix[index] = value;
        warpTotal[index] = total;
    }
}

// Tree reduction over static shared memory with __syncthreads. Launch: block of 256 threads; one
// output per block.
extern "C" __global__ void selftest_block_sum_static_shared(const float* __restrict__ input, // (n)
    float* __restrict__ blockSums,                                                           // (gridDim.x)
    int n)
{
    __shared__ float partial[256];
    const int index = blockIdx.x * blockDim.x + threadIdx.x;
    partial[threadIdx.x] = index < n ? input[index] : 0.0f;
    __syncthreads();
    for (int stride = 128; stride > 0; stride /= 2)
    {
        if (static_cast<int>(threadIdx.x) < stride)
        {
            partial[threadIdx.x] += partial[threadIdx.x + stride];
        }
        __syncthreads();
    }
    if (threadIdx.x == 0)
    {
        blockSums[blockIdx.x] = partial[0];
    }
}

// A 16 KiB static __shared__ array (4096 floats), the size of a real GEMM tile pair. Each of the 256
// threads writes 16 values spread over the whole array, then after a barrier reads the 16 values written
// by thread (threadIdx.x + 1) % 256, so every element is written and read by different threads. The
// emulation library must still load with an array this large in its thread-local storage.
// Launch: block of 256 threads; output: (gridDim.x * 256)
extern "C" __global__ void selftest_large_static_shared(const float* __restrict__ input, // (gridDim.x * 256)
    float* __restrict__ output)                                                        // (gridDim.x * 256)
{
    constexpr int Elements = 4096;
    __shared__ float tile[Elements];
    const int index = blockIdx.x * blockDim.x + threadIdx.x;
    const float value = input[index];
    for (int k = 0; k < Elements / 256; k++)
    {
        tile[k * 256 + threadIdx.x] = value + static_cast<float>(k);
    }
    __syncthreads();
    const int neighbour = (threadIdx.x + 1) % 256;
    float sum = 0.0f;
    for (int k = 0; k < Elements / 256; k++)
    {
        sum += tile[k * 256 + neighbour];
    }
    output[index] = sum;
}

// Reverses each block's slice of the input through dynamic shared memory (blockDim.x floats).
// Launch: dynamic shared bytes = blockDim.x * sizeof(float); n a multiple of blockDim.x.
extern "C" __global__ void selftest_reverse_dynamic_shared(const float* __restrict__ input, // (n)
    float* __restrict__ output,                                                            // (n)
    int n)
{
    DYNAMIC_SHARED(float, slice);
    const int index = blockIdx.x * blockDim.x + threadIdx.x;
    if (index < n)
    {
        slice[threadIdx.x] = input[index];
    }
    __syncthreads();
    const int mirrored = blockIdx.x * blockDim.x + (blockDim.x - 1 - threadIdx.x);
    if (mirrored < n)
    {
        output[mirrored] = slice[threadIdx.x];
    }
}

// Global atomics from every thread of many blocks (grid-stride loop over n values). totals[0] gets
// atomicAdd(float), intSum atomicAdd(int), count atomicAdd(unsigned) of 1, extremes[0]/[1] atomicMax /
// atomicMin, casCounter an increment done with an atomicCAS retry loop, and exchanged the result of
// atomicExch (some value from the input).
extern "C" __global__ void selftest_atomics(const int* __restrict__ values, // (n)
    int n, float* totals, int* intSum, unsigned int* count, int* extremes, int* casCounter, int* exchanged)
{
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
    {
        const int value = values[i];
        atomicAdd(totals, static_cast<float>(value));
        atomicAdd(intSum, value);
        atomicAdd(count, 1u);
        atomicMax(&extremes[0], value);
        atomicMin(&extremes[1], value);

        int observed = *casCounter;
        int assumed;
        do
        {
            assumed = observed;
            observed = atomicCAS(casCounter, assumed, assumed + 1);
        } while (observed != assumed);

        atomicExch(exchanged, value);
    }
}

// Warp votes and the block-wide predicate barrier. Per thread: ballots gets __ballot_sync over the full
// warp, anyAll gets (__any_sync, __all_sync) as two ints, and blockCounts gets __syncthreads_count.
// Launch: block a multiple of 32; n = total threads.
extern "C" __global__ void selftest_warp_votes(const int* __restrict__ predicates, // (n)
    unsigned int* __restrict__ ballots,                                          // (n)
    int* __restrict__ anyAll,                                                    // (n, 2)
    int* __restrict__ blockCounts,                                               // (n)
    int n)
{
    const int index = blockIdx.x * blockDim.x + threadIdx.x;
    const int predicate = index < n ? predicates[index] : 0;
    const unsigned int ballot = __ballot_sync(0xffffffffu, predicate);
    const int any = __any_sync(0xffffffffu, predicate);
    const int all = __all_sync(0xffffffffu, predicate);
    const int blockCount = __syncthreads_count(predicate);
    __syncwarp();
    if (index < n)
    {
        ballots[index] = ballot;
        anyAll[2 * index] = any;
        anyAll[2 * index + 1] = all;
        blockCounts[index] = blockCount;
    }
}

// Records every thread's built-in indices: for the thread with block-linear index b and thread-linear index
// t, indices[(b * threadsPerBlock + t) * 6 ...] = threadIdx.x, .y, .z, blockIdx.x, .y, .z. Exercises 3D grids
// and blocks. Launch: any shape, with 6 ints in indices per thread of the grid.
extern "C" __global__ void selftest_thread_indices(int* __restrict__ indices)
{
    const unsigned int threadsPerBlock = blockDim.x * blockDim.y * blockDim.z;
    const unsigned int blockLinear = blockIdx.x + gridDim.x * (blockIdx.y + gridDim.y * blockIdx.z);
    const unsigned int threadLinear = threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z);
    int* entry = indices + 6 * (static_cast<size_t>(blockLinear) * threadsPerBlock + threadLinear);
    entry[0] = static_cast<int>(threadIdx.x);
    entry[1] = static_cast<int>(threadIdx.y);
    entry[2] = static_cast<int>(threadIdx.z);
    entry[3] = static_cast<int>(blockIdx.x);
    entry[4] = static_cast<int>(blockIdx.y);
    entry[5] = static_cast<int>(blockIdx.z);
}

// Deliberately wrong: the first half of the block returns before a __syncthreads that the second half
// waits at. The emulator must report the deadlock instead of hanging. Launch: one block of 64 threads.
extern "C" __global__ void selftest_early_exit_barrier(int* output) // (blockDim.x)
{
    if (threadIdx.x < blockDim.x / 2)
    {
        return;
    }
    __syncthreads();
    output[threadIdx.x] = 1;
}

// Deliberately wrong: lanes call __shfl_sync with a mask that leaves out their own lane. The emulator
// must report the invalid mask. Launch: one block of 32 threads.
extern "C" __global__ void selftest_shuffle_foreign_mask(int* output) // (32)
{
    const int lane = threadIdx.x % 32;
    output[lane] = __shfl_sync(lane < 16 ? 0xffff0000u : 0x0000ffffu, lane, 0);
}

FACENET_KERNELS(selftest_warp_reduce_divergent, selftest_warp_scan, selftest_block_sum_static_shared,
    selftest_reverse_dynamic_shared, selftest_atomics, selftest_warp_votes, selftest_thread_indices,
    selftest_early_exit_barrier,
    selftest_shuffle_foreign_mask, selftest_large_static_shared)
