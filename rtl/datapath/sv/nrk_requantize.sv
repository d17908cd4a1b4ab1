// SPDX-License-Identifier: Apache-2.0
// nrk_requantize: y = requantize(acc, S), the one requantization rule of the datapath.
//
// Re-implements arch::requantize (docs/numerics.md §5, "requantize(acc, S)"):
//   0 if acc = 0 or S.mant = 0; P = |acc| * S.mant (< 2^63); sh = -S.exp;
//   sh > 0: r = (P + 2^(sh-1)) >> sh (r = 0 for sh >= 64);  sh <= 0: r = P * 2^-sh (unbounded);
//   y = min(r, 2^31 - 1) for acc > 0, -min(r, 2^31) for acc < 0.
// Every S.mant in [0, 2^32) and every S.exp in int32 is handled exactly (the spec's normalized
// mantissa [2^31, 2^32) is not assumed), so the block agrees with arch on all inputs.
// Widths: acc_i int32, scale_mant_i u32, scale_exp_i int32, y_o int32; P is 64 bits unsigned;
// for sh <= 0 the left shift is done on min(P, 2^31) with the shift capped at 32 (enough to
// decide min(r, 2^31) exactly, since a left shift is monotonic).
// Timing: 2-stage pipeline (stage 1: |acc| * mant and shift decode; stage 2: rounding shift and
// saturation into the output register). Latency 2 cycles, throughput 1 per cycle.
// Handshake: valid/ready on input (in_*) and output (out_*); data moves when valid && ready;
// the pipeline stalls without loss when out_ready_i is low.
module nrk_requantize (
  input  logic               clk_i,
  input  logic               rst_ni,
  // input transaction
  input  logic               in_valid_i,
  output logic               in_ready_o,
  input  logic signed [31:0] acc_i,
  input  logic        [31:0] scale_mant_i,
  input  logic signed [31:0] scale_exp_i,
  // output transaction
  output logic               out_valid_o,
  input  logic               out_ready_i,
  output logic signed [31:0] y_o
);
  // ---- Handshake: a two-register pipeline ------------------------------------------------
  logic s1_valid_q, s2_valid_q;
  logic s1_ready, s2_ready;
  assign s2_ready   = !s2_valid_q || out_ready_i;
  assign s1_ready   = !s1_valid_q || s2_ready;
  assign in_ready_o = s1_ready;
  assign out_valid_o = s2_valid_q;

  // ---- Stage 1: magnitude product and shift decode ----------------------------------------
  logic        [31:0] acc_mag;   // |acc|, 2^31 for INT32_MIN
  logic        [63:0] prod;      // |acc| * mant < 2^63
  logic signed [32:0] sh;        // -exp, exact in 33 bits
  logic               is_zero;
  logic               mode_right_d, mode_none_d;
  logic        [5:0]  rshift_d;  // right shift 1..63
  logic        [5:0]  lshift_d;  // left shift 0..32 (capped)

  assign acc_mag = nrk_pkg::mag32(acc_i);
  assign prod    = 64'(acc_mag) * 64'(scale_mant_i);
  assign sh      = 33'sd0 - 33'(scale_exp_i);
  assign is_zero = (acc_i == 32'sd0) || (scale_mant_i == 32'd0);

  always_comb begin
    mode_right_d = 1'b0;
    mode_none_d  = 1'b0;  // result 0
    rshift_d     = 6'd0;
    lshift_d     = 6'd0;
    if (is_zero || sh >= 33'sd64) begin
      mode_none_d = 1'b1;
    end else if (sh > 33'sd0) begin
      mode_right_d = 1'b1;
      rshift_d     = sh[5:0];
    end else if (sh <= -33'sd32) begin
      lshift_d = 6'd32;
    end else begin
      lshift_d = 6'(33'sd0 - sh);
    end
  end

  logic        [63:0] p_q;
  logic               neg_q, right_q, none_q;
  logic        [5:0]  rshift_q, lshift_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      s1_valid_q <= 1'b0;
      p_q        <= '0;
      neg_q      <= 1'b0;
      right_q    <= 1'b0;
      none_q     <= 1'b0;
      rshift_q   <= '0;
      lshift_q   <= '0;
    end else if (s1_ready) begin
      s1_valid_q <= in_valid_i;
      if (in_valid_i) begin
        p_q      <= prod;
        neg_q    <= acc_i[31];
        right_q  <= mode_right_d;
        none_q   <= mode_none_d;
        rshift_q <= rshift_d;
        lshift_q <= lshift_d;
      end
    end
  end

  // ---- Stage 2: rounding shift, saturation ------------------------------------------------
  logic [63:0] half;       // 2^(sh-1)
  logic [63:0] r_right;    // (P + 2^(sh-1)) >> sh; P + 2^62 < 2^64, no carry out
  logic [31:0] p_capped;   // min(P, 2^31)
  logic [63:0] r_left;     // min(P, 2^31) << min(-sh, 32)
  logic [63:0] r;
  logic signed [31:0] y_d;

  assign half     = 64'd1 << (rshift_q - 6'd1);
  assign r_right  = (p_q + half) >> rshift_q;
  assign p_capped = nrk_pkg::min_2p31(p_q);
  assign r_left   = 64'(p_capped) << lshift_q;
  assign r        = right_q ? r_right : r_left;
  // -min(r, 2^31) for acc < 0, min(r, 2^31 - 1) for acc > 0
  assign y_d      = none_q ? 32'sd0 : nrk_pkg::sat_i32_sign_mag(neg_q, r);

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      s2_valid_q <= 1'b0;
      y_o        <= '0;
    end else if (s2_ready) begin
      s2_valid_q <= s1_valid_q;
      if (s1_valid_q) y_o <= y_d;
    end
  end
endmodule
