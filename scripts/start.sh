#!/bin/sh
# Production start (`npm start`): build (scripts/build.mjs: the packages, and the server into
# dist/server/; what is up to date is skipped), then run the server in this
# process (exec, so signals reach Node directly). The Dockerfile compiles at image build and
# runs the same `node` command with the same settings.
#
# Memory settings, measured in docs/PERFORMANCE.md ("Files"):
# - MALLOC_MMAP_THRESHOLD_: glibc serves buffers of 128 KiB and more (file chunks, part
#   bodies, driver buffers) from mmap and hands them back to the system when they are freed.
#   Without it glibc raises that threshold to the largest buffer freed so far and keeps
#   recycled buffers in its heap, where fragmentation holds on to tens of MiB.
#   Ignored outside glibc.
# - --max-semi-space-size=1 (MiB): a smaller young generation (default up to 16 MiB per
#   semi-space); the server's young objects are small and short-lived.
set -e
cd "$(dirname "$0")/.."
node scripts/build.mjs
export MALLOC_MMAP_THRESHOLD_="${MALLOC_MMAP_THRESHOLD_:-131072}"
exec node --max-semi-space-size=1 dist/server/server.js
