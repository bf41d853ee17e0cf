// CUDA emulation header: lets the kernel sources in kernels/*.cu compile as plain C++ (with
// -DFACENET_EMULATION) into a native library that runs every block's threads as fibers on CPU threads.
//
// Model: the blocks of a launch are spread over a pool of OS threads, and each OS thread runs one
// block at a time. A block's threads are fibers that the OS thread schedules cooperatively: a fiber runs
// until it reaches __syncthreads, a warp collective (__shfl_*_sync, __ballot_sync, __syncwarp...) that
// not all lanes of its mask have reached yet, or its end. threadIdx, blockIdx, blockDim and gridDim
// are thread-local variables that the scheduler sets before it resumes a fiber. __shared__ variables
// are `static thread_local`, so each OS thread, and therefore each running block, has its own copy.
#pragma once

#include <cfloat>
#include <climits>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <type_traits>
#include <utility>

// ---- Qualifiers ---------------------------------------------------------------------------------

#define __global__
#define __device__
#define __host__
#define __constant__
#define __forceinline__ inline __attribute__((always_inline))
#define __launch_bounds__(...)
// Every OS thread runs one block at a time, so a thread-local static is exactly one block's copy.
// Contents persist between blocks, which matches a GPU's uninitialised shared memory.
#define __shared__ static thread_local

// ---- Built-in index variables -------------------------------------------------------------------

struct uint3
{
    unsigned int x, y, z;
};

struct dim3
{
    unsigned int x, y, z;
    constexpr dim3(unsigned int vx = 1, unsigned int vy = 1, unsigned int vz = 1) : x(vx), y(vy), z(vz) {}
    constexpr dim3(uint3 v) : x(v.x), y(v.y), z(v.z) {}
};

// These use the default TLS model of -fPIC code (global-dynamic), never initial-exec. A single
// initial-exec variable marks the whole library DF_STATIC_TLS. glibc then has to place the entire TLS
// segment, every static __shared__ array included, in the few KiB of static TLS surplus it keeps for
// libraries loaded with dlopen, and with 16 KiB of shared arrays dlopen fails with "cannot allocate
// memory in static TLS block". Under global-dynamic the segment is allocated per thread on first use.
// The compiler may compute a variable's address once per function and reuse it after a fiber switch,
// which is safe because a fiber always resumes on the OS thread that started it.
#define FACENET_EMU_TLS __thread
extern FACENET_EMU_TLS uint3 threadIdx;
extern FACENET_EMU_TLS uint3 blockIdx;
extern FACENET_EMU_TLS uint3 blockDim;
extern FACENET_EMU_TLS uint3 gridDim;
extern FACENET_EMU_TLS unsigned char* facenet_emu_dynamic_shared;

constexpr int warpSize = 32;

// ---- Source conventions from kernels/common.cuh -------------------------------------------------

// The block's dynamic shared buffer, 16-byte aligned and sized by the launch's dynamic shared bytes.
#define DYNAMIC_SHARED(type, name) type* name = reinterpret_cast<type*>(facenet_emu_dynamic_shared)

// ---- Runtime entry points (native/emu/scheduler.cpp) --------------------------------------------

namespace facenet_emu
{
enum class WarpOp : int
{
    ShuffleIndex,
    ShuffleUp,
    ShuffleDown,
    ShuffleXor,
    Ballot,
    Any,
    All,
    SyncWarp,
};

enum class BarrierKind : int
{
    Plain,
    Count,
    And,
    Or,
};

// Suspends the calling fiber until every lane named in `mask` that has not exited reaches a warp
// collective, then returns this lane's result: the shuffled 64-bit value, or the ballot/any/all word.
// Out of line on purpose: the call makes the compiler reload threadIdx and memory after a switch.
uint64_t warp_collective(WarpOp op, unsigned int mask, uint64_t value, int parameter, int width);

// Suspends the calling fiber until all threads of the block arrive; returns the predicate reduction
// for the Count/And/Or kinds.
int block_barrier(BarrierKind kind, int predicate);

using KernelThunk = void (*)(void** arguments);

// Adds a kernel to the process-wide registry that facenet_emu_find_kernel searches.
void register_kernel(const char* name, KernelThunk thunk, int parameterCount);

template <typename T>
uint64_t to_bits(T value)
{
    static_assert(sizeof(T) <= 8 && std::is_trivially_copyable_v<T>, "shuffle values are at most 64 bits");
    uint64_t bits = 0;
    std::memcpy(&bits, &value, sizeof(T));
    return bits;
}

template <typename T>
T from_bits(uint64_t bits)
{
    T value;
    std::memcpy(&value, &bits, sizeof(T));
    return value;
}

// Unpacks cuLaunchKernel-style arguments (one pointer per parameter, pointing at the value).
template <typename... P, std::size_t... I>
void invoke_with_arguments(void (*kernel)(P...), void** arguments, std::index_sequence<I...>)
{
    kernel(*static_cast<std::remove_cv_t<std::remove_reference_t<P>>*>(arguments[I])...);
}

template <typename... P>
constexpr int parameter_count(void (*)(P...))
{
    return static_cast<int>(sizeof...(P));
}

template <auto Kernel>
void launch_thunk(void** arguments)
{
    invoke_with_arguments(Kernel, arguments,
        std::make_index_sequence<static_cast<std::size_t>(parameter_count(Kernel))>{});
}

struct KernelRegistration
{
    KernelRegistration(const char* name, KernelThunk thunk, int parameterCount)
    {
        register_kernel(name, thunk, parameterCount);
    }
};
} // namespace facenet_emu

// ---- Kernel registration ------------------------------------------------------------------------

#define FACENET_EMU_REGISTER(name)                                                                   \
    static const facenet_emu::KernelRegistration facenet_emu_registration_##name(                    \
        #name, &facenet_emu::launch_thunk<&name>, facenet_emu::parameter_count(&name));

// Applies FACENET_EMU_REGISTER to each of up to 64 arguments.
#define FACENET_EMU_EXPAND(x) x
#define FACENET_EMU_FE_1(m, x) m(x)
#define FACENET_EMU_FE_2(m, x, ...) m(x) FACENET_EMU_EXPAND(FACENET_EMU_FE_1(m, __VA_ARGS__))
#define FACENET_EMU_FE_3(m, x, ...) m(x) FACENET_EMU_EXPAND(FACENET_EMU_FE_2(m, __VA_ARGS__))
#define FACENET_EMU_FE_4(m, x, ...) m(x) FACENET_EMU_EXPAND(FACENET_EMU_FE_3(m, __VA_ARGS__))
#define FACENET_EMU_FE_5(m, x, ...) m(x) FACENET_EMU_EXPAND(FACENET_EMU_FE_4(m, __VA_ARGS__))
#define FACENET_EMU_FE_6(m, x, ...) m(x) FACENET_EMU_EXPAND(FACENET_EMU_FE_5(m, __VA_ARGS__))
#define FACENET_EMU_FE_7(m, x, ...) m(x) FACENET_EMU_EXPAND(FACENET_EMU_FE_6(m, __VA_ARGS__))
#define FACENET_EMU_FE_8(m, x, ...) m(x) FACENET_EMU_EXPAND(FACENET_EMU_FE_7(m, __VA_ARGS__))
#define FACENET_EMU_FE_9(m, x, ...) m(x) FACENET_EMU_EXPAND(FACENET_EMU_FE_8(m, __VA_ARGS__))
#define FACENET_EMU_FE_10(m, x, ...) m(x) FACENET_EMU_EXPAND(FACENET_EMU_FE_9(m, __VA_ARGS__))
#define FACENET_EMU_FE_11(m, x, ...) m(x) FACENET_EMU_EXPAND(FACENET_EMU_FE_10(m, __VA_ARGS__))
#define FACENET_EMU_FE_12(m, x, ...) m(x) FACENET_EMU_EXPAND(FACENET_EMU_FE_11(m, __VA_ARGS__))
#define FACENET_EMU_FE_13(m, x, ...) m(x) FACENET_EMU_EXPAND(FACENET_EMU_FE_12(m, __VA_ARGS__))
#define FACENET_EMU_FE_14(m, x, ...) m(x) FACENET_EMU_EXPAND(FACENET_EMU_FE_13(m, __VA_ARGS__))
#define FACENET_EMU_FE_15(m, x, ...) m(x) FACENET_EMU_EXPAND(FACENET_EMU_FE_14(m, __VA_ARGS__))
#define FACENET_EMU_FE_16(m, x, ...) m(x) FACENET_EMU_EXPAND(FACENET_EMU_FE_15(m, __VA_ARGS__))
#define FACENET_EMU_FE_17(m, x, ...) m(x) FACENET_EMU_EXPAND(FACENET_EMU_FE_16(m, __VA_ARGS__))
#define FACENET_EMU_FE_18(m, x, ...) m(x) FACENET_EMU_EXPAND(FACENET_EMU_FE_17(m, __VA_ARGS__))
#define FACENET_EMU_FE_19(m, x, ...) m(x) FACENET_EMU_EXPAND(FACENET_EMU_FE_18(m, __VA_ARGS__))
#define FACENET_EMU_FE_20(m, x, ...) m(x) FACENET_EMU_EXPAND(FACENET_EMU_FE_19(m, __VA_ARGS__))
#define FACENET_EMU_FE_21(m, x, ...) m(x) FACENET_EMU_EXPAND(FACENET_EMU_FE_20(m, __VA_ARGS__))
#define FACENET_EMU_FE_22(m, x, ...) m(x) FACENET_EMU_EXPAND(FACENET_EMU_FE_21(m, __VA_ARGS__))
#define FACENET_EMU_FE_23(m, x, ...) m(x) FACENET_EMU_EXPAND(FACENET_EMU_FE_22(m, __VA_ARGS__))
#define FACENET_EMU_FE_24(m, x, ...) m(x) FACENET_EMU_EXPAND(FACENET_EMU_FE_23(m, __VA_ARGS__))
#define FACENET_EMU_FE_25(m, x, ...) m(x) FACENET_EMU_EXPAND(FACENET_EMU_FE_24(m, __VA_ARGS__))
#define FACENET_EMU_FE_26(m, x, ...) m(x) FACENET_EMU_EXPAND(FACENET_EMU_FE_25(m, __VA_ARGS__))
#define FACENET_EMU_FE_27(m, x, ...) m(x) FACENET_EMU_EXPAND(FACENET_EMU_FE_26(m, __VA_ARGS__))
#define FACENET_EMU_FE_28(m, x, ...) m(x) FACENET_EMU_EXPAND(FACENET_EMU_FE_27(m, __VA_ARGS__))
#define FACENET_EMU_FE_29(m, x, ...) m(x) FACENET_EMU_EXPAND(FACENET_EMU_FE_28(m, __VA_ARGS__))
#define FACENET_EMU_FE_30(m, x, ...) m(x) FACENET_EMU_EXPAND(FACENET_EMU_FE_29(m, __VA_ARGS__))
#define FACENET_EMU_FE_31(m, x, ...) m(x) FACENET_EMU_EXPAND(FACENET_EMU_FE_30(m, __VA_ARGS__))
#define FACENET_EMU_FE_32(m, x, ...) m(x) FACENET_EMU_EXPAND(FACENET_EMU_FE_31(m, __VA_ARGS__))
#define FACENET_EMU_FE_33(m, x, ...) m(x) FACENET_EMU_EXPAND(FACENET_EMU_FE_32(m, __VA_ARGS__))
#define FACENET_EMU_FE_34(m, x, ...) m(x) FACENET_EMU_EXPAND(FACENET_EMU_FE_33(m, __VA_ARGS__))
#define FACENET_EMU_FE_35(m, x, ...) m(x) FACENET_EMU_EXPAND(FACENET_EMU_FE_34(m, __VA_ARGS__))
#define FACENET_EMU_FE_36(m, x, ...) m(x) FACENET_EMU_EXPAND(FACENET_EMU_FE_35(m, __VA_ARGS__))
#define FACENET_EMU_FE_37(m, x, ...) m(x) FACENET_EMU_EXPAND(FACENET_EMU_FE_36(m, __VA_ARGS__))
#define FACENET_EMU_FE_38(m, x, ...) m(x) FACENET_EMU_EXPAND(FACENET_EMU_FE_37(m, __VA_ARGS__))
#define FACENET_EMU_FE_39(m, x, ...) m(x) FACENET_EMU_EXPAND(FACENET_EMU_FE_38(m, __VA_ARGS__))
#define FACENET_EMU_FE_40(m, x, ...) m(x) FACENET_EMU_EXPAND(FACENET_EMU_FE_39(m, __VA_ARGS__))
#define FACENET_EMU_FE_41(m, x, ...) m(x) FACENET_EMU_EXPAND(FACENET_EMU_FE_40(m, __VA_ARGS__))
#define FACENET_EMU_FE_42(m, x, ...) m(x) FACENET_EMU_EXPAND(FACENET_EMU_FE_41(m, __VA_ARGS__))
#define FACENET_EMU_FE_43(m, x, ...) m(x) FACENET_EMU_EXPAND(FACENET_EMU_FE_42(m, __VA_ARGS__))
#define FACENET_EMU_FE_44(m, x, ...) m(x) FACENET_EMU_EXPAND(FACENET_EMU_FE_43(m, __VA_ARGS__))
#define FACENET_EMU_FE_45(m, x, ...) m(x) FACENET_EMU_EXPAND(FACENET_EMU_FE_44(m, __VA_ARGS__))
#define FACENET_EMU_FE_46(m, x, ...) m(x) FACENET_EMU_EXPAND(FACENET_EMU_FE_45(m, __VA_ARGS__))
#define FACENET_EMU_FE_47(m, x, ...) m(x) FACENET_EMU_EXPAND(FACENET_EMU_FE_46(m, __VA_ARGS__))
#define FACENET_EMU_FE_48(m, x, ...) m(x) FACENET_EMU_EXPAND(FACENET_EMU_FE_47(m, __VA_ARGS__))
#define FACENET_EMU_FE_49(m, x, ...) m(x) FACENET_EMU_EXPAND(FACENET_EMU_FE_48(m, __VA_ARGS__))
#define FACENET_EMU_FE_50(m, x, ...) m(x) FACENET_EMU_EXPAND(FACENET_EMU_FE_49(m, __VA_ARGS__))
#define FACENET_EMU_FE_51(m, x, ...) m(x) FACENET_EMU_EXPAND(FACENET_EMU_FE_50(m, __VA_ARGS__))
#define FACENET_EMU_FE_52(m, x, ...) m(x) FACENET_EMU_EXPAND(FACENET_EMU_FE_51(m, __VA_ARGS__))
#define FACENET_EMU_FE_53(m, x, ...) m(x) FACENET_EMU_EXPAND(FACENET_EMU_FE_52(m, __VA_ARGS__))
#define FACENET_EMU_FE_54(m, x, ...) m(x) FACENET_EMU_EXPAND(FACENET_EMU_FE_53(m, __VA_ARGS__))
#define FACENET_EMU_FE_55(m, x, ...) m(x) FACENET_EMU_EXPAND(FACENET_EMU_FE_54(m, __VA_ARGS__))
#define FACENET_EMU_FE_56(m, x, ...) m(x) FACENET_EMU_EXPAND(FACENET_EMU_FE_55(m, __VA_ARGS__))
#define FACENET_EMU_FE_57(m, x, ...) m(x) FACENET_EMU_EXPAND(FACENET_EMU_FE_56(m, __VA_ARGS__))
#define FACENET_EMU_FE_58(m, x, ...) m(x) FACENET_EMU_EXPAND(FACENET_EMU_FE_57(m, __VA_ARGS__))
#define FACENET_EMU_FE_59(m, x, ...) m(x) FACENET_EMU_EXPAND(FACENET_EMU_FE_58(m, __VA_ARGS__))
#define FACENET_EMU_FE_60(m, x, ...) m(x) FACENET_EMU_EXPAND(FACENET_EMU_FE_59(m, __VA_ARGS__))
#define FACENET_EMU_FE_61(m, x, ...) m(x) FACENET_EMU_EXPAND(FACENET_EMU_FE_60(m, __VA_ARGS__))
#define FACENET_EMU_FE_62(m, x, ...) m(x) FACENET_EMU_EXPAND(FACENET_EMU_FE_61(m, __VA_ARGS__))
#define FACENET_EMU_FE_63(m, x, ...) m(x) FACENET_EMU_EXPAND(FACENET_EMU_FE_62(m, __VA_ARGS__))
#define FACENET_EMU_FE_64(m, x, ...) m(x) FACENET_EMU_EXPAND(FACENET_EMU_FE_63(m, __VA_ARGS__))
#define FACENET_EMU_PICK(_1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, _14, _15, _16, _17, _18,  \
    _19, _20, _21, _22, _23, _24, _25, _26, _27, _28, _29, _30, _31, _32, _33, _34, _35, _36, _37, _38,    \
    _39, _40, _41, _42, _43, _44, _45, _46, _47, _48, _49, _50, _51, _52, _53, _54, _55, _56, _57, _58,    \
    _59, _60, _61, _62, _63, _64, NAME, ...)                                                            \
    NAME
#define FACENET_EMU_FOR_EACH(m, ...)                                                                     \
    FACENET_EMU_EXPAND(FACENET_EMU_PICK(__VA_ARGS__, FACENET_EMU_FE_64, FACENET_EMU_FE_63,             \
        FACENET_EMU_FE_62, FACENET_EMU_FE_61, FACENET_EMU_FE_60, FACENET_EMU_FE_59, FACENET_EMU_FE_58,   \
        FACENET_EMU_FE_57, FACENET_EMU_FE_56, FACENET_EMU_FE_55, FACENET_EMU_FE_54, FACENET_EMU_FE_53,   \
        FACENET_EMU_FE_52, FACENET_EMU_FE_51, FACENET_EMU_FE_50, FACENET_EMU_FE_49, FACENET_EMU_FE_48,   \
        FACENET_EMU_FE_47, FACENET_EMU_FE_46, FACENET_EMU_FE_45, FACENET_EMU_FE_44, FACENET_EMU_FE_43,   \
        FACENET_EMU_FE_42, FACENET_EMU_FE_41, FACENET_EMU_FE_40, FACENET_EMU_FE_39, FACENET_EMU_FE_38,   \
        FACENET_EMU_FE_37, FACENET_EMU_FE_36, FACENET_EMU_FE_35, FACENET_EMU_FE_34, FACENET_EMU_FE_33,   \
        FACENET_EMU_FE_32, FACENET_EMU_FE_31, FACENET_EMU_FE_30, FACENET_EMU_FE_29, FACENET_EMU_FE_28,   \
        FACENET_EMU_FE_27, FACENET_EMU_FE_26, FACENET_EMU_FE_25, FACENET_EMU_FE_24, FACENET_EMU_FE_23,   \
        FACENET_EMU_FE_22, FACENET_EMU_FE_21, FACENET_EMU_FE_20, FACENET_EMU_FE_19, FACENET_EMU_FE_18,   \
        FACENET_EMU_FE_17, FACENET_EMU_FE_16, FACENET_EMU_FE_15, FACENET_EMU_FE_14, FACENET_EMU_FE_13,   \
        FACENET_EMU_FE_12, FACENET_EMU_FE_11, FACENET_EMU_FE_10, FACENET_EMU_FE_9, FACENET_EMU_FE_8,     \
        FACENET_EMU_FE_7, FACENET_EMU_FE_6, FACENET_EMU_FE_5, FACENET_EMU_FE_4, FACENET_EMU_FE_3,        \
        FACENET_EMU_FE_2, FACENET_EMU_FE_1)(m, __VA_ARGS__))

// Registers each listed kernel under its name with an argument-unpacking launcher (at most 64 per file).
#define FACENET_KERNELS(...) FACENET_EMU_FOR_EACH(FACENET_EMU_REGISTER, __VA_ARGS__)

// ---- Synchronisation ----------------------------------------------------------------------------

inline void __syncthreads()
{
    facenet_emu::block_barrier(facenet_emu::BarrierKind::Plain, 0);
}

inline int __syncthreads_count(int predicate)
{
    return facenet_emu::block_barrier(facenet_emu::BarrierKind::Count, predicate);
}

inline int __syncthreads_and(int predicate)
{
    return facenet_emu::block_barrier(facenet_emu::BarrierKind::And, predicate);
}

inline int __syncthreads_or(int predicate)
{
    return facenet_emu::block_barrier(facenet_emu::BarrierKind::Or, predicate);
}

inline void __syncwarp(unsigned int mask = 0xffffffffu)
{
    facenet_emu::warp_collective(facenet_emu::WarpOp::SyncWarp, mask, 0, 0, warpSize);
}

inline void __threadfence()
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

inline void __threadfence_block()
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

// ---- Warp primitives ----------------------------------------------------------------------------

template <typename T>
T __shfl_sync(unsigned int mask, T value, int sourceLane, int width = warpSize)
{
    return facenet_emu::from_bits<T>(facenet_emu::warp_collective(
        facenet_emu::WarpOp::ShuffleIndex, mask, facenet_emu::to_bits(value), sourceLane, width));
}

template <typename T>
T __shfl_up_sync(unsigned int mask, T value, unsigned int delta, int width = warpSize)
{
    return facenet_emu::from_bits<T>(facenet_emu::warp_collective(
        facenet_emu::WarpOp::ShuffleUp, mask, facenet_emu::to_bits(value), static_cast<int>(delta), width));
}

template <typename T>
T __shfl_down_sync(unsigned int mask, T value, unsigned int delta, int width = warpSize)
{
    return facenet_emu::from_bits<T>(facenet_emu::warp_collective(
        facenet_emu::WarpOp::ShuffleDown, mask, facenet_emu::to_bits(value), static_cast<int>(delta), width));
}

template <typename T>
T __shfl_xor_sync(unsigned int mask, T value, int laneMask, int width = warpSize)
{
    return facenet_emu::from_bits<T>(facenet_emu::warp_collective(
        facenet_emu::WarpOp::ShuffleXor, mask, facenet_emu::to_bits(value), laneMask, width));
}

inline unsigned int __ballot_sync(unsigned int mask, int predicate)
{
    return static_cast<unsigned int>(
        facenet_emu::warp_collective(facenet_emu::WarpOp::Ballot, mask, predicate != 0, 0, warpSize));
}

inline int __any_sync(unsigned int mask, int predicate)
{
    return static_cast<int>(
        facenet_emu::warp_collective(facenet_emu::WarpOp::Any, mask, predicate != 0, 0, warpSize));
}

inline int __all_sync(unsigned int mask, int predicate)
{
    return static_cast<int>(
        facenet_emu::warp_collective(facenet_emu::WarpOp::All, mask, predicate != 0, 0, warpSize));
}

// ---- Atomics (atomic across OS threads; fibers of one block never preempt each other) ----------

inline int atomicAdd(int* address, int value)
{
    return __atomic_fetch_add(address, value, __ATOMIC_RELAXED);
}

inline unsigned int atomicAdd(unsigned int* address, unsigned int value)
{
    return __atomic_fetch_add(address, value, __ATOMIC_RELAXED);
}

inline unsigned long long atomicAdd(unsigned long long* address, unsigned long long value)
{
    return __atomic_fetch_add(address, value, __ATOMIC_RELAXED);
}

template <typename T, typename F>
T facenet_emu_atomic_update(T* address, F update)
{
    T expected;
    __atomic_load(address, &expected, __ATOMIC_RELAXED);
    T desired;
    do
    {
        desired = update(expected);
    } while (!__atomic_compare_exchange(address, &expected, &desired, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
    return expected;
}

inline float atomicAdd(float* address, float value)
{
    return facenet_emu_atomic_update(address, [value](float old) { return old + value; });
}

inline double atomicAdd(double* address, double value)
{
    return facenet_emu_atomic_update(address, [value](double old) { return old + value; });
}

inline int atomicSub(int* address, int value)
{
    return __atomic_fetch_sub(address, value, __ATOMIC_RELAXED);
}

inline unsigned int atomicSub(unsigned int* address, unsigned int value)
{
    return __atomic_fetch_sub(address, value, __ATOMIC_RELAXED);
}

inline int atomicMax(int* address, int value)
{
    return facenet_emu_atomic_update(address, [value](int old) { return old > value ? old : value; });
}

inline unsigned int atomicMax(unsigned int* address, unsigned int value)
{
    return facenet_emu_atomic_update(address, [value](unsigned int old) { return old > value ? old : value; });
}

inline int atomicMin(int* address, int value)
{
    return facenet_emu_atomic_update(address, [value](int old) { return old < value ? old : value; });
}

inline unsigned int atomicMin(unsigned int* address, unsigned int value)
{
    return facenet_emu_atomic_update(address, [value](unsigned int old) { return old < value ? old : value; });
}

inline int atomicAnd(int* address, int value)
{
    return __atomic_fetch_and(address, value, __ATOMIC_RELAXED);
}

inline unsigned int atomicAnd(unsigned int* address, unsigned int value)
{
    return __atomic_fetch_and(address, value, __ATOMIC_RELAXED);
}

inline int atomicOr(int* address, int value)
{
    return __atomic_fetch_or(address, value, __ATOMIC_RELAXED);
}

inline unsigned int atomicOr(unsigned int* address, unsigned int value)
{
    return __atomic_fetch_or(address, value, __ATOMIC_RELAXED);
}

inline int atomicXor(int* address, int value)
{
    return __atomic_fetch_xor(address, value, __ATOMIC_RELAXED);
}

inline unsigned int atomicXor(unsigned int* address, unsigned int value)
{
    return __atomic_fetch_xor(address, value, __ATOMIC_RELAXED);
}

template <typename T>
T facenet_emu_atomic_cas(T* address, T compare, T value)
{
    __atomic_compare_exchange_n(address, &compare, value, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    return compare;
}

inline int atomicCAS(int* address, int compare, int value)
{
    return facenet_emu_atomic_cas(address, compare, value);
}

inline unsigned int atomicCAS(unsigned int* address, unsigned int compare, unsigned int value)
{
    return facenet_emu_atomic_cas(address, compare, value);
}

inline unsigned long long atomicCAS(unsigned long long* address, unsigned long long compare,
    unsigned long long value)
{
    return facenet_emu_atomic_cas(address, compare, value);
}

inline int atomicExch(int* address, int value)
{
    return __atomic_exchange_n(address, value, __ATOMIC_SEQ_CST);
}

inline unsigned int atomicExch(unsigned int* address, unsigned int value)
{
    return __atomic_exchange_n(address, value, __ATOMIC_SEQ_CST);
}

inline unsigned long long atomicExch(unsigned long long* address, unsigned long long value)
{
    return __atomic_exchange_n(address, value, __ATOMIC_SEQ_CST);
}

inline float atomicExch(float* address, float value)
{
    float old;
    __atomic_exchange(address, &value, &old, __ATOMIC_SEQ_CST);
    return old;
}

// ---- Math and bit intrinsics --------------------------------------------------------------------

inline float rsqrtf(float x)
{
    return 1.0f / std::sqrt(x);
}

inline float __expf(float x)
{
    return std::exp(x);
}

inline float __logf(float x)
{
    return std::log(x);
}

inline float __powf(float x, float y)
{
    return std::pow(x, y);
}

inline float __sinf(float x)
{
    return std::sin(x);
}

inline float __cosf(float x)
{
    return std::cos(x);
}

inline float __tanhf(float x)
{
    return std::tanh(x);
}

inline float __fdividef(float x, float y)
{
    return x / y;
}

inline float __frcp_rn(float x)
{
    return 1.0f / x;
}

inline float __fsqrt_rn(float x)
{
    return std::sqrt(x);
}

inline float __fmaf_rn(float x, float y, float z)
{
    return std::fma(x, y, z);
}

inline float __fadd_rn(float x, float y)
{
    return x + y;
}

inline float __fmul_rn(float x, float y)
{
    return x * y;
}

inline float __saturatef(float x)
{
    return x < 0.0f ? 0.0f : (x > 1.0f ? 1.0f : x);
}

inline float __int_as_float(int x)
{
    return facenet_emu::from_bits<float>(static_cast<uint32_t>(x));
}

inline int __float_as_int(float x)
{
    return static_cast<int>(static_cast<uint32_t>(facenet_emu::to_bits(x)));
}

inline float __uint_as_float(unsigned int x)
{
    return facenet_emu::from_bits<float>(x);
}

inline unsigned int __float_as_uint(float x)
{
    return static_cast<unsigned int>(facenet_emu::to_bits(x));
}

inline int __float2int_rn(float x)
{
    return static_cast<int>(std::nearbyint(x));
}

inline int __float2int_rz(float x)
{
    return static_cast<int>(x);
}

inline int __popc(unsigned int x)
{
    return __builtin_popcount(x);
}

inline int __clz(int x)
{
    return x == 0 ? 32 : __builtin_clz(static_cast<unsigned int>(x));
}

inline int __ffs(int x)
{
    return __builtin_ffs(x);
}

inline unsigned int __brev(unsigned int x)
{
    x = ((x >> 1) & 0x55555555u) | ((x & 0x55555555u) << 1);
    x = ((x >> 2) & 0x33333333u) | ((x & 0x33333333u) << 2);
    x = ((x >> 4) & 0x0f0f0f0fu) | ((x & 0x0f0f0f0fu) << 4);
    x = ((x >> 8) & 0x00ff00ffu) | ((x & 0x00ff00ffu) << 8);
    return (x >> 16) | (x << 16);
}

template <typename T>
T __ldg(const T* address)
{
    return *address;
}

// Device-code min/max overloads that CUDA provides in the global namespace.
inline int min(int a, int b)
{
    return a < b ? a : b;
}

inline int max(int a, int b)
{
    return a > b ? a : b;
}

inline unsigned int min(unsigned int a, unsigned int b)
{
    return a < b ? a : b;
}

inline unsigned int max(unsigned int a, unsigned int b)
{
    return a > b ? a : b;
}

inline long long min(long long a, long long b)
{
    return a < b ? a : b;
}

inline long long max(long long a, long long b)
{
    return a > b ? a : b;
}

inline float min(float a, float b)
{
    return std::fmin(a, b);
}

inline float max(float a, float b)
{
    return std::fmax(a, b);
}
