// SPDX-License-Identifier: Apache-2.0
// nrk_router: one router of the 2-D mesh network-on-chip: 5 ports, table-driven multicast,
// credit-based flow control, round-robin output arbitration.
//
// Follows arch/include/neurark/arch/noc.hpp (THE contract) and docs/chip-model.md:
//   * Ports: index = bit position of arch::PortBit: 0 east (+x), 1 west (-x), 2 south (+y),
//     3 north (-y), 4 local (this neurocore, or the host at its attach point).
//   * Flits: FlitWidth = noc.link_width_bits. Only single-flit packets are supported: the event
//     packet of arch::pack_event (q [7:0], channel [23:8], flow [FlowWidth+23:24]). The flow of a
//     flit is, as in arch::unpack_event, EVERYTHING above bit 23: a flit with a non-zero bit
//     above bit FlowWidth+23, or with flow >= NumFlows, has no routing entry. Multi-flit value
//     packets (arch::value_packet_flits) are NOT supported: noc.hpp does not define the layout of
//     their header flit (where the flit count is), and a link carries no head/tail bit.
//   * Routing table: NumFlows entries, flow id -> 5-bit port mask (image `routing[].entries`,
//     compiler/src/pass_emit.cpp), written through cfg_we_i/cfg_flow_i/cfg_mask_i (writes with
//     cfg_flow_i >= NumFlows are ignored); an entry not written since reset reads as the empty mask
//     (a valid bit per entry is reset, the masks are a plain memory). Write it while the router is
//     idle: a flit at the head of a buffer uses the entry as it is in each cycle.
//   * Multicast fork: a flit goes out on EVERY port of its mask, U-turns included (local in ->
//     local out is how a flow whose destination is its own source is delivered). Each input keeps
//     per-output progress bits (served_q): the outputs of a fork may take the flit in different
//     cycles, each as soon as it wins arbitration and holds a credit; the flit leaves its input
//     buffer (and its credit goes back upstream) in the cycle its last output takes it. Flits
//     behind it wait, so the order of flits from one input to one output is kept.
//   * A flit with an empty mask (no entry) is dropped when it reaches the head of its buffer and
//     flagged on err_unrouted_o; its credit is returned.
//   * Arbitration: per output, round-robin among the inputs that request it (the last winner
//     gets the lowest priority); one flit per cycle per output; an input can feed several
//     outputs in the same cycle (the multicast fork) and several inputs several outputs.
//   * Flow control (noc.flow_control = credit): each input port has a FIFO of BufferDepth
//     (= noc.buffer_depth_flits) flits and pulses in_credit_o[p] for one cycle when a flit
//     leaves it. Each output holds a credit counter, reset to BufferDepth (the downstream input
//     buffer), decremented when it sends a flit and incremented on out_credit_i[p]; it sends only
//     while the counter is non-zero. Incoming credits are used from the next cycle on (no
//     combinational path from out_credit_i to anything), so a link's credit round trip is
//     Latency + 2 * link latency + 1 cycles and a single stream on one link moves
//     min(1, BufferDepth / round trip) flits per cycle.
//   * Latency (= noc.router_latency_cycles): a flit presented on in_valid_i/in_flit_i in cycle t
//     is on out_valid_o/out_flit_o in cycle t + Latency when it meets no contention:
//       cycle t:      input  -> buffer write;
//       cycle t+1:    buffer head -> table lookup, arbitration, crossbar (and, if Latency = 1,
//                     straight out of the router);
//       cycles t+2 .. t+Latency: Latency - 1 output pipeline registers (nrk_noc_pipe).
//     With links of noc.link_latency_cycles registers (nrk_mesh), a hop costs
//     router_latency_cycles + link_latency_cycles, as in the SystemC model (hop_cycles()).
//   * Errors (one-cycle pulses, per port): err_overflow_o: in_valid_i into a full buffer (an
//     upstream credit violation; the flit is dropped); err_unrouted_o: a flit without routing
//     entry was dropped; err_credit_o: out_credit_i while the counter already holds
//     BufferDepth credits (a downstream credit violation; ignored).
// Ports: clk_i, rst_ni (active-low asynchronous reset); cfg_*: routing-table write port;
//   in_valid_i/in_flit_i/in_credit_o: the 5 input links; out_valid_o/out_flit_o/out_credit_i:
//   the 5 output links; err_*: protocol-error pulses.
module nrk_router #(
  parameter bit [31:0] FlitWidth   = 64,  // noc.link_width_bits; >= FlowWidth + 24
  parameter bit [31:0] FlowWidth   = 8,   // bits of the flow field (arch::flow_id_bits)
  parameter bit [31:0] NumFlows    = 32,  // routing-table entries; <= 2^FlowWidth
  parameter bit [31:0] BufferDepth = 4,   // noc.buffer_depth_flits, >= 1
  parameter bit [31:0] Latency     = 2    // noc.router_latency_cycles, >= 1
) (
  input  logic                                   clk_i,
  input  logic                                   rst_ni,
  // Routing-table write port.
  input  logic                                   cfg_we_i,
  input  logic [FlowWidth-1:0]                   cfg_flow_i,
  input  logic [nrk_pkg::NumPorts-1:0]           cfg_mask_i,
  // Input links (from upstream routers / the local neurocore); port p: in_flit_i[p*FlitWidth +:
  // FlitWidth] (flat vectors: Yosys 0.23 has no multi-dimensional packed arrays).
  input  logic [nrk_pkg::NumPorts-1:0]           in_valid_i,
  input  logic [nrk_pkg::NumPorts*FlitWidth-1:0] in_flit_i,
  output logic [nrk_pkg::NumPorts-1:0]           in_credit_o,
  // Output links (to downstream routers / the local neurocore).
  output logic [nrk_pkg::NumPorts-1:0]           out_valid_o,
  output logic [nrk_pkg::NumPorts*FlitWidth-1:0] out_flit_o,
  input  logic [nrk_pkg::NumPorts-1:0]           out_credit_i,
  // Protocol errors (one-cycle pulses per port).
  output logic [nrk_pkg::NumPorts-1:0]           err_overflow_o,
  output logic [nrk_pkg::NumPorts-1:0]           err_unrouted_o,
  output logic [nrk_pkg::NumPorts-1:0]           err_credit_o
);

  localparam bit [31:0] NumPorts = nrk_pkg::NumPorts;
  localparam bit [31:0] PtrW     = (BufferDepth > 1) ? $clog2(BufferDepth) : 1;
  localparam bit [31:0] CntW     = $clog2(BufferDepth + 1);
  localparam bit [31:0] IdxW     = (NumFlows > 1) ? $clog2(NumFlows) : 1;
  localparam bit [31:0] FlowLsb  = nrk_pkg::EventFlowLsb;  // arch::pack_event: flow from bit 24

  // Two-dimensional [a][b] signals are flat vectors indexed [a*NumPorts + b].

  //////////////////////////
  // Routing-table memory //
  //////////////////////////

  // The masks are a plain memory (no reset: an SRAM or latch array in a real chip); a valid bit
  // per entry, reset to 0, makes unwritten entries read as the empty mask.
  logic [NumPorts-1:0] table_q [NumFlows];  // flow -> port mask
  logic [NumFlows-1:0] table_valid_q;       // entry written since reset
  logic                cfg_hit;

  assign cfg_hit = cfg_we_i && ({1'b0, cfg_flow_i} < (FlowWidth + 1)'(NumFlows));

  always_ff @(posedge clk_i) begin
    if (cfg_hit) begin
      table_q[cfg_flow_i[IdxW-1:0]] <= cfg_mask_i;
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      table_valid_q <= '0;
    end else if (cfg_hit) begin
      table_valid_q[cfg_flow_i[IdxW-1:0]] <= 1'b1;
    end
  end

  ////////////////////////
  // Input buffers      //
  ////////////////////////

  logic [NumPorts-1:0]           head_valid;  // buffer p is not empty
  logic [NumPorts*FlitWidth-1:0] head_flit;   // [p*FlitWidth +: FlitWidth]: the flit at its head
  logic [NumPorts-1:0]           pop;         // the head flit leaves in this cycle

  for (genvar p = 0; p < NumPorts; p++) begin : gen_in_buf
    logic [FlitWidth-1:0] mem_q [BufferDepth];
    logic [PtrW-1:0]      rd_ptr_q, wr_ptr_q;
    logic [CntW-1:0]      cnt_q;
    logic                 full, push;

    assign full = (cnt_q == CntW'(BufferDepth));
    // A flit arriving at a full buffer is an upstream credit violation: flagged, dropped.
    assign push = in_valid_i[p] && (!full || pop[p]);
    assign err_overflow_o[p] = in_valid_i[p] && full && !pop[p];

    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        rd_ptr_q <= '0;
        wr_ptr_q <= '0;
        cnt_q    <= '0;
      end else begin
        if (push) begin
          wr_ptr_q <= (wr_ptr_q == PtrW'(BufferDepth - 1)) ? '0 : wr_ptr_q + 1'b1;
        end
        if (pop[p]) begin
          rd_ptr_q <= (rd_ptr_q == PtrW'(BufferDepth - 1)) ? '0 : rd_ptr_q + 1'b1;
        end
        cnt_q <= cnt_q + CntW'(push) - CntW'(pop[p]);
      end
    end

    // Flit storage: no reset (a slot is read only after it was written).
    always_ff @(posedge clk_i) begin
      if (push) begin
        mem_q[wr_ptr_q] <= in_flit_i[p*FlitWidth +: FlitWidth];
      end
    end

    assign head_valid[p] = (cnt_q != '0);
    assign head_flit[p*FlitWidth +: FlitWidth] = mem_q[rd_ptr_q];
  end

  ////////////////////////
  // Route lookup       //
  ////////////////////////

  logic [NumPorts*NumPorts-1:0] remaining;  // [input][output]: outputs still to take the head flit
  logic [NumPorts*NumPorts-1:0] served_q;   // [input][output]: outputs that already took it

  for (genvar p = 0; p < NumPorts; p++) begin : gen_lookup
    logic [FlitWidth-1:0] flit;
    logic [FlowWidth-1:0] flow;
    logic                 high_zero;  // no bit set above the flow field
    logic                 hit;
    logic [NumPorts-1:0]  route;      // the head flit's port mask ('0: no entry)

    assign flit = head_flit[p*FlitWidth +: FlitWidth];
    assign flow = flit[FlowLsb +: FlowWidth];
    if (FlitWidth > FlowWidth + FlowLsb) begin : gen_high
      assign high_zero = ~|flit[FlitWidth-1:FlowWidth+FlowLsb];
    end else begin : gen_no_high
      assign high_zero = 1'b1;
    end
    // The q and channel fields do not steer the flit.
    logic unused_payload;
    assign unused_payload = ^flit[FlowLsb-1:0];
    assign hit = high_zero && ({1'b0, flow} < (FlowWidth + 1)'(NumFlows));
    assign route = (hit && table_valid_q[flow[IdxW-1:0]]) ? table_q[flow[IdxW-1:0]] : '0;
    assign remaining[p*NumPorts +: NumPorts] = route & ~served_q[p*NumPorts +: NumPorts];
    assign err_unrouted_o[p] = head_valid[p] && (route == '0);
  end

  ////////////////////////
  // Arbitration        //
  ////////////////////////

  logic [NumPorts*CntW-1:0]     credit_q;   // [output]: free slots in the downstream buffer
  logic [NumPorts*NumPorts-1:0] gnt;        // [output][input]: one-hot or zero per output

  for (genvar o = 0; o < NumPorts; o++) begin : gen_arb
    logic [NumPorts-1:0]  req;    // [input]
    logic [NumPorts-1:0]  grant;  // [input]
    logic [2:0]           rr_q;   // the input with the highest priority
    logic [2:0]           rr_d;
    logic [CntW-1:0]      credits;
    logic                 found;
    logic [3:0]           k_idx;
    logic [FlitWidth-1:0] xbar_flit;

    assign credits = credit_q[o*CntW +: CntW];
    for (genvar i = 0; i < NumPorts; i++) begin : gen_req
      assign req[i] = head_valid[i] && remaining[i*NumPorts + o] && (credits != '0);
    end

    // Round robin: scan inputs rr_q, rr_q + 1, ... (mod 5); the first requester wins and the
    // one after it gets the highest priority next.
    always_comb begin
      grant = '0;
      found = 1'b0;
      rr_d  = rr_q;
      k_idx = '0;
      for (int unsigned k = 0; k < NumPorts; k++) begin
        k_idx = 4'(rr_q) + 4'(k);
        if (k_idx >= 4'(NumPorts)) begin
          k_idx = k_idx - 4'(NumPorts);
        end
        if (!found && req[k_idx[2:0]]) begin
          found              = 1'b1;
          grant[k_idx[2:0]]  = 1'b1;
          rr_d               = (k_idx[2:0] == 3'(NumPorts - 1)) ? 3'd0 : k_idx[2:0] + 3'd1;
        end
      end
    end

    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        rr_q <= '0;
      end else begin
        rr_q <= rr_d;
      end
    end

    assign gnt[o*NumPorts +: NumPorts] = grant;

    // Crossbar: AND-OR multiplexer of the head flits (grant is one-hot or zero).
    always_comb begin
      xbar_flit = '0;
      for (int unsigned i = 0; i < NumPorts; i++) begin
        xbar_flit = xbar_flit | (head_flit[i*FlitWidth +: FlitWidth] & {FlitWidth{grant[i]}});
      end
    end

    // Credits for the downstream input buffer.
    assign err_credit_o[o] = out_credit_i[o] && !found && (credits == CntW'(BufferDepth));
    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        credit_q[o*CntW +: CntW] <= CntW'(BufferDepth);
      end else if (!err_credit_o[o]) begin
        credit_q[o*CntW +: CntW] <= credits - CntW'(found) + CntW'(out_credit_i[o]);
      end
    end

    // Output stage: Latency - 1 pipeline registers after the crossbar.
    nrk_noc_pipe #(
      .DataWidth(FlitWidth),
      .NumStages(Latency - 1)
    ) u_out_pipe (
      .clk_i,
      .rst_ni,
      .valid_i(found),
      .data_i (xbar_flit),
      .valid_o(out_valid_o[o]),
      .data_o (out_flit_o[o*FlitWidth +: FlitWidth])
    );
  end

  ////////////////////////////////
  // Multicast fork progress    //
  ////////////////////////////////

  for (genvar i = 0; i < NumPorts; i++) begin : gen_fork
    logic [NumPorts-1:0] taken;  // [output]: outputs that take the head flit in this cycle
    for (genvar o = 0; o < NumPorts; o++) begin : gen_taken
      assign taken[o] = gnt[o*NumPorts + i];
    end
    // The head flit leaves when no output is left to take it (an empty mask: at once).
    assign pop[i] = head_valid[i] && ((remaining[i*NumPorts +: NumPorts] & ~taken) == '0);

    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        served_q[i*NumPorts +: NumPorts] <= '0;
      end else if (pop[i]) begin
        served_q[i*NumPorts +: NumPorts] <= '0;
      end else begin
        served_q[i*NumPorts +: NumPorts] <= served_q[i*NumPorts +: NumPorts] | taken;
      end
    end
  end

  assign in_credit_o = pop;

endmodule
