// SPDX-License-Identifier: Apache-2.0
// nrk_sigmoid_lut: the sigmoid table L[0..1024] of arch::sigmoid_lut() (docs/numerics.md §6,
// §7 "sigmoid LUT"), stored as two single-ported banks so that one read returns the pair
// L[idx], L[idx + 1] that the linear interpolation of sigmoid_q24 needs.
//
// Contents are not built into the RTL: they are loaded through the write port (the chip image
// carries them as `lut.sigmoid_q24`, docs/image-format.md); the harnesses load
// arch::sigmoid_lut(). Even bank: E[j] = L[2j], j = 0..512; odd bank: O[j] = L[2j+1], j = 0..511.
// Widths: entries unsigned 24 bits (every L[i] < 2^24); rd_idx_i 0..1024 (11 bits).
// Timing: synchronous write; synchronous read, 1 cycle: lo_o = L[idx], hi_o = L[idx+1] are
// registered when rd_en_i is high and hold otherwise. For idx = 1024, hi_o is unspecified (the
// caller interpolates with frac = 0 there).
module nrk_sigmoid_lut (
  input  logic                    clk_i,
  // load port
  input  logic                    we_i,
  input  nrk_pkg::sigmoid_idx_t   waddr_i,  // entry index 0..1024
  input  nrk_pkg::sigmoid_entry_t wdata_i,
  // read port
  input  logic                    rd_en_i,
  input  nrk_pkg::sigmoid_idx_t   rd_idx_i, // segment index 0..1024
  output nrk_pkg::sigmoid_entry_t lo_o,
  output nrk_pkg::sigmoid_entry_t hi_o
);
  nrk_pkg::sigmoid_entry_t even_mem [(nrk_pkg::SigmoidLutEntries + 1) / 2];  // 513
  nrk_pkg::sigmoid_entry_t odd_mem  [nrk_pkg::SigmoidLutEntries / 2];        // 512

  logic [9:0] j;            // idx >> 1, 0..512
  logic [9:0] even_addr;    // j + idx[0]
  logic [8:0] odd_addr;     // j (512 only for idx = 1024, where hi is not used: wraps to 0)
  logic       odd_q;

  assign j         = rd_idx_i[10:1];
  assign even_addr = j + 10'(rd_idx_i[0]);
  assign odd_addr  = j[8:0];

  nrk_pkg::sigmoid_entry_t even_q, odd_rd_q;

  always_ff @(posedge clk_i) begin
    if (we_i && !waddr_i[0] && waddr_i[10:1] <= 10'd512) even_mem[waddr_i[10:1]] <= wdata_i;
    if (we_i && waddr_i[0] && !waddr_i[10]) odd_mem[waddr_i[9:1]] <= wdata_i;
    if (rd_en_i) begin
      even_q   <= even_mem[even_addr];
      odd_rd_q <= odd_mem[odd_addr];
      odd_q    <= rd_idx_i[0];
    end
  end

  // idx even: L[2j] = E[j], L[2j+1] = O[j]; idx odd: L[2j+1] = O[j], L[2j+2] = E[j+1].
  assign lo_o = odd_q ? odd_rd_q : even_q;
  assign hi_o = odd_q ? even_q : odd_rd_q;
endmodule
