#!/usr/bin/env bash
# The project's test command: builds the solution in Release, runs the xunit suite, then runs the
# kernel tests once more with the emulation library built under AddressSanitizer. Fails when any test
# fails or is skipped: a skipped kernel test means a kernel nobody executed.
set -euo pipefail
cd "$(dirname "$0")/.."

log=$(mktemp)
trap 'rm -f "$log"' EXIT

status=0
dotnet test FaceNet.sln -c Release 2>&1 | tee "$log" || status=$?

# "Passed!  - Failed:     0, Passed:   123, Skipped:     0, Total:   123, Duration: ..."
summary=$(grep -E '(Passed|Failed)! +- Failed: ' "$log" | tail -n 1 || true)
if [ -z "$summary" ]; then
  echo "test.sh: no test summary found; the build or the test host failed" >&2
  exit 1
fi
failed=$(sed -E 's/.*Failed: +([0-9]+).*/\1/' <<<"$summary")
passed=$(sed -E 's/.*Passed: +([0-9]+).*/\1/' <<<"$summary")
skipped=$(sed -E 's/.*Skipped: +([0-9]+).*/\1/' <<<"$summary")
if [ "$skipped" != 0 ]; then
  echo "test.sh: $skipped test(s) skipped; every test, kernel tests above all, must run" >&2
  status=1
fi

if [ -x scripts/test-asan.sh ]; then
  bash scripts/test-asan.sh || status=1
fi

echo "$passed passed, $failed failed, $skipped skipped"
exit "$status"
