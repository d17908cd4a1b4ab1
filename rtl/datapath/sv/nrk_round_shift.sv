// SPDX-License-Identifier: Apache-2.0
// nrk_round_shift: v / 2^Shift rounded to nearest, ties away from zero, for a constant Shift.
//
// Re-implements arch::round_shift (docs/numerics.md §2) for a constant shift s >= 1:
//   v >= 0: (v + 2^(s-1)) >> s;   v < 0: -((|v| + 2^(s-1)) >> s)
// which equals (v + 2^(s-1) - [v < 0]) >>> s computed in InWidth + 1 bits (no overflow, also for
// the most negative InWidth-bit value).
// Widths: val_i signed InWidth bits; val_o signed OutWidth = InWidth + 1 - Shift bits, which
// holds every result exactly. Purely combinational (0 cycles), no handshake.
module nrk_round_shift #(
  parameter bit [31:0] InWidth  = 64,
  parameter bit [31:0] Shift    = 24,
  // derived, not to be overridden
  parameter bit [31:0] OutWidth = InWidth + 1 - Shift
) (
  input  logic signed [InWidth-1:0]  val_i,
  output logic signed [OutWidth-1:0] val_o
);
  localparam logic [InWidth:0] Half = (InWidth + 1)'(1) << (Shift - 1);

  logic [InWidth:0] biased;
  // Sign extension, + 2^(s-1), - 1 for negative values; modulo 2^(InWidth+1), which is exact.
  assign biased = {val_i[InWidth-1], val_i} + Half - (InWidth + 1)'(val_i[InWidth-1]);
  // An arithmetic right shift of the InWidth + 1 bit value keeps exactly its top OutWidth bits.
  assign val_o = $signed(biased[Shift +: OutWidth]);

  logic unused_low_bits;
  assign unused_low_bits = ^biased[Shift-1:0];
endmodule
