// Minimal stackful fibers for the emulator: a fiber owns an mmap'ed stack with a guard page and switches
// with hand-written x86-64 code (callee-saved registers, MXCSR and the x87 control word only), or with
// ucontext on other architectures. Switching saves no signal mask, so it costs no system call.
#pragma once

#include <cstddef>

#if !defined(__x86_64__)
#include <ucontext.h>
#endif

namespace facenet_emu
{
// A saved execution context: the stack pointer on x86-64, a ucontext elsewhere.
struct Context
{
#if defined(__x86_64__)
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

// Prepares `context` so that the first switch into it calls entry(argument) on `stack`.
// The entry function must never return; it switches away for the last time instead.
void prepare_context(Context& context, const FiberStack& stack, FiberEntry entry, void* argument);

// Saves the current context into `from` and resumes `to`.
void switch_context(Context& from, Context& to);
} // namespace facenet_emu
