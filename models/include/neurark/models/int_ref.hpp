// SPDX-License-Identifier: Apache-2.0
// neurark/models/int_ref.hpp: the bit-exact integer reference of HGRNBit.
//
// Runs the whole model with the arch/ integer operations only (neurark/arch/numerics.hpp;
// specification in docs/numerics.md §6 "The integer HGRNBit"). Float is used once, at load, to
// prepare constants: ternary weights (shared with the float reference), int32 norm-weight
// mantissas, per-BitLinear output constants (Scale), Q15.16 embeddings and UQ7.24 lower
// bounds. At run time every value is an integer: Q15.16 residual stream and logits, UQ7.24
// gates, Q11.20 MLGRU state. This is the golden model that the functional and SystemC backends
// and the RTL must match bit for bit.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "neurark/arch/numerics.hpp"
#include "neurark/models/checkpoint.hpp"
#include "neurark/models/lm.hpp"

namespace neurark::models {

// One BitLinear's integer constants. The ternary matrix is held packed, 2 bits per weight in the
// synapse SRAM's codes (arch::ternary_pack: row-major, ceil(in / 4) bytes per row, 4 weights per
// byte lowest bits first): a quarter of int8, and the form the matvec reads fastest
// (arch::ternary_matvec_packed decodes a 32-byte block of codes with 4 SIMD ops per 32 weights;
// plus/minus bitplanes would need the same bytes and a costlier expansion of bits to bytes).
struct IntBitLinear {
  int64_t in = 0, out = 0;
  std::vector<uint8_t> w_packed;    // [out][ceil(in / 4)] TernaryCode bytes
  std::vector<int32_t> norm_mant;   // [in] internal RMSNorm weight mantissas
  int norm_exp = 0;
  arch::Scale layer_c;              // arch::bitlinear_layer_scale(in, s_w, norm_exp)
  float s_w = 1.0f;                 // kept for reports only
  std::vector<int32_t> col_nnz;     // [in] non-zero weights per input column (SOP counts)

  // Row o (< out) as int8 ternary values {-1, 0, 1}, in[0..in) written to `row`.
  void unpack_row(int64_t o, int8_t* row) const;
  // The whole matrix as int8 [out][in] row-major (in * out bytes: for tests and small models).
  std::vector<int8_t> unpacked() const;
  // Bytes of the packed matrix.
  int64_t packed_bytes() const { return static_cast<int64_t>(w_packed.size()); }
  bool operator==(const IntBitLinear& o) const;  // every constant bit for bit
};

struct IntLayer {
  std::vector<int32_t> attn_norm, g_norm, mlp_norm;  // folded pre-norm weight mantissas
  int attn_norm_exp = 0, g_norm_exp = 0, mlp_norm_exp = 0;  // their exponents (the eps needs them)
  IntBitLinear i_proj, f_proj, g_proj, o_proj, gate_proj, down_proj;
  std::vector<int32_t> lower_bound_q24;               // [d]; empty: no bound (layer 0)
  bool operator==(const IntLayer& o) const;  // every constant bit for bit
};

// The prepared integer model (what a chip image will carry).
struct IntModel {
  HGRNBitConfig config;
  std::vector<int32_t> embeddings_q16;  // [V][d]; empty in load's lean form (see embedding_source)
  // load's lean form: the checkpoint (memory-mapped) whose embedding rows are converted to
  // Q15.16 when a token needs them; every value was checked at load. Null after prepare.
  std::shared_ptr<const Checkpoint> embedding_source;
  std::vector<IntLayer> layers;
  std::vector<int32_t> final_norm;
  int final_norm_exp = 0;
  arch::Scale rms_norm_eps;             // scale_from_double(config.rms_norm_eps): the folded norms' eps
  IntBitLinear lm_head;

  // Prepares every constant from float weights. Throws neurark::Error (naming the tensor) if a
  // weight cannot be represented (non-finite, norm weight above 2^31 - 1, embedding beyond Q15.16).
  static IntModel prepare(const HGRNBitWeights& weights);
  // prepare(HGRNBitWeights::load(dir)) without holding the checkpoint's floats: tensors are read
  // one at a time, each BitLinear's weights streamed twice (mean |W|, then ternarized and packed a
  // slice of rows at a time), so the peak memory is the packed model plus a few MB; the embedding
  // table is checked and left in the checkpoint (embedding_source, rows read per token). The same constants, and the
  // same neurark::Error for a bad checkpoint: load's checks and messages in load's order first
  // (every tensor is read before a preparation error is reported), then prepare's first error
  // in prepare's order.
  // `cancel`, if given, is polled between tensors: once true, load stops with neurark::Error
  // ("... loading cancelled") (a run whose compile failed does not wait for its reference).
  static IntModel load(const std::string& dir, const std::atomic<bool>* cancel = nullptr);
  // Row `token` (0 <= token < V) of the Q15.16 embedding table, d values to out: from
  // embeddings_q16, or read and converted from embedding_source. Bit-identical either way.
  void embedding_row(int32_t token, int32_t* out) const;
  // Bytes of all packed ternary matrices (the BitLinears' weights as the reference holds them).
  int64_t packed_weight_bytes() const;
};

// Load-time preparation of single tensors (what IntModel::prepare does for each; the compiler's
// fold pass calls them too). `dir` and the tensor name go into error messages.
// prepare_bitlinear: ternary weights, int32 norm mantissas, layer scale, column non-zeros; throws
// neurark::Error for fan-in > 2^23 or an unrepresentable norm weight.
IntBitLinear prepare_bitlinear(const BitLinearWeights& w, const std::string& dir, const std::string& name);
// prepare_norm: int32 mantissas (arch::quantize_norm_weight), exponent to *exp_out if given.
std::vector<int32_t> prepare_norm(const std::vector<float>& w, const std::string& dir, const std::string& tensor,
                                  int* exp_out = nullptr);
// prepare_fixed: round(v * 2^frac) as int32; throws neurark::Error naming `what` if it does not fit.
int32_t prepare_fixed(double v, int frac, const std::string& what);
// The same conversion without the message: false if v does not fit.
bool try_fixed(double v, int frac, int32_t* out);

// Per-token observations at unit boundaries, for cross-checks and counters.
struct IntStepTrace {
  std::vector<std::vector<int32_t>> layer_out_q16;  // residual stream after each layer
  int64_t synaptic_ops = 0;       // non-zero activation code x non-zero weight pairs
  int64_t events = 0;             // events entering BitLinears (dense mode: non-zero codes)
  int64_t activation_codes = 0;   // all activation codes entering BitLinears
  bool record_codes = false;      // set to fill bitlinear_codes and bitlinear_event_values
  std::vector<std::vector<int8_t>> bitlinear_codes;  // [BitLinear in execution order][fan-in]
  // What each input sent (arch::event_value under the event mode; dense: the code itself; 0:
  // nothing), [BitLinear in execution order][fan-in]; arch::split_event_value gives its events.
  std::vector<std::vector<int32_t>> bitlinear_event_values;
  // Set to fill `tensors`: every integer op's output in execution order, named as the
  // compiler's lowered graph names its tensors (x.0, layers.L.attn_norm, layers.L.i, ... x.L+1,
  // final_norm, logits), for comparisons at every op boundary (sim::cross_checked).
  bool record_tensors = false;
  std::vector<std::pair<std::string, std::vector<int32_t>>> tensors;
};

class IntReference : public LanguageModel {
 public:
  explicit IntReference(const HGRNBitWeights& weights);
  explicit IntReference(IntModel model);
  // From a checkpoint folder through IntModel::load (no float copy of the model held).
  static IntReference load(const std::string& dir) { return IntReference(IntModel::load(dir)); }

  std::string name() const override { return "int"; }
  int64_t vocab_size() const override { return model_.config.vocab_size; }
  void reset() override;
  // Logits as float: Q15.16 / 2^16 (exact conversion of the integer logits).
  void step(int32_t token, std::vector<float>& logits) override;
  // The integer logits (Q15.16), optionally with a trace of unit-boundary values.
  void step_q16(int32_t token, std::vector<int32_t>& logits_q16, IntStepTrace* trace = nullptr);

  const IntModel& model() const { return model_; }

  // Activity counted over every step() since construction (step_q16 counts only when given a
  // trace): tokens, events (non-zero activation codes into BitLinears), synaptic operations
  // (non-zero code x non-zero weight), activation codes.
  struct Activity {
    int64_t tokens = 0, events = 0, synaptic_ops = 0, activation_codes = 0;
  };
  const Activity& activity() const { return activity_; }
  // Fraction of zero ternary weights over all BitLinears (static weight sparsity).
  double weight_sparsity() const;
  const std::vector<int32_t>& state_q20(std::size_t layer) const { return h_[layer]; }
  // Every layer's MLGRU state h (Q11.20), [layer][d]: what the next token starts from.
  const std::vector<std::vector<int32_t>>& state_q20() const { return h_; }
  // Replaces it (a chip's state, to check the chip's next token from where the chip is). Throws
  // std::invalid_argument unless h_q20 is [num_hidden_layers][hidden_size].
  void load_state_q20(const std::vector<std::vector<int32_t>>& h_q20);

  // Which activation codes send events (docs/numerics.md §5b; default: absolute, theta 0, the
  // dense path). Setting it clears the sigma-delta state (every input's sent code to 0). Throws
  // std::invalid_argument for a threshold outside [0, arch::kEventThresholdMax].
  void set_event_mode(const arch::EventMode& mode);
  const arch::EventMode& event_mode() const { return mode_; }
  // Sigma-delta state: the code each BitLinear input last sent, [BitLinear in execution order:
  // per layer i, f, g, o, gate, down; then lm_head][fan-in]; empty unless sigma-delta.
  const std::vector<std::vector<int8_t>>& sent_codes() const { return sent_; }
  // Replaces it; throws std::invalid_argument for another shape.
  void load_sent_codes(const std::vector<std::vector<int8_t>>& sent);

 private:
  IntModel model_;
  std::vector<std::vector<int32_t>> h_;
  arch::EventMode mode_;
  std::vector<std::vector<int8_t>> sent_;  // sigma-delta: per BitLinear, per input
  std::vector<int32_t> logits_q16_;
  IntStepTrace trace_;
  Activity activity_;
};

}  // namespace neurark::models
