// SPDX-License-Identifier: Apache-2.0
// nrk_norm_helper: the reductions and the block normalization that feed a BitLinear.
//
// Reduction channel (in_* -> res_*): over a stream of elements (v_k, x_k) closed by in_last_i,
//   ss     = sum_k v_k^2                 arch::sum_squares (docs/numerics.md §5 step 4)
//   absmax = max_k |x_k|                 arch::absmax (§3; m of a BitLinear when x = u = v * w,
//                                        max|p| of normalize_block when x = p)
//   shift  = max(0, bit_length(absmax) - 30)   arch::block_shift (§4)
// Normalize channel (nb_* ): v = round_shift(p, s) truncated to int32, the second pass of
//   arch::normalize_block (§4) with s = the block's shift (then |v| <= 2^30 fits).
// Widths: v_k int32, x_k int64 (|x| of INT64_MIN is 2^63: absmax is u64, as in arch).
//   ss: each term <= 2^62 (|INT32_MIN|^2), at most 2^MaxLenLog2 terms per stream, so
//   SumSqWidth = 63 + MaxLenLog2 bits hold every sum exactly (docs §8 bounds ss by K * 2^60 for
//   block mantissas |v| <= 2^30; the extra 2 bits make the block exact for any int32 input).
//   More than 2^MaxLenLog2 elements in one stream set res_ovf_o (ss may then have wrapped).
//   MaxLenLog2 = 16 covers every fan-in a 16-bit event channel can address (MMfreeLM-2.7B
//   down_proj: 6912).
// Timing: reductions: 1 element per cycle, result valid 2 cycles after the last element is
//   accepted. Normalize: 1 element per cycle, latency 1.
// Handshake: valid/ready on every channel; a new stream's last element waits while the
//   previous result has not been taken.
module nrk_norm_helper #(
  parameter bit [31:0] MaxLenLog2 = 16,
  // derived, not to be overridden
  parameter bit [31:0] SumSqWidth = 63 + MaxLenLog2
) (
  input  logic                  clk_i,
  input  logic                  rst_ni,
  // reduction input stream
  input  logic                  in_valid_i,
  output logic                  in_ready_o,
  input  logic                  in_last_i,
  input  logic signed [31:0]    in_v_i,       // squared and summed
  input  logic signed [63:0]    in_x_i,       // |x| maximized
  // reduction result
  output logic                  res_valid_o,
  input  logic                  res_ready_i,
  output logic [63:0]           res_absmax_o,
  output logic [SumSqWidth-1:0] res_ss_o,
  output logic [5:0]            res_shift_o,  // block_shift(absmax), 0..34
  output logic                  res_ovf_o,    // more than 2^MaxLenLog2 elements: ss not exact
  // normalize channel
  input  logic                  nb_in_valid_i,
  output logic                  nb_in_ready_o,
  input  logic signed [63:0]    nb_p_i,
  input  logic [5:0]            nb_shift_i,
  output logic                  nb_out_valid_o,
  input  logic                  nb_out_ready_i,
  output logic signed [31:0]    nb_v_o
);
  // ---- Stage A: square and magnitude --------------------------------------------------------
  logic        a_valid_q, a_last_q;
  logic [63:0] a_sq_q, a_mag_q;
  logic        b_take, a_ready;

  logic [31:0] v_mag;
  assign v_mag = nrk_pkg::mag32(in_v_i);

  // The last element of a stream needs the result register free (or being read).
  assign b_take     = a_valid_q && (!a_last_q || !res_valid_o || res_ready_i);
  assign a_ready    = !a_valid_q || b_take;
  assign in_ready_o = a_ready;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      a_valid_q <= 1'b0;
      a_last_q  <= 1'b0;
      a_sq_q    <= '0;
      a_mag_q   <= '0;
    end else if (a_ready) begin
      a_valid_q <= in_valid_i;
      if (in_valid_i) begin
        a_last_q <= in_last_i;
        a_sq_q   <= 64'(v_mag) * 64'(v_mag);
        a_mag_q  <= nrk_pkg::mag64(in_x_i);
      end
    end
  end

  // ---- Stage B: accumulate; the result register ------------------------------------------
  logic [SumSqWidth-1:0] ss_q, ss_next;
  logic [63:0]           max_q, max_next;
  logic [MaxLenLog2:0]   cnt_q;              // elements so far, saturates at 2^MaxLenLog2
  logic                  ovf_q, ovf_next;
  localparam logic [MaxLenLog2:0] CntFull = (MaxLenLog2 + 1)'(1) << MaxLenLog2;

  assign ss_next  = ss_q + SumSqWidth'(a_sq_q);
  assign max_next = (a_mag_q > max_q) ? a_mag_q : max_q;
  assign ovf_next = ovf_q || (cnt_q == CntFull);

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      ss_q         <= '0;
      max_q        <= '0;
      cnt_q        <= '0;
      ovf_q        <= 1'b0;
      res_valid_o  <= 1'b0;
      res_absmax_o <= '0;
      res_ss_o     <= '0;
      res_ovf_o    <= 1'b0;
    end else begin
      if (res_valid_o && res_ready_i) res_valid_o <= 1'b0;
      if (b_take) begin
        if (a_last_q) begin
          ss_q         <= '0;
          max_q        <= '0;
          cnt_q        <= '0;
          ovf_q        <= 1'b0;
          res_valid_o  <= 1'b1;
          res_absmax_o <= max_next;
          res_ss_o     <= ss_next;
          res_ovf_o    <= ovf_next;
        end else begin
          ss_q  <= ss_next;
          max_q <= max_next;
          cnt_q <= (cnt_q == CntFull) ? cnt_q : cnt_q + (MaxLenLog2 + 1)'(1);
          ovf_q <= ovf_next;
        end
      end
    end
  end

  // block_shift(absmax) = max(0, bit_length(absmax) - 30)
  logic [6:0] bitlen;
  always_comb begin
    bitlen = 7'd0;
    for (int unsigned b = 0; b < 64; b++) begin
      if (res_absmax_o[b]) bitlen = 7'(b + 1);
    end
  end
  assign res_shift_o = (bitlen > 7'd30) ? 6'(bitlen - 7'd30) : 6'd0;

  // ---- Normalize channel: round_shift(p, s), s in [0, 63] ----------------------------------
  logic [64:0]        nb_half, nb_biased;
  logic signed [64:0] nb_shifted;
  logic               nb_take;
  assign nb_half    = (nb_shift_i == 6'd0) ? 65'd0 : (65'd1 << (nb_shift_i - 6'd1));
  // v + 2^(s-1) - [v < 0 and s > 0], then >>> s: ties away from zero (see nrk_round_shift)
  assign nb_biased  = {nb_p_i[63], nb_p_i} + nb_half
                      - 65'(nb_p_i[63] && (nb_shift_i != 6'd0));
  assign nb_shifted = $signed(nb_biased) >>> nb_shift_i;
  assign nb_take       = nb_in_valid_i && nb_in_ready_o;
  assign nb_in_ready_o = !nb_out_valid_o || nb_out_ready_i;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      nb_out_valid_o <= 1'b0;
      nb_v_o         <= '0;
    end else if (nb_in_ready_o) begin
      nb_out_valid_o <= nb_in_valid_i;
      if (nb_take) nb_v_o <= nb_shifted[31:0];
    end
  end

  // The caller guarantees |round_shift(p, s)| < 2^31 (s = the block's shift): top bits unused.
  logic unused_nb_high;
  assign unused_nb_high = ^nb_shifted[64:32];
endmodule
