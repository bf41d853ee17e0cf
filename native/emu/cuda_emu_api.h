// C API of libfacenet_emu.so, called by FaceNet.Kernels.Driver.EmulatedDriver. Launches are synchronous:
// facenet_emu_launch returns after every block has finished. Error messages are per calling thread.
#pragma once

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FACENET_EMU_SUCCESS 0
#define FACENET_EMU_ERROR_KERNEL_NOT_FOUND 1
#define FACENET_EMU_ERROR_INVALID_CONFIGURATION 2
#define FACENET_EMU_ERROR_SHARED_MEMORY 3
#define FACENET_EMU_ERROR_DEADLOCK 4
#define FACENET_EMU_ERROR_INVALID_WARP_COLLECTIVE 5
#define FACENET_EMU_ERROR_OUT_OF_RESOURCES 6
#define FACENET_EMU_ERROR_INVALID_VALUE 7

// Number of registered kernels and the name of kernel `index` (null when out of range).
int facenet_emu_kernel_count(void);
const char* facenet_emu_kernel_name(int index);

// Handle of the kernel called `name`, or null (with the last error set) when no file registers it.
void* facenet_emu_find_kernel(const char* name);

// Number of parameters of the kernel's C++ signature, or -1 for a null handle.
int facenet_emu_kernel_parameter_count(void* kernel);

// Raises the kernel's dynamic shared memory limit above the default 48 KiB, up to 227 KiB.
int facenet_emu_set_max_dynamic_shared(void* kernel, int bytes);

// Runs the kernel on a grid of blocks; `arguments` holds one pointer per parameter, as cuLaunchKernel takes.
// Returns FACENET_EMU_SUCCESS or an error code, with the message in facenet_emu_last_error().
int facenet_emu_launch(void* kernel, unsigned int gridX, unsigned int gridY, unsigned int gridZ, unsigned int blockX,
    unsigned int blockY, unsigned int blockZ, unsigned int dynamicSharedBytes, void** arguments);

// facenet_emu_launch after looking the kernel up by name.
int facenet_emu_launch_by_name(const char* name, unsigned int gridX, unsigned int gridY, unsigned int gridZ,
    unsigned int blockX, unsigned int blockY, unsigned int blockZ, unsigned int dynamicSharedBytes, void** arguments);

// Emulated device memory: 256-byte aligned like cuMemAlloc, null when the host is out of memory. Allocating
// here rather than in .NET puts the memory under the AddressSanitizer allocator in the ASan build.
void* facenet_emu_device_alloc(size_t bytes);
void facenet_emu_device_free(void* memory);

// Message of the calling thread's last failed call.
const char* facenet_emu_last_error(void);

// OS threads that run blocks (the launching thread included). Default: FACENET_EMU_THREADS, else the core count.
int facenet_emu_thread_count(void);
int facenet_emu_set_thread_count(int count);

#ifdef __cplusplus
}
#endif
