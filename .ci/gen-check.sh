#!/bin/sh
# gen-check: regenerate everything generated (go generate ./...: the kernel
# generators into asm/, protoc into frontend/onnx/onnxpb/) and fail if the
# checked-in output differs, so generated files never drift from their
# generators. Needs protoc (Debian protobuf-compiler); installs protoc-gen-go
# at the version go.mod pins. Run from anywhere inside the repository.
set -eu
cd "$(git rev-parse --show-toplevel)"
export PATH="$PATH:$(go env GOPATH)/bin"
if ! command -v protoc >/dev/null 2>&1; then
	echo "gen-check: protoc is missing (apt-get install protobuf-compiler)" >&2
	exit 1
fi
go install "google.golang.org/protobuf/cmd/protoc-gen-go@$(go list -m -f '{{.Version}}' google.golang.org/protobuf)"
go generate ./...
changes=$(git status --porcelain -- asm/ frontend/onnx/onnxpb/)
if [ -n "$changes" ]; then
	echo "gen-check: go generate changed generated files:" >&2
	echo "$changes" >&2
	git --no-pager diff --stat -- asm/ frontend/onnx/onnxpb/ >&2
	echo "gen-check: run 'go generate ./...' and commit the result." >&2
	exit 1
fi
echo "gen-check: generated files are up to date"
