// Kernel registry, the OS thread pool that runs a launch's blocks, and the C API the C# driver calls.
#include "block_runner.h"
#include "cuda_emu_api.h"

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

namespace facenet_emu
{
namespace
{
struct Registry
{
    std::mutex mutex;
    // A deque keeps each Kernel at a fixed address, so a Kernel* serves as the handle C# holds.
    std::deque<Kernel> kernels;
    std::map<std::string, Kernel*, std::less<>> byName;
};

Registry& registry()
{
    static Registry* instance = new Registry();
    return *instance;
}

thread_local std::string lastError;

int set_error(int code, std::string message)
{
    lastError = std::move(message);
    return code;
}

// The state of one launch that every participating OS thread shares.
struct Launch
{
    LaunchShape shape;
    std::uint64_t blockCount = 0;
    std::atomic<std::uint64_t> nextBlock{0};
    std::atomic<bool> failed{false};
    std::mutex errorMutex;
    std::string error;
    int errorCode = FACENET_EMU_SUCCESS;

    void run_blocks()
    {
        BlockRunner& runner = BlockRunner::current();
        std::string blockError;
        while (!failed.load(std::memory_order_relaxed))
        {
            const std::uint64_t block = nextBlock.fetch_add(1, std::memory_order_relaxed);
            if (block >= blockCount)
            {
                break;
            }

            int code = FACENET_EMU_SUCCESS;
            try
            {
                if (!runner.run(shape, block, blockError))
                {
                    code = blockError.find("deadlocked") != std::string::npos ? FACENET_EMU_ERROR_DEADLOCK
                                                                              : FACENET_EMU_ERROR_INVALID_WARP_COLLECTIVE;
                }
            }
            catch (const std::bad_alloc&)
            {
                code = FACENET_EMU_ERROR_OUT_OF_RESOURCES;
                blockError = "kernel '" + shape.kernel->name +
                    "': could not allocate fiber stacks or the dynamic shared buffer; lower FACENET_EMU_STACK_KB"
                    " or the thread count.";
            }

            if (code != FACENET_EMU_SUCCESS)
            {
                std::lock_guard lock(errorMutex);
                if (!failed.exchange(true))
                {
                    error = blockError;
                    errorCode = code;
                }
                break;
            }
        }
    }
};

int default_thread_count()
{
    if (const char* text = std::getenv("FACENET_EMU_THREADS"))
    {
        const long count = std::strtol(text, nullptr, 10);
        if (count >= 1 && count <= 1024)
        {
            return static_cast<int>(count);
        }
    }
    const unsigned int cores = std::thread::hardware_concurrency();
    return cores == 0 ? 1 : static_cast<int>(cores);
}

// OS threads that run blocks. The launching thread takes part, so a pool of N threads keeps N - 1
// workers. Launches are serialised: one launch owns every worker until its last block finishes.
class ThreadPool
{
public:
    int thread_count()
    {
        std::lock_guard lock(launchMutex_);
        return threadCount_;
    }

    void set_thread_count(int count)
    {
        std::lock_guard lock(launchMutex_);
        threadCount_ = count;
    }

    void run(Launch& launch)
    {
        std::lock_guard launchLock(launchMutex_);
        const std::uint64_t helpers = std::min<std::uint64_t>(launch.blockCount, threadCount_) - 1;
        if (helpers == 0)
        {
            launch.run_blocks();
            return;
        }

        {
            std::unique_lock lock(mutex_);
            while (workers_.size() < helpers)
            {
                workers_.emplace_back([this] { work(); });
            }
            current_ = &launch;
            pendingHelpers_ = static_cast<int>(helpers);
            busy_ = pendingHelpers_;
            generation_++;
        }
        wake_.notify_all();

        launch.run_blocks();

        std::unique_lock lock(mutex_);
        idle_.wait(lock, [this] { return busy_ == 0; });
        current_ = nullptr;
    }

private:
    void work()
    {
        std::uint64_t seen = 0;
        std::unique_lock lock(mutex_);
        seen = generation_ - 1;
        for (;;)
        {
            wake_.wait(lock, [&] { return generation_ != seen && pendingHelpers_ > 0; });
            seen = generation_;
            pendingHelpers_--;
            Launch* launch = current_;
            lock.unlock();
            launch->run_blocks();
            lock.lock();
            if (--busy_ == 0)
            {
                idle_.notify_all();
            }
        }
    }

    std::mutex launchMutex_;
    int threadCount_ = default_thread_count();

    std::mutex mutex_;
    std::condition_variable wake_;
    std::condition_variable idle_;
    // Workers block in wake_ for the life of the process, so they are never joined.
    std::vector<std::thread> workers_;
    Launch* current_ = nullptr;
    std::uint64_t generation_ = 0;
    int pendingHelpers_ = 0;
    int busy_ = 0;
};

ThreadPool& pool()
{
    static ThreadPool* instance = new ThreadPool();
    return *instance;
}

std::string format_dim(dim3 value)
{
    std::ostringstream text;
    text << '(' << value.x << ", " << value.y << ", " << value.z << ')';
    return text.str();
}

int validate(const Kernel& kernel, dim3 grid, dim3 block, unsigned int dynamicSharedBytes)
{
    const std::string prefix = "kernel '" + kernel.name + "': ";
    if (block.x == 0 || block.y == 0 || block.z == 0 || grid.x == 0 || grid.y == 0 || grid.z == 0)
    {
        return set_error(FACENET_EMU_ERROR_INVALID_CONFIGURATION, prefix + "grid " + format_dim(grid) + " or block " +
            format_dim(block) + " has a zero dimension; every dimension must be at least 1.");
    }

    const std::uint64_t threads = static_cast<std::uint64_t>(block.x) * block.y * block.z;
    if (block.x > 1024 || block.y > 1024 || block.z > 64 || threads > MaxThreadsPerBlock)
    {
        return set_error(FACENET_EMU_ERROR_INVALID_CONFIGURATION, prefix + "block " + format_dim(block) + " has " +
            std::to_string(threads) + " threads; the limits are 1024 threads per block, 1024 in x and y and 64"
            " in z. Use a smaller block and more blocks.");
    }

    if (grid.x > 2147483647u || grid.y > 65535 || grid.z > 65535)
    {
        return set_error(FACENET_EMU_ERROR_INVALID_CONFIGURATION, prefix + "grid " + format_dim(grid) +
            " exceeds the limits of 2147483647 blocks in x and 65535 in y and z.");
    }

    if (dynamicSharedBytes > kernel.maxDynamicSharedBytes)
    {
        return set_error(FACENET_EMU_ERROR_SHARED_MEMORY, prefix + "the launch requests " +
            std::to_string(dynamicSharedBytes) + " bytes of dynamic shared memory; the limit is " +
            std::to_string(kernel.maxDynamicSharedBytes) +
            " bytes unless the kernel opts in with facenet_emu_set_max_dynamic_shared (on a GPU,"
            " cuFuncSetAttribute with CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES).");
    }
    return FACENET_EMU_SUCCESS;
}
} // namespace

void register_kernel(const char* name, KernelThunk thunk, int parameterCount)
{
    Registry& kernels = registry();
    std::lock_guard lock(kernels.mutex);
    Kernel& kernel = kernels.kernels.emplace_back();
    kernel.name = name;
    kernel.thunk = thunk;
    kernel.parameterCount = parameterCount;
    // Two files listing the same extern "C" name cannot link, so a duplicate here means one file lists a
    // kernel twice; the first registration wins.
    kernels.byName.emplace(kernel.name, &kernel);
}
} // namespace facenet_emu

using facenet_emu::Kernel;

extern "C" {

int facenet_emu_kernel_count(void)
{
    auto& kernels = facenet_emu::registry();
    std::lock_guard lock(kernels.mutex);
    return static_cast<int>(kernels.kernels.size());
}

const char* facenet_emu_kernel_name(int index)
{
    auto& kernels = facenet_emu::registry();
    std::lock_guard lock(kernels.mutex);
    if (index < 0 || static_cast<std::size_t>(index) >= kernels.kernels.size())
    {
        return nullptr;
    }
    return kernels.kernels[static_cast<std::size_t>(index)].name.c_str();
}

void* facenet_emu_find_kernel(const char* name)
{
    if (name == nullptr)
    {
        facenet_emu::set_error(FACENET_EMU_ERROR_INVALID_VALUE, "kernel name is null.");
        return nullptr;
    }

    auto& kernels = facenet_emu::registry();
    std::lock_guard lock(kernels.mutex);
    auto found = kernels.byName.find(std::string_view(name));
    if (found == kernels.byName.end())
    {
        facenet_emu::set_error(FACENET_EMU_ERROR_KERNEL_NOT_FOUND, std::string("kernel '") + name +
            "' is not compiled into the emulation library; check that its .cu file lists it in FACENET_KERNELS(...).");
        return nullptr;
    }
    return found->second;
}

int facenet_emu_kernel_parameter_count(void* kernel)
{
    return kernel == nullptr ? -1 : static_cast<Kernel*>(kernel)->parameterCount;
}

int facenet_emu_set_max_dynamic_shared(void* kernel, int bytes)
{
    // 227 KiB is the opt-in maximum per block on sm_90 (H100); sm_80 (A100) allows 163 KiB.
    constexpr int optInLimit = 227 * 1024;
    if (kernel == nullptr || bytes < 0 || bytes > optInLimit)
    {
        return facenet_emu::set_error(FACENET_EMU_ERROR_INVALID_VALUE, "maximum dynamic shared memory " +
            std::to_string(bytes) + " is invalid; it must be from 0 to " + std::to_string(optInLimit) + " bytes.");
    }
    static_cast<Kernel*>(kernel)->maxDynamicSharedBytes = static_cast<unsigned int>(bytes);
    return FACENET_EMU_SUCCESS;
}

int facenet_emu_launch(void* kernel, unsigned int gridX, unsigned int gridY, unsigned int gridZ, unsigned int blockX,
    unsigned int blockY, unsigned int blockZ, unsigned int dynamicSharedBytes, void** arguments)
{
    if (kernel == nullptr)
    {
        return facenet_emu::set_error(FACENET_EMU_ERROR_INVALID_VALUE, "kernel handle is null.");
    }

    const auto& target = *static_cast<const Kernel*>(kernel);
    const dim3 grid(gridX, gridY, gridZ);
    const dim3 block(blockX, blockY, blockZ);
    const int invalid = facenet_emu::validate(target, grid, block, dynamicSharedBytes);
    if (invalid != FACENET_EMU_SUCCESS)
    {
        return invalid;
    }
    if (arguments == nullptr && target.parameterCount > 0)
    {
        return facenet_emu::set_error(FACENET_EMU_ERROR_INVALID_VALUE, "kernel '" + target.name + "' takes " +
            std::to_string(target.parameterCount) + " parameters but the argument array is null.");
    }

    facenet_emu::Launch launch;
    launch.shape = facenet_emu::LaunchShape{&target, grid, block, dynamicSharedBytes, arguments};
    launch.blockCount = static_cast<std::uint64_t>(gridX) * gridY * gridZ;
    facenet_emu::pool().run(launch);
    if (launch.failed.load())
    {
        return facenet_emu::set_error(launch.errorCode, launch.error);
    }
    return FACENET_EMU_SUCCESS;
}

int facenet_emu_launch_by_name(const char* name, unsigned int gridX, unsigned int gridY, unsigned int gridZ,
    unsigned int blockX, unsigned int blockY, unsigned int blockZ, unsigned int dynamicSharedBytes, void** arguments)
{
    void* kernel = facenet_emu_find_kernel(name);
    if (kernel == nullptr)
    {
        return name == nullptr ? FACENET_EMU_ERROR_INVALID_VALUE : FACENET_EMU_ERROR_KERNEL_NOT_FOUND;
    }
    return facenet_emu_launch(kernel, gridX, gridY, gridZ, blockX, blockY, blockZ, dynamicSharedBytes, arguments);
}

void* facenet_emu_device_alloc(size_t bytes)
{
    // posix_memalign keeps the exact size (aligned_alloc implementations may round it up to the alignment),
    // so an AddressSanitizer build reports the first byte past the request.
    void* memory = nullptr;
    return posix_memalign(&memory, 256, bytes == 0 ? 1 : bytes) == 0 ? memory : nullptr;
}

void facenet_emu_device_free(void* memory)
{
    std::free(memory);
}

const char* facenet_emu_last_error(void)
{
    return facenet_emu::lastError.c_str();
}

int facenet_emu_thread_count(void)
{
    return facenet_emu::pool().thread_count();
}

int facenet_emu_set_thread_count(int count)
{
    if (count < 1 || count > 1024)
    {
        return facenet_emu::set_error(FACENET_EMU_ERROR_INVALID_VALUE,
            "thread count " + std::to_string(count) + " is invalid; it must be from 1 to 1024.");
    }
    facenet_emu::pool().set_thread_count(count);
    return FACENET_EMU_SUCCESS;
}
}
