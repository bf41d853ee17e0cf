// Runs one thread block as fibers on the calling OS thread. Each OS thread that executes blocks owns
// one BlockRunner (thread-local), which keeps its fiber stacks and dynamic shared buffer between launches.
#pragma once

#include "cuda_emu.h"
#include "fiber.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace facenet_emu
{
constexpr int MaxThreadsPerBlock = 1024;
constexpr int MaxWarpsPerBlock = MaxThreadsPerBlock / warpSize;

// A kernel the registry knows: its name, its argument-unpacking launcher and its launch limits.
struct Kernel
{
    std::string name;
    KernelThunk thunk = nullptr;
    int parameterCount = 0;
    // Dynamic shared memory a launch may request without opting in: 48 KiB, as on every GPU since sm_20.
    unsigned int maxDynamicSharedBytes = 48 * 1024;
};

// Everything a block needs to know about its launch.
struct LaunchShape
{
    const Kernel* kernel = nullptr;
    dim3 grid;
    dim3 block;
    unsigned int dynamicSharedBytes = 0;
    void** arguments = nullptr;
};

enum class FiberState : std::uint8_t
{
    Ready,
    Running,
    WaitingAtBarrier,
    WaitingInWarp,
    Exited,
    Faulted,
};

struct ThreadFiber
{
    Context context;
    uint3 index{};
    int linear = 0;
    FiberState state = FiberState::Ready;
    void* asanFakeStack = nullptr;
};

// The pending warp collective of each lane: what it asked for and, once complete, its result.
struct WarpExchange
{
    std::uint32_t arrived = 0;
    std::uint32_t exited = 0;
    std::uint32_t mask[warpSize]{};
    WarpOp op[warpSize]{};
    std::uint64_t value[warpSize]{};
    int parameter[warpSize]{};
    int width[warpSize]{};
    std::uint64_t result[warpSize]{};
};

class BlockRunner
{
public:
    BlockRunner();

    // Runs block `blockLinear` of the launch to completion. Returns false and fills `error` when the block
    // deadlocks or misuses a warp collective; the block's fibers are then abandoned.
    bool run(const LaunchShape& launch, std::uint64_t blockLinear, std::string& error);

    std::uint64_t warp_collective(WarpOp op, unsigned int mask, std::uint64_t value, int parameter, int width);
    int block_barrier(BarrierKind kind, int predicate);

    // The runner of the calling OS thread, created on first use.
    static BlockRunner& current();

private:
    static void fiber_main(void* argument);

    void prepare_block(const LaunchShape& launch, std::uint64_t blockLinear);
    void resume(ThreadFiber& fiber);
    void yield_to_scheduler(bool exiting);
    [[noreturn]] void fail(std::string message);
    bool try_complete(int warp, std::uint32_t mask);
    void on_thread_exit(ThreadFiber& fiber);
    std::string describe_deadlock() const;
    std::string describe_block() const;
    ThreadFiber& running() { return fibers_[static_cast<std::size_t>(current_)]; }

    std::vector<std::unique_ptr<FiberStack>> stacks_;
    std::vector<ThreadFiber> fibers_;
    WarpExchange warps_[MaxWarpsPerBlock];
    Context scheduler_;
    // The scheduler's stack as AddressSanitizer's fiber switch annotations need it.
    [[maybe_unused]] const void* schedulerStackBottom_ = nullptr;
    [[maybe_unused]] std::size_t schedulerStackSize_ = 0;
    std::size_t stackBytes_;

    const LaunchShape* launch_ = nullptr;
    int threadCount_ = 0;
    int exitedCount_ = 0;
    int current_ = -1;

    int barrierArrived_ = 0;
    int barrierCount_ = 0;
    bool barrierAnd_ = true;
    bool barrierOr_ = false;
    int barrierCountResult_ = 0;
    bool barrierAndResult_ = true;
    bool barrierOrResult_ = false;

    bool failed_ = false;
    std::string error_;

    unsigned char* dynamicShared_ = nullptr;
    std::size_t dynamicSharedCapacity_ = 0;
};
} // namespace facenet_emu
