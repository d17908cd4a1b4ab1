// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: event traces (traces::read_event_trace).
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_common.hpp"
#include "neurark/arch/error.hpp"
#include "neurark/traces/event_trace.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const std::string path = neurark::fuzz::as_file(data, size, ".jsonl");
  try {
    (void)neurark::traces::read_event_trace(path);
  } catch (const neurark::Error&) {
  }
  return 0;
}
