#!/usr/bin/env bash
# Runs the CUDA kernel tests against libfacenet_emu_asan.so, the emulation library built with
# AddressSanitizer, and fails on any ASan report or failing test.
#
# The library is loaded with dlopen by the .NET test host, so the ASan runtime must come first in the
# process: it is put in LD_PRELOAD of the test host only (dotnet test -e), not of the dotnet CLI.
# ASAN_OPTIONS: leak detection is off because the .NET runtime's own allocations are reported as leaks;
# handle_segv=0 leaves SIGSEGV to .NET, which turns it into NullReferenceException.
#
# Usage: scripts/test-asan.sh [dotnet test filter]   (default: FullyQualifiedName~FaceNet.Tests.Cuda)
set -euo pipefail
cd "$(dirname "$0")/.."

filter="${1:-FullyQualifiedName~FaceNet.Tests.Cuda}"
configuration=Debug
report_dir="$(mktemp -d /tmp/facenet-asan.XXXXXX)"

dotnet build tests/FaceNet.Tests -c "$configuration" -p:FaceNetEmuAsan=true

library="src/FaceNet.Kernels/obj/native/$configuration/libfacenet_emu_asan.so"
if readelf -d "$library" | grep -q 'libclang_rt.asan'; then
    runtime="$(clang++-14 -print-file-name=libclang_rt.asan-x86_64.so)"
else
    runtime="$(g++ -print-file-name=libasan.so)"
fi
if [[ ! -f "$runtime" ]]; then
    echo "test-asan: the ASan runtime '$runtime' that $library needs was not found." >&2
    exit 2
fi

status=0
dotnet test tests/FaceNet.Tests -c "$configuration" --no-build --filter "$filter" \
    -e "LD_PRELOAD=$runtime" \
    -e "FACENET_EMU_LIBRARY=libfacenet_emu_asan.so" \
    -e "ASAN_OPTIONS=detect_leaks=0:handle_segv=0:allow_user_segv_handler=1:halt_on_error=1:log_path=$report_dir/asan" \
    || status=$?

if compgen -G "$report_dir/asan*" > /dev/null; then
    echo "test-asan: AddressSanitizer reported errors:" >&2
    cat "$report_dir"/asan* >&2
    exit 1
fi
if [[ $status -ne 0 ]]; then
    echo "test-asan: dotnet test failed with status $status." >&2
    exit "$status"
fi
echo "test-asan: no AddressSanitizer reports; reports would be written to $report_dir."
