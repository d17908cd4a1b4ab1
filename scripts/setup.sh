#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs the Debian 12 packages neurark needs, skipping those already installed.
#   scripts/setup.sh           build, run and test dependencies
#   scripts/setup.sh --train   also PyTorch and an optimized BLAS (models/train/ only)
# Run as root (or with sudo). Nothing is downloaded at build or run time; only apt is used here.
set -euo pipefail

packages=(
  cmake g++ make pkg-config        # toolchain (C++17, to match Debian's libsystemc)
  catch2                           # tests (Catch2 2.13, prebuilt Catch2WithMain)
  libfmt-dev                       # formatting
  nlohmann-json3-dev               # JSON (safetensors headers, config.json, reports)
  libcli11-dev                     # command line
  libyaml-cpp-dev                  # chip descriptions (YAML)
  libxxhash-dev                    # chip image checksums (XXH3-64)
  libboost-dev                     # Boost.Graph (header-only): route graphs (deadlock check of an image's routes)
  libboost-filesystem-dev          # Boost.Process (needs Boost.Filesystem in 1.74): the sweep runner's processes
  libsystemc-dev                   # the SystemC chip model (SystemC 2.3.4, C++17)
  verilator                        # RTL harnesses and lint (rtl/, verify-rtl)
  yosys                            # RTL synthesis: cell counts (docs/rtl-area.md)
  iverilog                         # RTL second opinion: 4-state simulation (X propagation)
  clang libclang-rt-14-dev         # the sanitizer pass and libFuzzer targets (scripts/fuzz.sh)
  slurmd slurmctld slurm-client munge  # neurark sweep --runner slurm, and its test on a real single-node Slurm
  pybind11-dev python3-dev python3-pybind11 python3-pytest  # the Python module (python/) for /usr/bin/python3, its pytest tests
  chromium chromium-driver python3-selenium python3-pil  # report.html opened in headless Chromium (tests/report_html_test.py)
)
if [[ "${1:-}" == "--train" ]]; then
  packages+=(python3-torch python3-numpy libopenblas0-openmp)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "setup: all ${#packages[@]} packages already installed"
  exit 0
fi
SUDO=""
if [[ "$(id -u)" != 0 ]]; then SUDO="sudo"; fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
