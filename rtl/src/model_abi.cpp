// SPDX-License-Identifier: Apache-2.0
// rtl/src/model_abi.cpp: one Verilated model behind the C interface of model_abi.h.
//
// Compiled once per model by nrk_model() (rtl/cmake/NrkModel.cmake), beside the model's
// Verilated C++, with:
//   NRK_MODEL_CLASS   the Verilated class (the verilate() PREFIX, e.g. Vnrk_neurocore)
//   NRK_MODEL_HEADER  its header, "Vnrk_neurocore.h"
//   NRK_MODEL_ENTRY   the entry function's name
//   NRK_MODEL_BLOCK, NRK_MODEL_TOP, NRK_MODEL_PARAMS  what the table reports
// and nrk_model_ports.inc: one NRK_PORT(name, msb, lsb, output) per port of the model, written
// from the Verilated header by rtl/cmake/NrkPortTable.cmake.
#include <verilated.h>
#if VM_TRACE_FST
#include <verilated_fst_c.h>
#endif

#include <cstring>
#include <exception>
#include <memory>

#include NRK_MODEL_HEADER
#include "model_abi.h"

namespace {

using Model = NRK_MODEL_CLASS;

// Verilator's wide values are one array of 32-bit words and nothing else.
static_assert(sizeof(VlWide<3>) == 12, "VlWide<N> holds exactly N 32-bit words");

#define NRK_PORT(name, msb, lsb, out) \
  {#name, msb, lsb, out, static_cast<unsigned>(sizeof(static_cast<Model*>(nullptr)->name))},
const nrk_model_port kPorts[] = {
#include "nrk_model_ports.inc"
};
#undef NRK_PORT
constexpr int kNumPorts = static_cast<int>(sizeof(kPorts) / sizeof(kPorts[0]));

struct Instance {
  std::unique_ptr<VerilatedContext> ctx;
  std::unique_ptr<Model> m;
#if VM_TRACE_FST
  std::unique_ptr<VerilatedFstC> fst;
#endif
  void* ports[kNumPorts] = {};
};

void* create(const char* instance_name, const char* fst_path, char* err, unsigned err_size) {
  const auto fail = [&](const char* what) -> void* {
    if (err != nullptr && err_size > 0) {
      std::strncpy(err, what, err_size - 1);
      err[err_size - 1] = '\0';
    }
    return nullptr;
  };
  const bool trace = fst_path != nullptr && fst_path[0] != '\0';
#if !VM_TRACE_FST
  if (trace) return fail("this model was built without FST waveform support");
#endif
  try {
    auto i = std::make_unique<Instance>();
    i->ctx = std::make_unique<VerilatedContext>();
    i->ctx->randReset(0);  // storage without reset starts at zero: runs are reproducible
#if VM_TRACE_FST
    if (trace) i->ctx->traceEverOn(true);
#endif
    i->m = std::make_unique<Model>(i->ctx.get(), instance_name);
    int k = 0;
#define NRK_PORT(name, msb, lsb, out) i->ports[k++] = static_cast<void*>(&i->m->name);
#include "nrk_model_ports.inc"
#undef NRK_PORT
#if VM_TRACE_FST
    if (trace) {
      i->fst = std::make_unique<VerilatedFstC>();
      i->m->trace(i->fst.get(), 99);
      i->fst->open(fst_path);
    }
#endif
    return i.release();
  } catch (const std::exception& e) {
    return fail(e.what());
  } catch (...) {
    return fail("unknown error");
  }
}

void destroy(void* p) {
  auto* i = static_cast<Instance*>(p);
  i->m->final();
#if VM_TRACE_FST
  if (i->fst) i->fst->close();
#endif
  delete i;
}

void* port(void* p, int index) { return static_cast<Instance*>(p)->ports[index]; }

void eval(void* p) { static_cast<Instance*>(p)->m->eval(); }

void dump(void* p, uint64_t time) {
#if VM_TRACE_FST
  auto* i = static_cast<Instance*>(p);
  if (i->fst) i->fst->dump(time);
#else
  (void)p;
  (void)time;
#endif
}

const nrk_model_api kApi = {NRK_MODEL_ABI_VERSION,
                            NRK_MODEL_BLOCK,
                            NRK_MODEL_TOP,
                            NRK_MODEL_PARAMS,
                            VERILATOR_VERSION,
                            VM_TRACE_FST ? 1 : 0,
                            kNumPorts,
                            kPorts,
                            create,
                            destroy,
                            port,
                            eval,
                            dump};

}  // namespace

extern "C" __attribute__((visibility("default"))) const nrk_model_api* NRK_MODEL_ENTRY(void) { return &kApi; }
