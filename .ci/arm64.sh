#!/usr/bin/env bash
# arm64 checks under user-mode emulation: vet and build every package for
# GOARCH=arm64 (asmdecl checks the generated NEON assembly's argument
# offsets), then run the arm64 tests of the kernels and of the runtime and
# models packages that exist, with -short (emulation is 12-45x slower).
# Run from anywhere inside the repository; .ci/run calls it.
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
export PATH="$PATH:/usr/local/go/bin"

if ! command -v qemu-aarch64 >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq || true
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq qemu-user >/dev/null
fi

export GOARCH=arm64
echo "arm64: go vet ./..."
go vet ./...
echo "arm64: go build ./..."
go build ./...

# Packages with tests among those the brief names; binfmt is not mounted on
# CI machines, so the test binaries run through -exec qemu-aarch64.
pkgs=(./kernels/)
for dir in runtime models; do
  if [ -d "$dir" ] && [ -n "$(find "$dir" -name '*_test.go' -print -quit)" ]; then
    pkgs+=("./$dir/...")
  fi
done
# Whole-network tests of models that exercise no arm64-specific code beyond
# what TestModelsMatchReference and TestFusedBlocksMatchUnfused already run
# (the text detector, LR-ASPP, SSDLite, peak-memory accounting) are left to
# the native run: under emulation they alone take most of the time limit.
skip='TestPPOCRv3Detector|TestLRASPP|TestSSDLiteMatchesReference|TestPeakMemory|TestV2FusedPlanShape'
echo "arm64: go test -short ${pkgs[*]} under qemu-aarch64 (skipping $skip)"
go test -short -timeout 20m -skip "$skip" -exec qemu-aarch64 "${pkgs[@]}"

# qemu's default CPU implements every extension; a Cortex-A53 has only
# ARMv8.0 FP/ASIMD, so this catches a generated instruction that needs a
# later extension (FP16, dot product, ...), and runs the int8 GEMM tests and
# a small int8 plan on bytes on the ARMv8.0 path (SMULL/SADALP: no SDOT
# there; the default CPU runs SUDOT, and the kernel tests SDOT too), and the
# int8 depthwise kernels' tests (QDW: ARMv8.0 SMLAL, ~1 s).
echo "arm64: NEON kernel tests on an emulated Cortex-A53"
go test -short -count=1 -exec "qemu-aarch64 -cpu cortex-a53" -run 'Neon|U8S8|QDW|TestInt8Bytes' ./kernels/ ./runtime/
