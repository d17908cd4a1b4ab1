// SPDX-License-Identifier: Apache-2.0
// nrk_sigmoid_lut: the sigmoid table L[0..1025] of arch::sigmoid_lut() (docs/numerics.md §6,
// §7 "sigmoid LUT"), stored as four single-ported banks so that one read returns the three
// consecutive entries L[seg], L[seg + 1], L[seg + 2] that the quadratic interpolation of
// sigmoid_q24 needs.
//
// Contents are not built into the RTL: they are loaded through the write port (the chip image
// carries them as `lut.sigmoid_q32`, docs/image-format.md); the harnesses load
// arch::sigmoid_lut(). Bank b holds B_b[j] = L[4j + b]: banks 0 and 1 j = 0..256 (257 entries),
// banks 2 and 3 j = 0..255 (256 entries); 1026 in all.
// A read of segment seg reads every bank once, bank b at j = (seg >> 2) + [b < seg mod 4] (the
// entry of {seg .. seg + 3} in that bank); the fourth entry, seg + 3, is not used. Banks 2 and 3
// have 8-bit addresses: the one address that would be 256 (bank 2 for seg = 1023, entry 1026) is
// that unused fourth entry, and wraps to 0.
// Widths: entries unsigned 32 bits (UQ0.32); waddr_i 0..1025 (11 bits); rd_seg_i 0..1023 (10 bits).
// Timing: synchronous write; synchronous read, 1 cycle: l0_o = L[seg], l1_o = L[seg + 1],
// l2_o = L[seg + 2] are registered when rd_en_i is high and hold otherwise.
module nrk_sigmoid_lut (
  input  logic                    clk_i,
  // load port
  input  logic                    we_i,
  input  nrk_pkg::sigmoid_idx_t   waddr_i,  // entry index 0..1025
  input  nrk_pkg::sigmoid_entry_t wdata_i,
  // read port
  input  logic                    rd_en_i,
  input  nrk_pkg::sigmoid_seg_t   rd_seg_i, // segment index 0..1023
  output nrk_pkg::sigmoid_entry_t l0_o,
  output nrk_pkg::sigmoid_entry_t l1_o,
  output nrk_pkg::sigmoid_entry_t l2_o
);
  nrk_pkg::sigmoid_entry_t bank0_mem [257];  // L[0], L[4], ..., L[1024]
  nrk_pkg::sigmoid_entry_t bank1_mem [257];  // L[1], L[5], ..., L[1025]
  nrk_pkg::sigmoid_entry_t bank2_mem [256];  // L[2], L[6], ..., L[1022]
  nrk_pkg::sigmoid_entry_t bank3_mem [256];  // L[3], L[7], ..., L[1023]

  logic [1:0] off;          // seg mod 4: the bank of L[seg]
  logic [8:0] base;         // seg >> 2, 0..255
  logic [8:0] addr0, addr1; // 0..256
  logic [7:0] addr2, addr3; // 0..255 where used
  assign off   = rd_seg_i[1:0];
  assign base  = {1'b0, rd_seg_i[9:2]};
  assign addr0 = base + 9'(off != 2'd0);
  assign addr1 = base + 9'(off > 2'd1);
  assign addr2 = base[7:0] + 8'(off > 2'd2);             // wraps only for the unused entry
  assign addr3 = base[7:0];                              // bank 3 is never above seg mod 4

  logic unused_base;
  assign unused_base = base[8];

  nrk_pkg::sigmoid_entry_t rd_q [4];  // rd_q[b]: the entry read from bank b
  logic [1:0]              off_q;

  always_ff @(posedge clk_i) begin
    if (we_i && waddr_i[1:0] == 2'd0 && waddr_i[10:2] <= 9'd256) bank0_mem[waddr_i[10:2]] <= wdata_i;
    if (we_i && waddr_i[1:0] == 2'd1 && waddr_i[10:2] <= 9'd256) bank1_mem[waddr_i[10:2]] <= wdata_i;
    if (we_i && waddr_i[1:0] == 2'd2 && !waddr_i[10]) bank2_mem[waddr_i[9:2]] <= wdata_i;
    if (we_i && waddr_i[1:0] == 2'd3 && !waddr_i[10]) bank3_mem[waddr_i[9:2]] <= wdata_i;
    if (rd_en_i) begin
      rd_q[0] <= bank0_mem[addr0];
      rd_q[1] <= bank1_mem[addr1];
      rd_q[2] <= bank2_mem[addr2];
      rd_q[3] <= bank3_mem[addr3];
      off_q   <= off;
    end
  end

  // L[seg + k] is in bank (seg + k) mod 4 (the sums in 2-bit wires: Icarus 11 would widen an
  // index expression and read out of range).
  logic [1:0] off1, off2;
  assign off1 = off_q + 2'd1;
  assign off2 = off_q + 2'd2;
  assign l0_o = rd_q[off_q];
  assign l1_o = rd_q[off1];
  assign l2_o = rd_q[off2];
endmodule
