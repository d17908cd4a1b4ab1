// SPDX-License-Identifier: Apache-2.0
// nrk_activation: sigma = sigmoid_q24(z) and silu = silu_q16(z) of one Q15.16 value.
//
// Re-implements arch::sigmoid_q24 and arch::silu_q16 (docs/numerics.md §6):
//   a = |z| (32 bits unsigned: z = INT32_MIN gives 2^31)
//   a >= 2^20: s+ = 2^24 - 1; else seg = a >> 10, frac = a & 1023,
//     D1 = L[seg+1] - L[seg], D2 = L[seg+2] - 2 L[seg+1] + L[seg] (table in UQ0.32),
//     N  = L[seg] 2^21 + frac (D1 2^11 + (frac - 1024) D2)   (= 2^21 x Newton's quadratic)
//     s+ = round_shift(N, 29)                                  (UQ0.32 x 2^21 -> UQ7.24)
//   sigma = s+ for z >= 0, 2^24 - s+ for z < 0 (UQ7.24 in an int32)
//   silu  = saturate_i32(round_shift(z * sigma, 24)) (Q15.16)
// Table: nrk_sigmoid_lut, loaded through lut_* (arch::sigmoid_lut(), the image's
// lut.sigmoid_q32); load it before the first transaction.
// Widths: z_i int32; table entries u32. The differences are kept at the widths the table
// arch::sigmoid_lut() needs (docs/numerics.md §8), an exception to this directory's "exact for any
// input" rule: the table is not an input but fixed data (a chip image carrying another table is
// refused at load), and the narrow multipliers are the point of the block. D1 in [8, 16776875]:
// signed 25 bits; D2 in [-100897, 1]: signed 18; frac - 1024 signed 11; (frac - 1024) D2
// signed 29; inner = D1 2^11 + (frac - 1024) D2 in [15360, 2^36): signed 37; frac * inner
// signed 48; N < 2^53 + 2^46: signed 55; s+ and sigma signed 27; z * sigma signed 64;
// sigma_o, silu_o int32. Multipliers: 11 x 18 and 11 x 37 bits (was 25 x 11), 32 x 27 (SiLU).
// Timing: 3-stage pipeline (table read | interpolation | SiLU product, saturation). Latency 3
// cycles, throughput 1 per cycle. The interpolation stage holds the two multipliers in series.
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

  // ---- Stage 0 -> 1: |z|, table segment, table read ------------------------------------
  localparam bit [31:0] StepLog2 = nrk_pkg::SigmoidLutStepLog2;  // frac: a's low 10 bits
  localparam bit [31:0] Range    = nrk_pkg::SigmoidRange;        // 2^20 (16.0)

  logic [31:0] z_mag;
  logic        sat;   // |z| >= 16
  assign z_mag = nrk_pkg::mag32(z_i);
  assign sat   = z_mag >= Range;

  nrk_pkg::sigmoid_entry_t lut_l0, lut_l1, lut_l2;
  nrk_sigmoid_lut u_lut (
    .clk_i    (clk_i),
    .we_i     (lut_we_i),
    .waddr_i  (lut_waddr_i),
    .wdata_i  (lut_wdata_i),
    .rd_en_i  (accept),
    .rd_seg_i (z_mag[19:10]),  // unused when sat
    .l0_o     (lut_l0),
    .l1_o     (lut_l1),
    .l2_o     (lut_l2)
  );

  nrk_pkg::act_t       z1_q;
  logic [StepLog2-1:0] frac1_q;
  logic                sat1_q;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      v1_q    <= 1'b0;
      z1_q    <= '0;
      frac1_q <= '0;
      sat1_q  <= 1'b0;
    end else if (s1_ready) begin
      v1_q <= in_valid_i;
      if (in_valid_i) begin
        z1_q    <= z_i;
        frac1_q <= z_mag[StepLog2-1:0];
        sat1_q  <= sat;
      end
    end
  end

  // ---- Stage 1 -> 2: quadratic interpolation ----------------------------------------------
  logic signed [24:0] d1;     // L[seg+1] - L[seg], computed modulo 2^25 (exact in range)
  logic signed [17:0] d2;     // L[seg+2] - 2 L[seg+1] + L[seg], modulo 2^18 (exact in range)
  logic signed [10:0] fm;     // frac - 1024, in [-1024, -1]
  logic signed [28:0] p2;     // (frac - 1024) * D2
  logic signed [36:0] inner;  // D1 2^11 + p2
  logic signed [47:0] p1;     // frac * inner
  logic signed [54:0] n;      // L[seg] 2^21 + p1
  logic signed [26:0] interp; // round_shift(n, 29)
  logic signed [26:0] pos;    // s+
  logic signed [26:0] sigma1;
  assign d1    = $signed(25'(lut_l1 - lut_l0));
  assign d2    = $signed(18'(lut_l2 - {lut_l1[30:0], 1'b0} + lut_l0));
  assign fm    = $signed({1'b1, frac1_q});  // frac - 1024 in 11-bit two's complement
  assign p2    = 29'(fm) * 29'(d2);
  assign inner = $signed({d1[24], d1, 11'b0}) + 37'(p2);
  assign p1    = $signed(48'({1'b0, frac1_q})) * 48'(inner);
  assign n     = $signed({2'b00, lut_l0, 21'b0}) + 55'(p1);

  localparam bit [31:0] NShift = 2 * StepLog2 + 1 + nrk_pkg::SigmoidLutFrac - nrk_pkg::GateFrac;
  nrk_round_shift #(.InWidth(55), .Shift(NShift)) u_rs_interp (.val_i(n), .val_o(interp));

  localparam logic signed [26:0] GateOne = 27'(nrk_pkg::GateOne);  // 2^24
  assign pos    = sat1_q ? (GateOne - 27'sd1) : interp;
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
