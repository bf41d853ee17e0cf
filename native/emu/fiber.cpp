#include "fiber.h"

#include <cstdint>
#include <new>
#include <sys/mman.h>
#include <unistd.h>

#if defined(FACENET_EMU_X86_64_SWITCH)
// facenet_emu_switch(void** saveStackPointer, void* loadStackPointer)
// Pushes the System V callee-saved registers, stores the stack pointer, loads the other one and pops the
// same frame in reverse. A fresh stack contains a frame whose return address is facenet_emu_trampoline, with
// the argument in r12 and the entry function in r13. MXCSR and the x87 control word are not switched
// (loading them costs more than the rest of the switch): all fibers of an OS thread share its floating-point
// modes, which kernels never change.
asm(R"(
    .text
    .globl facenet_emu_switch
    .hidden facenet_emu_switch
    .type facenet_emu_switch, @function
facenet_emu_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size facenet_emu_switch, .-facenet_emu_switch

    .globl facenet_emu_trampoline
    .hidden facenet_emu_trampoline
    .type facenet_emu_trampoline, @function
facenet_emu_trampoline:
    movq %r12, %rdi
    callq *%r13
    ud2
    .size facenet_emu_trampoline, .-facenet_emu_trampoline
)");

extern "C" void facenet_emu_switch(void** saveStackPointer, void* loadStackPointer);
extern "C" void facenet_emu_trampoline();
#endif

namespace facenet_emu
{
FiberStack::FiberStack(std::size_t bytes)
{
    const std::size_t page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
    usableBytes_ = (bytes + page - 1) / page * page;
    mappingBytes_ = usableBytes_ + page;
    mapping_ = mmap(nullptr, mappingBytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
        -1, 0);
    if (mapping_ == MAP_FAILED)
    {
        mapping_ = nullptr;
        throw std::bad_alloc();
    }

    // Stacks grow down, so the guard page sits at the low end and turns an overflow into SIGSEGV.
    mprotect(mapping_, page, PROT_NONE);
    usable_ = static_cast<char*>(mapping_) + page;
}

FiberStack::~FiberStack()
{
    if (mapping_ != nullptr)
    {
        munmap(mapping_, mappingBytes_);
    }
}

#if defined(FACENET_EMU_X86_64_SWITCH)
void prepare_context(Context& context, const FiberStack& stack, FiberEntry entry, void* argument,
    std::size_t topOffset)
{
    auto top = reinterpret_cast<std::uintptr_t>(stack.bottom()) + stack.size() - topOffset;
    top &= ~static_cast<std::uintptr_t>(15);

    // Frame popped by facenet_emu_switch, lowest address first: r15, r14, r13, r12, rbx, rbp, return
    // address. After `ret` the stack pointer is 16-byte aligned, as the trampoline's `call` requires.
    auto* frame = reinterpret_cast<std::uint64_t*>(top - 16 - 7 * 8);
    frame[0] = 0;
    frame[1] = 0;
    frame[2] = reinterpret_cast<std::uint64_t>(entry);
    frame[3] = reinterpret_cast<std::uint64_t>(argument);
    frame[4] = 0;
    frame[5] = 0;
    frame[6] = reinterpret_cast<std::uint64_t>(&facenet_emu_trampoline);
    context.stackPointer = frame;
}

void switch_context(Context& from, Context& to)
{
    facenet_emu_switch(&from.stackPointer, to.stackPointer);
}
#else
namespace
{
void ucontext_entry(unsigned int entryHigh, unsigned int entryLow, unsigned int argumentHigh,
    unsigned int argumentLow)
{
    auto entry = reinterpret_cast<FiberEntry>((static_cast<std::uintptr_t>(entryHigh) << 32) | entryLow);
    auto* argument = reinterpret_cast<void*>((static_cast<std::uintptr_t>(argumentHigh) << 32) | argumentLow);
    entry(argument);
}
} // namespace

void prepare_context(Context& context, const FiberStack& stack, FiberEntry entry, void* argument,
    std::size_t topOffset)
{
    getcontext(&context.context);
    context.context.uc_stack.ss_sp = stack.bottom();
    context.context.uc_stack.ss_size = stack.size() - topOffset;
    context.context.uc_link = nullptr;
    auto entryBits = reinterpret_cast<std::uintptr_t>(entry);
    auto argumentBits = reinterpret_cast<std::uintptr_t>(argument);
    makecontext(&context.context, reinterpret_cast<void (*)()>(&ucontext_entry), 4,
        static_cast<unsigned int>(entryBits >> 32), static_cast<unsigned int>(entryBits),
        static_cast<unsigned int>(argumentBits >> 32), static_cast<unsigned int>(argumentBits));
}

void switch_context(Context& from, Context& to)
{
    swapcontext(&from.context, &to.context);
}
#endif
} // namespace facenet_emu
