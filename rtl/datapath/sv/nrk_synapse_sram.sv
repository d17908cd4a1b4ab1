// SPDX-License-Identifier: Apache-2.0
// nrk_synapse_sram: behavioural model of a neurocore's synapse SRAM macro (one read port, one
// write port used to load the weight image).
//
// Holds bytes little-endian in words: byte b of the memory is bits [8 (b % (WordWidth / 8)) +: 8]
// of word b / (WordWidth / 8), so a packed2 tile image (arch/weight_memory.hpp) is stored byte for
// byte at its byte address.
// Widths: WordWidth = neurocore.sram_port_bits; Depth words (synapse_sram_bytes * 8 / WordWidth).
// Timing: synchronous write; synchronous read, 1 cycle (rdata_o registered when re_i, holds
// otherwise). A read of the address being written returns the old word.
// No reset (memory contents are loaded).
module nrk_synapse_sram #(
  parameter bit [31:0] WordWidth = 64,
  parameter bit [31:0] Depth     = 8192,
  parameter bit [31:0] AddrWidth = $clog2(Depth)
) (
  input  logic                 clk_i,
  // load port
  input  logic                 we_i,
  input  logic [AddrWidth-1:0] waddr_i,
  input  logic [WordWidth-1:0] wdata_i,
  // read port
  input  logic                 re_i,
  input  logic [AddrWidth-1:0] raddr_i,
  output logic [WordWidth-1:0] rdata_o
);
  logic [WordWidth-1:0] mem [Depth];

  always_ff @(posedge clk_i) begin
    if (we_i) mem[waddr_i] <= wdata_i;
    if (re_i) rdata_o <= mem[raddr_i];
  end
endmodule
