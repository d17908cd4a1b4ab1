// nrk_round_shift: v / 2^SHIFT rounded to nearest, ties away from zero, for a constant SHIFT.
//
// Re-implements arch::round_shift (docs/numerics.md §2) for a constant shift s >= 1:
//   v >= 0: (v + 2^(s-1)) >> s;   v < 0: -((|v| + 2^(s-1)) >> s)
// which equals (v + 2^(s-1) - [v < 0]) >>> s computed in IN_W + 1 bits (no overflow, also for
// the most negative IN_W-bit value).
// Widths: val_i signed IN_W bits; val_o signed OUT_W = IN_W + 1 - SHIFT bits, which holds every
// result exactly. Purely combinational (0 cycles), no handshake.
module nrk_round_shift #(
  parameter bit [31:0] IN_W  = 64,
  parameter bit [31:0] SHIFT = 24,
  parameter bit [31:0] OUT_W = IN_W + 1 - SHIFT
) (
  input  logic signed [IN_W-1:0]  val_i,
  output logic signed [OUT_W-1:0] val_o
);
  localparam logic [IN_W:0] Half = (IN_W + 1)'(1) << (SHIFT - 1);

  logic [IN_W:0] biased;
  // Sign extension, + 2^(s-1), - 1 for negative values; modulo 2^(IN_W+1), which is exact.
  assign biased = {val_i[IN_W-1], val_i} + Half - (IN_W + 1)'(val_i[IN_W-1]);
  // An arithmetic right shift of the IN_W + 1 bit value keeps exactly its top OUT_W bits.
  assign val_o = $signed(biased[SHIFT +: OUT_W]);

  logic unused_low_bits;
  assign unused_low_bits = ^biased[SHIFT-1:0];
endmodule
