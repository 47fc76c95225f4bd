#!/usr/bin/env bash
# Builds packages/metal-native-linux-x64/mlx_native.node (host + CUDA when the toolkit is found,
# cudart linked statically) from a fresh Release build. See build.sh.
exec bash "$(dirname "$0")/build.sh" linux-x64 "$@"
