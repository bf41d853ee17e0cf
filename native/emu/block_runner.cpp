#include "block_runner.h"

#include <cstdlib>
#include <sstream>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FACENET_EMU_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define FACENET_EMU_ASAN 1
#endif

#if defined(FACENET_EMU_ASAN)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

FACENET_EMU_TLS uint3 threadIdx;
FACENET_EMU_TLS uint3 blockIdx;
FACENET_EMU_TLS uint3 blockDim;
FACENET_EMU_TLS uint3 gridDim;
FACENET_EMU_TLS unsigned char* facenet_emu_dynamic_shared;

namespace facenet_emu
{
namespace
{
// Fiber stack size in bytes: FACENET_EMU_STACK_KB, else 64 KiB (256 KiB under AddressSanitizer, whose
// instrumentation enlarges frames). Stacks are reserved with MAP_NORESERVE, so untouched pages cost nothing.
std::size_t configured_stack_bytes()
{
    if (const char* text = std::getenv("FACENET_EMU_STACK_KB"))
    {
        long kib = std::strtol(text, nullptr, 10);
        if (kib >= 16)
        {
            return static_cast<std::size_t>(kib) * 1024;
        }
    }
#if defined(FACENET_EMU_ASAN)
    return 256 * 1024;
#else
    return 64 * 1024;
#endif
}

const char* op_name(WarpOp op)
{
    switch (op)
    {
    case WarpOp::ShuffleIndex: return "__shfl_sync";
    case WarpOp::ShuffleUp: return "__shfl_up_sync";
    case WarpOp::ShuffleDown: return "__shfl_down_sync";
    case WarpOp::ShuffleXor: return "__shfl_xor_sync";
    case WarpOp::Ballot: return "__ballot_sync";
    case WarpOp::Any: return "__any_sync";
    case WarpOp::All: return "__all_sync";
    case WarpOp::SyncWarp: return "__syncwarp";
    }
    return "warp collective";
}

std::string format_index(uint3 index)
{
    std::ostringstream text;
    text << '(' << index.x << ", " << index.y << ", " << index.z << ')';
    return text.str();
}

std::string format_mask(std::uint32_t mask)
{
    char text[16];
    std::snprintf(text, sizeof text, "0x%08x", mask);
    return text;
}

thread_local BlockRunner* currentRunner = nullptr;
} // namespace

BlockRunner::BlockRunner() : fibers_(MaxThreadsPerBlock), stackBytes_(configured_stack_bytes()) {}

BlockRunner& BlockRunner::current()
{
    // Never freed: pool threads live until the process exits, and a runner may be mid-block on any of them.
    if (currentRunner == nullptr)
    {
        currentRunner = new BlockRunner();
    }
    return *currentRunner;
}

void BlockRunner::prepare_block(const LaunchShape& launch, std::uint64_t blockLinear)
{
    launch_ = &launch;
    const dim3 grid = launch.grid;
    const dim3 block = launch.block;
    threadCount_ = static_cast<int>(block.x * block.y * block.z);

    blockIdx = uint3{static_cast<unsigned int>(blockLinear % grid.x),
        static_cast<unsigned int>((blockLinear / grid.x) % grid.y),
        static_cast<unsigned int>(blockLinear / (static_cast<std::uint64_t>(grid.x) * grid.y))};
    blockDim = uint3{block.x, block.y, block.z};
    gridDim = uint3{grid.x, grid.y, grid.z};

    if (launch.dynamicSharedBytes > dynamicSharedCapacity_)
    {
        std::free(dynamicShared_);
        dynamicShared_ = static_cast<unsigned char*>(std::aligned_alloc(128, (launch.dynamicSharedBytes + 127) / 128 * 128));
        if (dynamicShared_ == nullptr)
        {
            dynamicSharedCapacity_ = 0;
            throw std::bad_alloc();
        }
        dynamicSharedCapacity_ = launch.dynamicSharedBytes;
    }
    facenet_emu_dynamic_shared = launch.dynamicSharedBytes > 0 ? dynamicShared_ : nullptr;

    while (stacks_.size() < static_cast<std::size_t>(threadCount_))
    {
        stacks_.push_back(std::make_unique<FiberStack>(stackBytes_));
    }

    for (int i = 0; i < threadCount_; i++)
    {
        ThreadFiber& fiber = fibers_[static_cast<std::size_t>(i)];
        const auto linear = static_cast<unsigned int>(i);
        fiber.index = uint3{linear % block.x, (linear / block.x) % block.y, linear / (block.x * block.y)};
        fiber.linear = i;
        fiber.state = FiberState::Ready;
        fiber.asanFakeStack = nullptr;
        const FiberStack& stack = *stacks_[static_cast<std::size_t>(i)];
#if defined(FACENET_EMU_ASAN)
        // A fiber abandoned by an earlier failed block leaves poisoned frames behind.
        __asan_unpoison_memory_region(stack.bottom(), stack.size());
#endif
        // Stack tops 64 KiB apart map to the same cache sets, so each fiber starts at a different offset.
        const std::size_t cacheColour = static_cast<std::size_t>(i % 64) * 64;
        prepare_context(fiber.context, stack, &BlockRunner::fiber_main, &fiber, cacheColour);
    }

    const int warpCount = (threadCount_ + warpSize - 1) / warpSize;
    for (int w = 0; w < warpCount; w++)
    {
        WarpExchange& warp = warps_[w];
        warp.arrived = 0;
        // Lanes past the end of a partial last warp behave as threads that have already exited.
        const int lanes = threadCount_ - w * warpSize < warpSize ? threadCount_ - w * warpSize : warpSize;
        warp.exited = lanes == warpSize ? 0u : ~((1u << lanes) - 1u);
    }

    exitedCount_ = 0;
    barrierArrived_ = 0;
    barrierCount_ = 0;
    barrierAnd_ = true;
    barrierOr_ = false;
    failed_ = false;
    error_.clear();
}

bool BlockRunner::run(const LaunchShape& launch, std::uint64_t blockLinear, std::string& error)
{
    prepare_block(launch, blockLinear);

    // Round-robin over the fibers: each ready fiber runs until it blocks or exits. A full pass in which no
    // fiber was ready while some have not exited means the block can never finish.
    while (exitedCount_ < threadCount_)
    {
        bool progressed = false;
        for (int i = 0; i < threadCount_ && !failed_; i++)
        {
            ThreadFiber& fiber = fibers_[static_cast<std::size_t>(i)];
            if (fiber.state == FiberState::Ready)
            {
                current_ = i;
                resume(fiber);
                progressed = true;
            }
        }

        if (failed_)
        {
            break;
        }

        if (!progressed)
        {
            failed_ = true;
            error_ = describe_deadlock();
            break;
        }
    }

    current_ = -1;
    if (failed_)
    {
        error = error_;
        return false;
    }
    return true;
}

void BlockRunner::resume(ThreadFiber& fiber)
{
    threadIdx = fiber.index;
    fiber.state = FiberState::Running;
#if defined(FACENET_EMU_ASAN)
    void* fakeStack = nullptr;
    const FiberStack& stack = *stacks_[static_cast<std::size_t>(fiber.linear)];
    __sanitizer_start_switch_fiber(&fakeStack, stack.bottom(), stack.size());
    switch_context(scheduler_, fiber.context);
    __sanitizer_finish_switch_fiber(fakeStack, nullptr, nullptr);
#else
    switch_context(scheduler_, fiber.context);
#endif
}

void BlockRunner::yield_to_scheduler(bool exiting)
{
    ThreadFiber& fiber = running();
#if defined(FACENET_EMU_ASAN)
    // A fiber that exits passes no fake-stack slot, which tells ASan to release its fake frames.
    __sanitizer_start_switch_fiber(exiting ? nullptr : &fiber.asanFakeStack, schedulerStackBottom_,
        schedulerStackSize_);
    switch_context(fiber.context, scheduler_);
    __sanitizer_finish_switch_fiber(fiber.asanFakeStack, &schedulerStackBottom_, &schedulerStackSize_);
#else
    (void)exiting;
    switch_context(fiber.context, scheduler_);
#endif
}

void BlockRunner::fiber_main(void* argument)
{
    auto* fiber = static_cast<ThreadFiber*>(argument);
    BlockRunner& runner = current();
#if defined(FACENET_EMU_ASAN)
    __sanitizer_finish_switch_fiber(nullptr, &runner.schedulerStackBottom_, &runner.schedulerStackSize_);
#endif
    runner.launch_->kernel->thunk(runner.launch_->arguments);
    runner.on_thread_exit(*fiber);
    runner.yield_to_scheduler(true);
    // The scheduler never resumes an exited fiber.
    std::abort();
}

void BlockRunner::fail(std::string message)
{
    failed_ = true;
    error_ = std::move(message);
    running().state = FiberState::Faulted;
    yield_to_scheduler(false);
    // A failed block is abandoned, so the scheduler never resumes this fiber.
    std::abort();
}

std::string BlockRunner::describe_block() const
{
    return "kernel '" + launch_->kernel->name + "' block " + format_index(blockIdx);
}

std::string BlockRunner::describe_deadlock() const
{
    int atBarrier = 0;
    int inWarp = 0;
    int firstAtBarrier = -1;
    int firstInWarp = -1;
    int firstExited = -1;
    for (int i = 0; i < threadCount_; i++)
    {
        const ThreadFiber& fiber = fibers_[static_cast<std::size_t>(i)];
        if (fiber.state == FiberState::WaitingAtBarrier)
        {
            atBarrier++;
            firstAtBarrier = firstAtBarrier < 0 ? i : firstAtBarrier;
        }
        else if (fiber.state == FiberState::WaitingInWarp)
        {
            inWarp++;
            firstInWarp = firstInWarp < 0 ? i : firstInWarp;
        }
        else if (fiber.state == FiberState::Exited)
        {
            firstExited = firstExited < 0 ? i : firstExited;
        }
    }

    std::ostringstream text;
    text << describe_block() << " deadlocked: " << atBarrier << " of " << threadCount_
         << " threads wait at __syncthreads, " << inWarp << " wait in a warp collective and " << exitedCount_
         << " have exited.";
    if (firstAtBarrier >= 0)
    {
        text << " Thread " << format_index(fibers_[static_cast<std::size_t>(firstAtBarrier)].index)
             << " waits at __syncthreads";
        if (firstExited >= 0)
        {
            text << " that thread " << format_index(fibers_[static_cast<std::size_t>(firstExited)].index)
                 << " exited without reaching";
        }
        text << '.';
    }
    if (firstInWarp >= 0)
    {
        const ThreadFiber& fiber = fibers_[static_cast<std::size_t>(firstInWarp)];
        const WarpExchange& warp = warps_[firstInWarp / warpSize];
        const int lane = firstInWarp % warpSize;
        text << " Thread " << format_index(fiber.index) << " waits in " << op_name(warp.op[lane])
             << " with mask " << format_mask(warp.mask[lane]) << " for lanes "
             << format_mask(warp.mask[lane] & ~warp.arrived & ~warp.exited) << " that never arrive.";
    }
    text << " Every thread of a block must reach each __syncthreads, and every lane named in a warp"
            " collective's mask must call the same collective.";
    return text.str();
}

std::uint64_t BlockRunner::warp_collective(WarpOp op, unsigned int mask, std::uint64_t value, int parameter,
    int width)
{
    ThreadFiber& fiber = running();
    const int warpIndex = fiber.linear / warpSize;
    const int lane = fiber.linear % warpSize;
    WarpExchange& warp = warps_[warpIndex];

    if (((mask >> lane) & 1u) == 0)
    {
        fail(describe_block() + " thread " + format_index(fiber.index) + " (lane " + std::to_string(lane) +
            ") calls " + op_name(op) + " with mask " + format_mask(mask) +
            ", which does not include its own lane; a calling lane must be named in the mask.");
    }
    if (width < 1 || width > warpSize || (width & (width - 1)) != 0)
    {
        fail(describe_block() + " thread " + format_index(fiber.index) + " calls " + op_name(op) + " with width " +
            std::to_string(width) + "; the width must be a power of two from 1 to 32.");
    }

    warp.mask[lane] = mask;
    warp.op[lane] = op;
    warp.value[lane] = value;
    warp.parameter[lane] = parameter;
    warp.width[lane] = width;
    warp.arrived |= 1u << lane;

    if (!try_complete(warpIndex, mask))
    {
        fiber.state = FiberState::WaitingInWarp;
        yield_to_scheduler(false);
    }
    return warp.result[lane];
}

bool BlockRunner::try_complete(int warpIndex, std::uint32_t mask)
{
    WarpExchange& warp = warps_[warpIndex];
    const std::uint32_t participants = mask & ~warp.exited;
    if ((warp.arrived & participants) != participants || participants == 0)
    {
        return false;
    }

    const int lowest = __builtin_ctz(participants);
    const WarpOp op = warp.op[lowest];
    std::uint32_t ballot = 0;
    for (int lane = 0; lane < warpSize; lane++)
    {
        if (((participants >> lane) & 1u) == 0)
        {
            continue;
        }
        if (warp.op[lane] != op || warp.mask[lane] != mask)
        {
            const ThreadFiber& other = fibers_[static_cast<std::size_t>(warpIndex * warpSize + lane)];
            const ThreadFiber& first = fibers_[static_cast<std::size_t>(warpIndex * warpSize + lowest)];
            fail(describe_block() + " warp " + std::to_string(warpIndex) + ": thread " + format_index(first.index) +
                " calls " + op_name(op) + " with mask " + format_mask(mask) + " but thread " +
                format_index(other.index) + " calls " + op_name(warp.op[lane]) + " with mask " +
                format_mask(warp.mask[lane]) + "; all lanes in a mask must call the same collective with the same mask.");
        }
        ballot |= (warp.value[lane] != 0 ? 1u : 0u) << lane;
    }

    for (int lane = 0; lane < warpSize; lane++)
    {
        if (((participants >> lane) & 1u) == 0)
        {
            continue;
        }

        const int width = warp.width[lane];
        const int segmentStart = lane & ~(width - 1);
        const int laneInSegment = lane - segmentStart;
        const int parameter = warp.parameter[lane];
        int source = lane;
        switch (op)
        {
        case WarpOp::ShuffleIndex:
            source = segmentStart + (parameter & (width - 1));
            break;
        case WarpOp::ShuffleUp:
            source = laneInSegment >= parameter ? lane - parameter : lane;
            break;
        case WarpOp::ShuffleDown:
            source = laneInSegment + parameter < width ? lane + parameter : lane;
            break;
        case WarpOp::ShuffleXor:
        {
            // As PTX shfl.bfly: a source beyond the end of this lane's segment yields the lane's own value.
            const int candidate = lane ^ parameter;
            source = candidate >= 0 && candidate < segmentStart + width ? candidate : lane;
            break;
        }
        default:
            break;
        }

        switch (op)
        {
        case WarpOp::Ballot:
            warp.result[lane] = ballot;
            break;
        case WarpOp::Any:
            warp.result[lane] = ballot != 0 ? 1 : 0;
            break;
        case WarpOp::All:
            warp.result[lane] = ballot == participants ? 1 : 0;
            break;
        case WarpOp::SyncWarp:
            warp.result[lane] = 0;
            break;
        default:
            // NOTE: reading a lane that is not a participant returns its last deposited value, where a GPU
            // returns an undefined one.
            warp.result[lane] = warp.value[source];
            break;
        }
    }

    warp.arrived &= ~participants;
    for (int lane = 0; lane < warpSize; lane++)
    {
        ThreadFiber& fiber = fibers_[static_cast<std::size_t>(warpIndex * warpSize + lane)];
        if (((participants >> lane) & 1u) != 0 && fiber.state == FiberState::WaitingInWarp)
        {
            fiber.state = FiberState::Ready;
        }
    }
    return true;
}

void BlockRunner::on_thread_exit(ThreadFiber& fiber)
{
    fiber.state = FiberState::Exited;
    exitedCount_++;
    const int warpIndex = fiber.linear / warpSize;
    WarpExchange& warp = warps_[warpIndex];
    warp.exited |= 1u << (fiber.linear % warpSize);

    // Collectives wait only for lanes that have not exited, so this exit may complete a pending one.
    bool completed = true;
    while (completed && warp.arrived != 0)
    {
        completed = false;
        for (int lane = 0; lane < warpSize; lane++)
        {
            if (((warp.arrived >> lane) & 1u) != 0 && try_complete(warpIndex, warp.mask[lane]))
            {
                completed = true;
                break;
            }
        }
    }
}

int BlockRunner::block_barrier(BarrierKind kind, int predicate)
{
    ThreadFiber& fiber = running();
    barrierArrived_++;
    barrierCount_ += predicate != 0 ? 1 : 0;
    barrierAnd_ = barrierAnd_ && predicate != 0;
    barrierOr_ = barrierOr_ || predicate != 0;

    // NOTE: a thread that has exited never arrives, so __syncthreads after an early return deadlocks here
    // and is reported, although some GPUs let the remaining threads pass.
    if (barrierArrived_ == threadCount_)
    {
        barrierCountResult_ = barrierCount_;
        barrierAndResult_ = barrierAnd_;
        barrierOrResult_ = barrierOr_;
        barrierArrived_ = 0;
        barrierCount_ = 0;
        barrierAnd_ = true;
        barrierOr_ = false;
        for (int i = 0; i < threadCount_; i++)
        {
            ThreadFiber& other = fibers_[static_cast<std::size_t>(i)];
            if (other.state == FiberState::WaitingAtBarrier)
            {
                other.state = FiberState::Ready;
            }
        }
    }
    else
    {
        fiber.state = FiberState::WaitingAtBarrier;
        yield_to_scheduler(false);
    }

    switch (kind)
    {
    case BarrierKind::Count: return barrierCountResult_;
    case BarrierKind::And: return barrierAndResult_ ? 1 : 0;
    case BarrierKind::Or: return barrierOrResult_ ? 1 : 0;
    case BarrierKind::Plain: return 0;
    }
    return 0;
}

std::uint64_t warp_collective(WarpOp op, unsigned int mask, std::uint64_t value, int parameter, int width)
{
    return BlockRunner::current().warp_collective(op, mask, value, parameter, width);
}

int block_barrier(BarrierKind kind, int predicate)
{
    return BlockRunner::current().block_barrier(kind, predicate);
}
} // namespace facenet_emu
