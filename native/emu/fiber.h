// Minimal stackful fibers for the emulator: a fiber owns an mmap'ed stack with a guard page and switches
// with hand-written x86-64 code that saves only the callee-saved registers and makes no system call.
// Other architectures, or builds with -DFACENET_EMU_UCONTEXT, use ucontext, whose switch also saves the
// signal mask with a system call.
#pragma once

#if defined(__x86_64__) && !defined(FACENET_EMU_UCONTEXT)
#define FACENET_EMU_X86_64_SWITCH 1
#endif

#include <cstddef>

#if !defined(FACENET_EMU_X86_64_SWITCH)
#include <ucontext.h>
#endif

namespace facenet_emu
{
// A saved execution context: the stack pointer on x86-64, a ucontext elsewhere.
struct Context
{
#if defined(FACENET_EMU_X86_64_SWITCH)
    void* stackPointer = nullptr;
#else
    ucontext_t context;
#endif
};

// An mmap'ed fiber stack with a PROT_NONE guard page below it.
class FiberStack
{
public:
    explicit FiberStack(std::size_t bytes);
    ~FiberStack();
    FiberStack(const FiberStack&) = delete;
    FiberStack& operator=(const FiberStack&) = delete;

    void* bottom() const { return usable_; }
    std::size_t size() const { return usableBytes_; }

private:
    void* mapping_ = nullptr;
    std::size_t mappingBytes_ = 0;
    void* usable_ = nullptr;
    std::size_t usableBytes_ = 0;
};

using FiberEntry = void (*)(void* argument);

// Prepares `context` so that the first switch into it calls entry(argument) on `stack`, starting
// `topOffset` bytes below the top. The entry function must never return; it switches away for the last time.
void prepare_context(Context& context, const FiberStack& stack, FiberEntry entry, void* argument,
    std::size_t topOffset = 0);

// Saves the current context into `from` and resumes `to`.
void switch_context(Context& from, Context& to);
} // namespace facenet_emu
