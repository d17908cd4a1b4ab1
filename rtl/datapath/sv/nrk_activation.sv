// SPDX-License-Identifier: Apache-2.0
// nrk_activation: sigma = sigmoid_q24(z) and silu = silu_q16(z) of one Q15.16 value.
//
// Re-implements arch::sigmoid_q24 and arch::silu_q16 (docs/numerics.md §6):
//   a = min(|z|, 2^20) (|z| in 32 bits unsigned: z = INT32_MIN gives 2^31)
//   a = 2^20: s+ = L[1024]; else idx = a >> 10, frac = a & 1023,
//             s+ = L[idx] + round_shift((L[idx+1] - L[idx]) * frac, 10)
//   sigma = s+ for z >= 0, 2^24 - s+ for z < 0 (UQ7.24 in an int32)
//   silu  = saturate_i32(round_shift(z * sigma, 24)) (Q15.16)
// a = 2^20 is handled as idx = 1024, frac = 0, which gives L[1024] with the same formula. The
// table difference is signed, so the block matches arch for any 24-bit table contents, not
// only for the (increasing) sigmoid table.
// Table: nrk_sigmoid_lut, loaded through lut_* (arch::sigmoid_lut(), the image's
// lut.sigmoid_q24); load it before the first transaction.
// Widths: z_i int32; table entries u24; L[i+1] - L[i] signed 25 bits; (diff * frac) signed 36;
// s+ and sigma signed 27 (|sigma| < 2^26); z * sigma signed 64; sigma_o, silu_o int32.
// Timing: 3-stage pipeline (table read | interpolation | SiLU product, saturation). Latency 3
// cycles, throughput 1 per cycle.
// Handshake: valid/ready on input and output; stalls without loss when out_ready_i is low.
module nrk_activation (
  input  logic               clk_i,
  input  logic               rst_ni,
  // sigmoid table load port
  input  logic                    lut_we_i,
  input  nrk_pkg::sigmoid_idx_t   lut_waddr_i,
  input  nrk_pkg::sigmoid_entry_t lut_wdata_i,
  // input transaction
  input  logic                    in_valid_i,
  output logic                    in_ready_o,
  input  nrk_pkg::act_t           z_i,
  // output transaction
  output logic                    out_valid_o,
  input  logic                    out_ready_i,
  output nrk_pkg::gate_t          sigma_o,
  output nrk_pkg::act_t           silu_o
);
  logic v1_q, v2_q, v3_q;
  logic s1_ready, s2_ready, s3_ready, accept;
  assign s3_ready    = !v3_q || out_ready_i;
  assign s2_ready    = !v2_q || s3_ready;
  assign s1_ready    = !v1_q || s2_ready;
  assign in_ready_o  = s1_ready;
  assign accept      = in_valid_i && s1_ready;
  assign out_valid_o = v3_q;

  // ---- Stage 0 -> 1: |z|, table index, table read ---------------------------------------
  localparam bit [31:0] StepLog2 = nrk_pkg::SigmoidLutStepLog2;      // frac: a's low 10 bits
  localparam bit [31:0] AWidth   = $clog2(nrk_pkg::SigmoidRange + 1);  // 21: index and frac
  localparam bit [31:0] Range    = nrk_pkg::SigmoidRange;              // 2^20 (16.0)

  logic [31:0]       z_mag;
  logic [AWidth-1:0] a;        // min(|z|, 2^20)
  assign z_mag = nrk_pkg::mag32(z_i);
  assign a     = (z_mag >= Range) ? AWidth'(Range) : z_mag[AWidth-1:0];

  nrk_pkg::sigmoid_entry_t lut_lo, lut_hi;
  nrk_sigmoid_lut u_lut (
    .clk_i    (clk_i),
    .we_i     (lut_we_i),
    .waddr_i  (lut_waddr_i),
    .wdata_i  (lut_wdata_i),
    .rd_en_i  (accept),
    .rd_idx_i (a[AWidth-1:StepLog2]),
    .lo_o     (lut_lo),
    .hi_o     (lut_hi)
  );

  nrk_pkg::act_t       z1_q;
  logic [StepLog2-1:0] frac1_q;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      v1_q    <= 1'b0;
      z1_q    <= '0;
      frac1_q <= '0;
    end else if (s1_ready) begin
      v1_q <= in_valid_i;
      if (in_valid_i) begin
        z1_q    <= z_i;
        frac1_q <= a[StepLog2-1:0];
      end
    end
  end

  // ---- Stage 1 -> 2: interpolation ------------------------------------------------------
  logic signed [24:0] diff;     // L[idx+1] - L[idx]
  logic signed [35:0] dprod;    // diff * frac
  logic signed [26:0] interp;   // round_shift(dprod, 10)
  logic signed [26:0] pos;      // s+
  logic signed [26:0] sigma1;
  assign diff  = $signed({1'b0, lut_hi}) - $signed({1'b0, lut_lo});
  assign dprod = 36'(diff) * $signed(36'({1'b0, frac1_q}));

  nrk_round_shift #(.InWidth(36), .Shift(StepLog2)) u_rs_interp (.val_i(dprod), .val_o(interp));

  localparam logic signed [26:0] GateOne = 27'(nrk_pkg::GateOne);  // 2^24
  assign pos    = $signed(27'({3'b000, lut_lo})) + interp;
  assign sigma1 = z1_q[31] ? (GateOne - pos) : pos;

  nrk_pkg::act_t      z2_q;
  logic signed [26:0] sigma2_q;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      v2_q     <= 1'b0;
      z2_q     <= '0;
      sigma2_q <= '0;
    end else if (s2_ready) begin
      v2_q <= v1_q;
      if (v1_q) begin
        z2_q     <= z1_q;
        sigma2_q <= sigma1;
      end
    end
  end

  // ---- Stage 2 -> 3: SiLU = saturate_i32(round_shift(z * sigma, 24)) -----------------------
  logic signed [63:0] sprod;
  logic signed [40:0] silu_wide;
  nrk_pkg::act_t      silu2;
  assign sprod = 64'(z2_q) * 64'(sigma2_q);

  nrk_round_shift #(.InWidth(64), .Shift(nrk_pkg::GateFrac)) u_rs_silu (
    .val_i(sprod),
    .val_o(silu_wide)
  );
  assign silu2 = nrk_pkg::sat_i32(64'(silu_wide));

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      v3_q    <= 1'b0;
      sigma_o <= '0;
      silu_o  <= '0;
    end else if (s3_ready) begin
      v3_q <= v2_q;
      if (v2_q) begin
        sigma_o <= 32'(sigma2_q);
        silu_o  <= silu2;
      end
    end
  end
endmodule
