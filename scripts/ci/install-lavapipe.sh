#!/usr/bin/env bash
# Mesa's lavapipe (a CPU Vulkan driver) from bookworm-backports: Dawn's `webgpu` finds an adapter
# on it. bookworm's own Mesa 22 lacks a feature Dawn requires (the adapter comes back null).
# Quick when already installed.
set -euo pipefail
if [ -f /usr/share/vulkan/icd.d/lvp_icd.json ] && dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null | grep -q bpo; then
  echo "lavapipe: already installed ($(dpkg-query -W -f='${Version}' mesa-vulkan-drivers))"
  exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
if ! grep -rqs "bookworm-backports" /etc/apt/sources.list /etc/apt/sources.list.d/; then
  echo "deb http://deb.debian.org/debian bookworm-backports main" | $SUDO tee /etc/apt/sources.list.d/bookworm-backports.list >/dev/null
fi
$SUDO apt-get update
$SUDO apt-get install -y -t bookworm-backports mesa-vulkan-drivers
echo "lavapipe: installed ($(dpkg-query -W -f='${Version}' mesa-vulkan-drivers))"
