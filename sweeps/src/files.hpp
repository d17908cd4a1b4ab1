// SPDX-License-Identifier: Apache-2.0
// sweeps/src/files.hpp: the sweep's files are written whole or not at all (private to sweeps).
#pragma once

#include <string>

namespace neurark::sweeps::detail {

// Writes `text` to `path` through "<path>.tmp-<pid>" and a rename (arch::remove_stale_temporaries
// removes what a killed process left). Throws neurark::Error naming the file.
void write_atomic(const std::string& path, const std::string& text);

}  // namespace neurark::sweeps::detail
