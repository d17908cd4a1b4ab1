// SPDX-License-Identifier: Apache-2.0
// neurark/rtl/build.hpp: Verilated models of the rtl/ blocks at any parameters, built on demand
// and cached.
//
// A model is a block of rtl/blocks.json (its top module and sources) verilated with a set of
// Verilog parameters (RtlParams, usually a chip's: neurark/rtl/chip_params.hpp). neurark holds
// a few models compiled in (the default chip's neurocore, the harnesses' design points); any
// other is built the first time it is asked for and kept in a cache folder:
//   1. its key: a hash of the block, the parameters, the content of every file the build reads
//      (rtl/blocks.json, the block's SystemVerilog, rtl/src/model_abi.*, rtl/cmake/*) and the
//      toolchain (Verilator's version, the C++ compiler);
//   2. <cache>/<block>-<hash>/model.so exists: it is used as it is (no rebuild);
//   3. else, under an exclusive lock on <cache>/<block>-<hash>.lock (a concurrent build of the
//      same model waits, then finds it), the files are copied into a temporary folder of the
//      cache, rtl/cmake/model is configured and built there (`verilator --cc` and the C++
//      compiler, through CMake; progress on stderr), and the folder is renamed into place: a
//      build that is killed leaves only a temporary folder, removed by the next build of that
//      model, never a half-built entry.
// The cache folder: $NEURARK_RTL_CACHE if set, else $XDG_CACHE_HOME/neurark/rtl, else
// ~/.cache/neurark/rtl. An entry holds model.so (the model behind the C interface of
// rtl/src/model_abi.h, loaded with dlopen by neurark/rtl/model.hpp), model.json (block,
// parameters, hash, build time, toolchain), build.log and src/ (the files it was built from).
// Nothing is downloaded: Verilator, CMake and the compiler are the ones neurark was built with.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace neurark::rtl {

// One Verilog parameter override (-GName=value).
struct RtlParam {
  std::string name;
  int64_t value = 0;
};
using RtlParams = std::vector<RtlParam>;

// "Name=value,Name=value", sorted by name: the parameters' part of a model's identity.
std::string params_text(const RtlParams& params);

// Where a model comes from.
struct ModelBuild {
  std::string block;           // rtl/blocks.json name, e.g. "neurocore"
  std::string top;             // top module, e.g. "nrk_neurocore"
  std::string params;          // params_text()
  std::string hash;            // 16 hex digits (the cache key; "" for a compiled-in model)
  std::string path;            // the cache entry's folder ("" for a compiled-in model)
  bool compiled_in = false;    // part of neurark: no build, no cache
  bool built = false;          // this call built it (false: found in the cache, or compiled in)
  double seconds = 0;          // wall time of the build (0 if not built here)
  std::string describe() const;  // "neurocore (NumLanes=32, ...) from the cache <path>"
};

struct BuildOptions {
  std::string cache_dir;   // "" : rtl_cache_dir()
  int jobs = 0;            // compile jobs; 0: $NEURARK_RTL_JOBS, else the CPU count
  // Progress lines (without newline); unset: written to stderr as "rtl: ...".
  std::function<void(const std::string&)> progress;
};

// The cache folder (see above). Not created here.
std::string rtl_cache_dir();
// rtl/ of the source tree the on-demand builds read: $NEURARK_RTL_SOURCES, else an installed
// neurark's copy (<prefix>/share/neurark/rtl, arch::installed_data_dir), else the tree neurark was
// configured from.
std::string rtl_source_dir();

// The version of the Verilator neurark was built with ("5.006"): its compiled-in models and the
// on-demand ones.
std::string verilator_version();

// The block's entry in rtl/blocks.json: top module, sources (relative to rtl/, after the package),
// the memories among them (black boxes in synthesis). Throws neurark::Error for an unknown block.
struct BlockSources {
  std::string name, top, area;
  bool area_table = false;
  std::string package;                 // common/nrk_pkg.sv
  std::vector<std::string> sources;    // the top's own file first
  std::vector<std::string> memories;   // a subset of sources
};
BlockSources block_sources(const std::string& block);
std::vector<BlockSources> all_blocks();  // in rtl/blocks.json's order

// The cache key of `block` at `params` (reads the files it covers).
std::string model_hash(const std::string& block, const RtlParams& params);

// Whether neurark holds `block` at `params` compiled in.
bool has_compiled_in_model(const std::string& block, const RtlParams& params);

// The cache entry of `block` at `params`, built if absent (see above). Throws neurark::Error
// with the build log's tail if Verilator or the compiler fails. Never uses a compiled-in model.
ModelBuild build_model(const std::string& block, const RtlParams& params, const BuildOptions& options = {});

// Models this process has built (not found in the cache): tests assert a second request did not
// rebuild.
int64_t models_built();

}  // namespace neurark::rtl
