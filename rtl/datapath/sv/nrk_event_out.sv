// SPDX-License-Identifier: Apache-2.0
// nrk_event_out: the event output generator of a neurocore: activation codes of a token's
// BitLinear input, non-zero detection, event packets.
//
// Re-implements arch::quantize_absmax (docs/numerics.md §3) and arch::pack_event
// (arch/noc.hpp):
//   q = 0 if m = 0, else sign(u) * min(floor((2 * 127 * |u| + m) / (2m)), 127)
//   a non-zero q leaves as packet {flow, channel, q} (nrk_pkg's event fields, LSB first: q in
//   [7:0], channel in [23:8], flow in [23 + FlowWidth : 24]); a zero q is consumed without a
//   packet.
// The division is exact for every int64 u and u64 m (not only |u| <= m < 2^62): numerator
// N = 254 |u| + m < 2^72, divisor D = 2m < 2^65; N >= 128 D gives the clamped 127, otherwise
// 7 restoring compare-subtract steps give the 7-bit quotient.
// m_i and flow_i are per-token configuration, sampled with each element (they may change
// between tokens while earlier elements are still in the pipeline).
// Widths: u_i int64, m_i u64, chan_i 16 bits (the BitLinear input index k), flow_i FlowWidth
//   bits, pkt_o 24 + FlowWidth bits.
// Timing: 2-stage pipeline (|u|, N, D | division, packet register). Latency 2 cycles, throughput
//   1 element per cycle.
// Handshake: valid/ready on input (one element of the u stream) and output (one packet).
module nrk_event_out #(
  parameter bit [31:0] FlowWidth   = 12,
  // derived, not to be overridden
  parameter bit [31:0] PacketWidth = nrk_pkg::EventFlowLsb + FlowWidth
) (
  input  logic                               clk_i,
  input  logic                               rst_ni,
  // per-token configuration
  input  logic [63:0]                        m_i,     // absmax of the token's u
  input  logic [FlowWidth-1:0]               flow_i,  // flow of this BitLinear's input events
  // u stream
  input  logic                               in_valid_i,
  output logic                               in_ready_o,
  input  logic signed [63:0]                 u_i,
  input  logic [nrk_pkg::EventChanWidth-1:0] chan_i,
  // event packets
  output logic                               pkt_valid_o,
  input  logic                               pkt_ready_i,
  output logic [PacketWidth-1:0]             pkt_o
);
  // ---- Stage A: magnitude, numerator, divisor ---------------------------------------------
  logic                               a_valid_q, a_neg_q, a_mzero_q;
  logic [71:0]                        a_num_q;     // 254 |u| + m
  logic [71:0]                        a_den_q;     // 2 m
  logic [nrk_pkg::EventChanWidth-1:0] a_chan_q;
  logic [FlowWidth-1:0]               a_flow_q;

  logic [63:0] u_mag;
  assign u_mag = nrk_pkg::mag64(u_i);

  // ---- Stage B: division, packet ----------------------------------------------------------
  logic                                   a_take, a_ready, out_free;
  logic [6:0]                             qmag;
  logic signed [nrk_pkg::EventQWidth-1:0] code;  // the int8 activation code

  always_comb begin
    logic [71:0] rem;
    qmag = 7'd0;
    rem  = a_num_q;
    if (a_num_q >= (a_den_q << 7)) begin
      qmag = 7'd127;                      // floor(N / D) >= 128: clamp
    end else begin
      for (int b = 6; b >= 0; b--) begin
        if (rem >= (a_den_q << b)) begin
          rem     = rem - (a_den_q << b);
          qmag[b] = 1'b1;
        end
      end
    end
    if (a_mzero_q) qmag = 7'd0;
  end
  assign code = a_neg_q ? (8'd0 - {1'b0, qmag}) : {1'b0, qmag};

  // A zero code leaves stage A without needing the output register.
  assign out_free   = !pkt_valid_o || pkt_ready_i;
  assign a_take     = a_valid_q && ((code == 8'd0) || out_free);
  assign a_ready    = !a_valid_q || a_take;
  assign in_ready_o = a_ready;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      a_valid_q <= 1'b0;
      a_neg_q   <= 1'b0;
      a_mzero_q <= 1'b0;
      a_num_q   <= '0;
      a_den_q   <= '0;
      a_chan_q  <= '0;
      a_flow_q  <= '0;
    end else if (a_ready) begin
      a_valid_q <= in_valid_i;
      if (in_valid_i) begin
        a_neg_q   <= u_i[63];
        a_mzero_q <= (m_i == 64'd0);
        a_num_q   <= 72'(u_mag) * 72'd254 + 72'(m_i);
        a_den_q   <= {7'd0, m_i, 1'b0};
        a_chan_q  <= chan_i;
        a_flow_q  <= flow_i;
      end
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      pkt_valid_o <= 1'b0;
      pkt_o       <= '0;
    end else begin
      if (pkt_valid_o && pkt_ready_i) pkt_valid_o <= 1'b0;
      if (a_take && code != 8'd0) begin
        pkt_valid_o <= 1'b1;
        pkt_o       <= {a_flow_q, a_chan_q, code};
      end
    end
  end
endmodule
