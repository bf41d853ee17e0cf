// Included first by every kernel file. Under nvcc this is plain CUDA. Under FACENET_EMULATION the same
// source compiles as C++ against the emulation header, which runs each block's threads as fibers.
#pragma once

#ifdef FACENET_EMULATION
#include "../native/emu/cuda_emu.h"
#else
#include <cuda_runtime.h>
#include <stdint.h>
#endif

// Declares the dynamic shared memory array of a kernel: `DYNAMIC_SHARED(float, smem);`
// Under nvcc it is `extern __shared__ float smem[];`; under emulation it points at the block's buffer.
#ifndef DYNAMIC_SHARED
#define DYNAMIC_SHARED(type, name) extern __shared__ type name[]
#endif

// Lists the kernels a file defines, at the end of the file: `FACENET_KERNELS(relu_forward, relu_backward)`.
// Under nvcc it expands to nothing (the driver finds extern "C" kernels by name); under emulation it
// registers each kernel with an argument-unpacking launcher so the emulated driver can find it by name.
#ifndef FACENET_KERNELS
#define FACENET_KERNELS(...)
#endif
