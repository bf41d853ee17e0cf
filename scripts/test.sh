#!/usr/bin/env bash
# The project's test command: builds everything in Release and runs the xunit suite.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet test FaceNet.sln -c Release --logger "console;verbosity=normal" 2>&1 | tee /tmp/facenet-test.log
