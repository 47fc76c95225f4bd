#!/usr/bin/env bash
# Builds packages/metal-native-darwin-arm64/mlx_native.node (Metal + host) from a fresh Release
# build. Runs only on an Apple Silicon Mac (the hosted workflow's macos-15 runner). See build.sh.
exec bash "$(dirname "$0")/build.sh" darwin-arm64 "$@"
