// SPDX-License-Identifier: Apache-2.0
// nrk_noc_pipe: a fixed-latency valid/data delay line of the network-on-chip.
//
// Function: valid_o/data_o are valid_i/data_i delayed by NumStages clock cycles (NumStages = 0:
//   a wire). It never stalls: every stage moves on every cycle. The mesh (nrk_mesh) uses it for
//   the wires between routers (NumStages = noc.link_latency_cycles, arch/chip.hpp), once for
//   flits and once, in the opposite direction, for credits; the router (nrk_router) uses it for
//   its output stage (NumStages = Latency - 1).
// Ports: clk_i, rst_ni (active-low, asynchronous); valid_i/data_i in; valid_o/data_o out.
// Flow control: none here. Credit-based flow control around it (nrk_router) already guarantees
//   that the receiver has room for every flit that enters, so a stage can never be blocked.
// Reset: the valid bits are reset; data registers are not (they load only with a valid flit).
module nrk_noc_pipe #(
  parameter bit [31:0] DataWidth = 64,
  parameter bit [31:0] NumStages = 1
) (
  input  logic                 clk_i,
  input  logic                 rst_ni,
  input  logic                 valid_i,
  input  logic [DataWidth-1:0] data_i,
  output logic                 valid_o,
  output logic [DataWidth-1:0] data_o
);

  if (NumStages == 0) begin : gen_wire
    logic unused_clk_rst;  // a wire needs no clock (lowRISC unused-signal idiom)
    assign unused_clk_rst = clk_i ^ rst_ni;
    assign valid_o = valid_i;
    assign data_o  = data_i;
  end else begin : gen_stages
    logic [NumStages-1:0]           valid_q;
    logic [NumStages*DataWidth-1:0] data_q;            // stage s: [s*DataWidth +: DataWidth]

    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        valid_q <= '0;
      end else begin
        valid_q[0] <= valid_i;
        for (int unsigned s = 1; s < NumStages; s++) begin
          valid_q[s] <= valid_q[s-1];
        end
      end
    end

    // Data stages load only when a valid flit enters them (no reset: never read while invalid).
    always_ff @(posedge clk_i) begin
      if (valid_i) begin
        data_q[0 +: DataWidth] <= data_i;
      end
      for (int unsigned s = 1; s < NumStages; s++) begin
        if (valid_q[s-1]) begin
          data_q[s*DataWidth +: DataWidth] <= data_q[(s-1)*DataWidth +: DataWidth];
        end
      end
    end

    assign valid_o = valid_q[NumStages-1];
    assign data_o  = data_q[(NumStages-1)*DataWidth +: DataWidth];
  end

endmodule
