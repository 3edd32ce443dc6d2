#!/bin/sh
# gen-check: regenerate every generated kernel (go generate ./...) and fail
# if the checked-in output under asm/ differs, so the .s files can never
# drift from their generators. Run from anywhere inside the repository.
set -eu
cd "$(git rev-parse --show-toplevel)"
go generate ./...
changes=$(git status --porcelain -- asm/)
if [ -n "$changes" ]; then
	echo "gen-check: go generate changed generated files under asm/:" >&2
	echo "$changes" >&2
	git --no-pager diff --stat -- asm/ >&2
	echo "gen-check: run 'go generate ./...' and commit the result." >&2
	exit 1
fi
echo "gen-check: asm/ is up to date"
