// SPDX-License-Identifier: Apache-2.0
/* rtl/src/model_abi.h: the small C interface of one Verilated model of an rtl/ block.
 *
 * Every Verilated model neurark drives (the neurocore, the lane array, the router, the mesh) is
 * compiled with rtl/src/model_abi.cpp, which exposes it through one entry function returning a
 * table of this type. The models compiled into neurark (the default chip's and the harnesses'
 * design points) and the models built on demand at a chip's parameters (shared objects in the
 * cache, neurark/rtl/build.hpp) have the same table; neurark::rtl::VerilatedModel
 * (neurark/rtl/model.hpp) is the one C++ class on top of it, so both run the same code.
 *
 * Ports: the top module's ports as Verilator declares them (VL_IN8 .. VL_INW in the model's
 * header, read by rtl/cmake/NrkPortTable.cmake). A port's storage is Verilator's CData / SData /
 * IData / QData or VlWide<words> (32-bit words, least significant first): on a little-endian
 * host, the value's bytes in order, least significant first. Inputs must be written with the
 * bits above the port's width zero.
 *
 * Plain C (no exceptions cross it): create() reports its failure in `err`.
 */
#ifndef NEURARK_RTL_MODEL_ABI_H_
#define NEURARK_RTL_MODEL_ABI_H_

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Raised whenever this header or model_abi.cpp changes in a way the loader must know. */
#define NRK_MODEL_ABI_VERSION 1

typedef struct nrk_model_port {
  const char* name;       /* e.g. "clk_i" */
  int msb, lsb;           /* declared range */
  int output;             /* 1: output of the model, 0: input */
  unsigned storage_bytes; /* 1, 2, 4, 8 or 4 x words */
} nrk_model_port;

typedef struct nrk_model_api {
  int abi_version;                /* NRK_MODEL_ABI_VERSION of the model's build */
  const char* block;              /* rtl/blocks.json name, e.g. "neurocore" */
  const char* top;                /* top module, e.g. "nrk_neurocore" */
  const char* params;             /* "Name=value,..." sorted by name: the -G overrides */
  const char* verilator_version;  /* VERILATOR_VERSION of the build */
  int trace_fst;                  /* 1: built with FST waveform support */
  int n_ports;
  const nrk_model_port* ports;
  /* A new instance (its own VerilatedContext, storage without reset zeroed). fst_path: a
   * waveform to write ("" or NULL: none; needs trace_fst). NULL on failure, with a message. */
  void* (*create)(const char* instance_name, const char* fst_path, char* err, unsigned err_size);
  void (*destroy)(void* instance);  /* final(), closes the waveform, frees */
  void* (*port)(void* instance, int index);  /* the storage of ports[index] */
  void (*eval)(void* instance);
  void (*dump)(void* instance, uint64_t time);  /* a waveform sample (no waveform: nothing) */
} nrk_model_api;

/* The entry function of a model: NRK_MODEL_ENTRY, "nrk_model_entry" in a shared object built on
 * demand, "nrk_model_entry_<prefix>" for a model compiled into neurark. */
typedef const nrk_model_api* (*nrk_model_entry_fn)(void);

#ifdef __cplusplus
}
#endif

#endif /* NEURARK_RTL_MODEL_ABI_H_ */
