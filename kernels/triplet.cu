// Triplet-loss kernels on squared L2 distances d(i, j) = ||e_i - e_j||^2.
//
// For a triplet (a, p, n) with loss l = d(a, p) - d(a, n) + alpha > 0 the gradients are
//   dl/de_a = 2 (e_n - e_p),  dl/de_p = 2 (e_p - e_a),  dl/de_n = 2 (e_a - e_n).
// A row can appear in many triplets, so instead of scattering with float atomics (whose order varies
// from run to run) the gradient kernels gather: one block per row visits every triplet that involves it
// in a fixed order. The results are bitwise repeatable.
#include "common.cuh"
#include "device_helpers.cuh"

#define DISTANCE_TILE 16
#define DISTANCE_DEPTH 32

// Statistics slots that triplet_semihard_select writes per anchor, read back and summed by the host.
#define STAT_PAIRS 0
#define STAT_TRIPLETS 1
#define STAT_ACTIVE 2
#define STAT_LOSS 3
#define STAT_POSITIVE_PAIRS 4    // sum of d(a, p) over all anchor-positive pairs
#define STAT_POSITIVE_TRIPLETS 5 // sum of d(a, p) over selected triplets
#define STAT_NEGATIVE 6          // sum of d(a, n) over selected triplets
#define STAT_PAIRWISE 7          // sum of d(a, j) over j > a
#define STAT_COUNT 8

#define POLICY_SEMIHARD_OR_SKIP 0
#define POLICY_SEMIHARD_OR_HARDEST 1

// d[i, j] = sum over k of (e[i, k] - e[j, k])^2, differences rather than norms so the result is never
// negative. Each block computes a 16 x 16 tile, staging 32 dimensions of both row sets in shared memory.
extern "C" __global__ void pairwise_squared_distances(const float* __restrict__ e, // (N, D)
                                                      int e_stride,
                                                      float* __restrict__ d, // (N, N)
                                                      int d_stride, int n, int dim)
{
    DYNAMIC_SHARED(float, shared); // 2 * DISTANCE_TILE * (DISTANCE_DEPTH + 1)
    float (*rows_i)[DISTANCE_DEPTH + 1] = reinterpret_cast<float (*)[DISTANCE_DEPTH + 1]>(shared);
    float (*rows_j)[DISTANCE_DEPTH + 1] = rows_i + DISTANCE_TILE;
    const int ty = threadIdx.x / DISTANCE_TILE;
    const int tx = threadIdx.x % DISTANCE_TILE;
    const int i0 = blockIdx.y * DISTANCE_TILE;
    const int j0 = blockIdx.x * DISTANCE_TILE;
    float sum = 0.0f;
    for (int k0 = 0; k0 < dim; k0 += DISTANCE_DEPTH)
    {
        for (int t = threadIdx.x; t < DISTANCE_TILE * DISTANCE_DEPTH; t += blockDim.x)
        {
            const int r = t / DISTANCE_DEPTH;
            const int k = t % DISTANCE_DEPTH;
            const bool depth_ok = k0 + k < dim;
            rows_i[r][k] = depth_ok && i0 + r < n ? e[(i0 + r) * e_stride + k0 + k] : 0.0f;
            rows_j[r][k] = depth_ok && j0 + r < n ? e[(j0 + r) * e_stride + k0 + k] : 0.0f;
        }
        __syncthreads();
        for (int k = 0; k < DISTANCE_DEPTH; k++)
        {
            const float diff = rows_i[ty][k] - rows_j[tx][k];
            sum += diff * diff;
        }
        __syncthreads();
    }
    if (i0 + ty < n && j0 + tx < n)
    {
        d[(i0 + ty) * d_stride + j0 + tx] = sum;
    }
}

// Warp-wide argmin (prefer_max = 0) or argmax (prefer_max = 1) of (value, index); ties go to the smaller
// index and index -1 marks "no candidate". Every lane gets the result.
__device__ __forceinline__ void warp_select(float& value, int& index, int prefer_max)
{
    for (int offset = WARP_SIZE / 2; offset > 0; offset >>= 1)
    {
        const float other_value = __shfl_xor_sync(FULL_MASK, value, offset);
        const int other_index = __shfl_xor_sync(FULL_MASK, index, offset);
        bool take = false;
        if (other_index >= 0)
        {
            if (index < 0)
            {
                take = true;
            }
            else if (other_value != value)
            {
                take = prefer_max ? other_value > value : other_value < value;
            }
            else
            {
                take = other_index < index;
            }
        }
        if (take)
        {
            value = other_value;
            index = other_index;
        }
    }
}

// Launch 1 of the fused semi-hard step; block a handles anchor a.
//   1. Writes distance row a and zeroes rows a of negative_count and positive_used.
//   2. Warp w takes the positives p (label[p] == label[a] >= 0, p != a) with p % warps == w. For each it
//      selects, over all n with label[n] != label[a], the closest negative with d_ap < d_an < d_ap + alpha,
//      or with policy 1 and none found the farthest with d_an <= d_ap; ties go to the smaller index.
//   3. Records each active triplet (loss > 0): negative_count[a, n] += 1, positive_used[a, p] = 1.
//   4. Writes this anchor's statistics to stats[a, 0..7] (slots above), summed over warps in order.
extern "C" __global__ void triplet_semihard_select(const float* __restrict__ e, // (N, D)
                                                   int e_stride,
                                                   const int* __restrict__ labels, // (N)
                                                   float* __restrict__ distances,  // (N, N) workspace
                                                   int* __restrict__ negative_count, // (N, N) workspace
                                                   int* __restrict__ positive_used,  // (N, N) workspace
                                                   float* __restrict__ stats,        // (N, 8)
                                                   int n, int dim, float alpha, int policy)
{
    DYNAMIC_SHARED(float, shared); // SCRATCH_FLOATS + 32 * STAT_COUNT
    float* scratch = shared;
    float (*warp_stats)[STAT_COUNT] = reinterpret_cast<float (*)[STAT_COUNT]>(shared + SCRATCH_FLOATS);
    const int a = blockIdx.x;
    const int lane = threadIdx.x % WARP_SIZE;
    const int warp = threadIdx.x / WARP_SIZE;
    const int warps = blockDim.x / WARP_SIZE;
    const float* ea = e + a * e_stride;
    float* row = distances + (size_t)a * n;
    int* counts = negative_count + (size_t)a * n;
    int* used = positive_used + (size_t)a * n;

    for (int j = warp; j < n; j += warps)
    {
        const float* ej = e + j * e_stride;
        float sum = 0.0f;
        for (int k = lane; k < dim; k += WARP_SIZE)
        {
            const float diff = ea[k] - ej[k];
            sum += diff * diff;
        }
        sum = warp_sum(sum);
        if (lane == 0)
        {
            row[j] = sum;
        }
    }
    for (int j = threadIdx.x; j < n; j += blockDim.x)
    {
        counts[j] = 0;
        used[j] = 0;
    }
    __syncthreads();

    float pairwise = 0.0f;
    for (int j = a + 1 + threadIdx.x; j < n; j += blockDim.x)
    {
        pairwise += row[j];
    }
    pairwise = block_sum(pairwise, scratch);

    float local[STAT_COUNT] = {};
    const int label = labels[a];
    for (int p = warp; p < n && label >= 0; p += warps)
    {
        if (p == a || labels[p] != label)
        {
            continue;
        }
        const float d_ap = row[p];
        float semi_value = 0.0f;
        int semi_index = -1;
        float hard_value = 0.0f;
        int hard_index = -1;
        for (int j = lane; j < n; j += WARP_SIZE)
        {
            if (labels[j] == label)
            {
                continue;
            }
            const float d_an = row[j];
            if (d_an > d_ap && d_an < d_ap + alpha && (semi_index < 0 || d_an < semi_value))
            {
                semi_value = d_an;
                semi_index = j;
            }
            if (d_an <= d_ap && (hard_index < 0 || d_an > hard_value))
            {
                hard_value = d_an;
                hard_index = j;
            }
        }
        warp_select(semi_value, semi_index, 0);
        warp_select(hard_value, hard_index, 1);

        local[STAT_PAIRS] += 1.0f;
        local[STAT_POSITIVE_PAIRS] += d_ap;
        int chosen = semi_index;
        float d_an = semi_value;
        if (chosen < 0 && policy == POLICY_SEMIHARD_OR_HARDEST)
        {
            chosen = hard_index;
            d_an = hard_value;
        }
        if (chosen < 0)
        {
            continue;
        }
        const float loss = fmaxf(d_ap - d_an + alpha, 0.0f);
        local[STAT_TRIPLETS] += 1.0f;
        local[STAT_POSITIVE_TRIPLETS] += d_ap;
        local[STAT_NEGATIVE] += d_an;
        if (loss > 0.0f)
        {
            local[STAT_ACTIVE] += 1.0f;
            local[STAT_LOSS] += loss;
            if (lane == 0)
            {
                atomicAdd(&counts[chosen], 1); // integer sums do not depend on the order of the atomics
                used[p] = 1;
            }
        }
    }

    if (lane == 0)
    {
        for (int s = 0; s < STAT_COUNT; s++)
        {
            warp_stats[warp][s] = local[s];
        }
    }
    __syncthreads();
    if (threadIdx.x < STAT_COUNT)
    {
        float total = 0.0f;
        for (int w = 0; w < warps; w++)
        {
            total += warp_stats[w][threadIdx.x];
        }
        stats[a * STAT_COUNT + threadIdx.x] = threadIdx.x == STAT_PAIRWISE ? pairwise : total;
    }
}

// Launch 2 of the fused semi-hard step; block i writes gradient row i:
//   grad_i = 2 * scale * sum_j C[i, j] e_j, scale = gradient_scale / (total triplets), where
//   C[i, j] = count[i, j] - used[i, j] - used[j, i] + count[j, i] for j != i and
//   C[i, i] = sum_j (used[j, i] - count[j, i]), from the gradient formulas at the top of the file.
// Threads stride over the embedding dimensions; each visits j in ascending order.
extern "C" __global__ void triplet_semihard_gradient(const float* __restrict__ e, // (N, D)
                                                     int e_stride,
                                                     const int* __restrict__ negative_count, // (N, N)
                                                     const int* __restrict__ positive_used,  // (N, N)
                                                     const float* __restrict__ stats,        // (N, 8)
                                                     float* __restrict__ gradient,           // (N, D)
                                                     int gradient_stride, int n, int dim, float gradient_scale)
{
    DYNAMIC_SHARED(float, scratch); // SCRATCH_FLOATS
    const int i = blockIdx.x;
    float triplets = 0.0f;
    for (int j = threadIdx.x; j < n; j += blockDim.x)
    {
        triplets += stats[j * STAT_COUNT + STAT_TRIPLETS];
    }
    triplets = block_sum(triplets, scratch);
    const float scale = triplets > 0.0f ? 2.0f * gradient_scale / triplets : 0.0f;

    for (int k = threadIdx.x; k < dim; k += blockDim.x)
    {
        float acc = 0.0f;
        int diagonal = 0;
        for (int j = 0; j < n; j++)
        {
            // As positive of anchor j, row i gets e_i - e_j; as negative of anchor j, e_j - e_i.
            const int as_positive = positive_used[(size_t)j * n + i];
            const int as_negative = negative_count[(size_t)j * n + i];
            // As anchor, row i gets e_n - e_p for each of its triplets.
            const int as_anchor = negative_count[(size_t)i * n + j] - positive_used[(size_t)i * n + j];
            diagonal += as_positive - as_negative;
            const int coefficient = as_anchor - as_positive + as_negative;
            if (coefficient != 0)
            {
                acc += coefficient * e[j * e_stride + k];
            }
        }
        acc += diagonal * e[i * e_stride + k];
        gradient[i * gradient_stride + k] = scale * acc;
    }
}

// Given triplets: losses[t] = max(d(a, p) - d(a, n) + alpha, 0), one warp per triplet.
extern "C" __global__ void triplet_loss_given_forward(const float* __restrict__ e, // (N, D)
                                                      int e_stride,
                                                      const int* __restrict__ triplets, // (3, T): a, p, n
                                                      float* __restrict__ losses,       // (T)
                                                      int count, int dim, float alpha)
{
    const int lane = threadIdx.x % WARP_SIZE;
    const int t = blockIdx.x * (blockDim.x / WARP_SIZE) + threadIdx.x / WARP_SIZE;
    if (t >= count)
    {
        return; // whole warp leaves together, and no barrier follows
    }
    const float* ea = e + triplets[t] * e_stride;
    const float* ep = e + triplets[count + t] * e_stride;
    const float* en = e + triplets[2 * count + t] * e_stride;
    float d_ap = 0.0f;
    float d_an = 0.0f;
    for (int k = lane; k < dim; k += WARP_SIZE)
    {
        const float u = ea[k] - ep[k];
        const float v = ea[k] - en[k];
        d_ap += u * u;
        d_an += v * v;
    }
    d_ap = warp_sum(d_ap);
    d_an = warp_sum(d_an);
    if (lane == 0)
    {
        losses[t] = fmaxf(d_ap - d_an + alpha, 0.0f);
    }
}

// Given triplets: gradient row i = scale * sum over active triplets involving i, in triplet order, of
// (e_n - e_p) as anchor, (e_p - e_a) as positive and (e_a - e_n) as negative. The host passes
// scale = 2 * gradientScale / T. One block per row, threads over dimensions.
extern "C" __global__ void triplet_loss_given_gradient(const float* __restrict__ e, // (N, D)
                                                       int e_stride,
                                                       const int* __restrict__ triplets, // (3, T)
                                                       const float* __restrict__ losses, // (T)
                                                       float* __restrict__ gradient,     // (N, D)
                                                       int gradient_stride, int count, int dim, float scale)
{
    const int i = blockIdx.x;
    for (int k = threadIdx.x; k < dim; k += blockDim.x)
    {
        float acc = 0.0f;
        for (int t = 0; t < count; t++)
        {
            if (!(losses[t] > 0.0f))
            {
                continue;
            }
            const int a = triplets[t];
            const int p = triplets[count + t];
            const int n = triplets[2 * count + t];
            if (a == i)
            {
                acc += e[n * e_stride + k] - e[p * e_stride + k];
            }
            if (p == i)
            {
                acc += e[p * e_stride + k] - e[a * e_stride + k];
            }
            if (n == i)
            {
                acc += e[a * e_stride + k] - e[n * e_stride + k];
            }
        }
        gradient[i * gradient_stride + k] = scale * acc;
    }
}

// Launch shapes:
//   pairwise_squared_distances:  block 256 (16 x 16 tile), grid (ceil(N / 16), ceil(N / 16)),
//                                4,224 bytes of dynamic shared memory.
//   triplet_semihard_select:     block 256 (8 warps), grid N, 1,152 bytes of dynamic shared memory; then
//   triplet_semihard_gradient:   block 128, grid N, 128 bytes. The two launches are the whole semi-hard step.
//   triplet_loss_given_forward:  block 256 (8 triplets), grid ceil(T / 8).
//   triplet_loss_given_gradient: block 128, grid N.
FACENET_KERNELS(pairwise_squared_distances, triplet_semihard_select, triplet_semihard_gradient,
                triplet_loss_given_forward, triplet_loss_given_gradient)
