// SPDX-License-Identifier: Apache-2.0
// tb_event_out: nrk_event_out against arch::quantize_absmax and arch::pack_event
// (vectors: "src m flow u chan has_pkt pkt", one per element of the u stream; m and flow are
// driven with each element). The block is in order and a zero code sends nothing: the checker
// expects the packets of the has_pkt = 1 elements, in order, and nothing else.
`include "nrk_params.svh"
module tb_event_out;
  `include "tb_common.svh"

  localparam int FlowW = `NRK_EVENT_FLOW_BITS;
  localparam int PktW  = nrk_pkg::EventFlowLsb + FlowW;

  logic [63:0]        m_i;
  logic [FlowW-1:0]   flow_i;
  logic               in_valid_i, in_ready_o, pkt_valid_o, pkt_ready_i;
  logic signed [63:0] u_i;
  logic [15:0]        chan_i;
  logic [PktW-1:0]    pkt_o;

  nrk_event_out #(.FlowWidth(FlowW)) dut (
    .clk_i, .rst_ni, .m_i, .flow_i, .in_valid_i, .in_ready_o, .u_i, .chan_i, .pkt_valid_o, .pkt_ready_i, .pkt_o
  );

  task automatic check_outputs;
    begin
      if (`NRK_UNK({in_ready_o, pkt_valid_o})) x_found("in_ready_o/pkt_valid_o", "handshake");
      if (`NRK_UNK(pkt_o)) x_found("pkt_o", pkt_valid_o === 1'b1 ? "pkt_valid_o high" : "reset register");
    end
  endtask

  // The next record of fd; with only_pkt, the next one that expects a packet.
  task automatic next_rec(input integer fd, input bit only_pkt, output bit ok, output integer src,
                          output logic [63:0] m, output logic [FlowW-1:0] flow, output logic [63:0] u,
                          output logic [15:0] chan, output integer has_pkt, output logic [PktW-1:0] pkt);
    integer r;
    begin
      ok = 1'b0;
      r = 7;
      while (!ok && r == 7) begin
        r = $fscanf(fd, "%d %h %h %h %h %d %h\n", src, m, flow, u, chan, has_pkt, pkt);
        ok = (r == 7) && (!only_pkt || has_pkt != 0);
      end
    end
  endtask

  integer fd_in, fd_chk, s_d, s_c, p_d, p_c, idle, n_elems;
  logic [63:0] d_m, d_u, c_m, c_u;
  logic [FlowW-1:0] d_flow, c_flow;
  logic [15:0] d_chan, c_chan;
  logic [PktW-1:0] d_pkt, c_pkt;
  bit have_in, have_chk, offer, take;

  initial begin
    tb_args();
    fd_in  = tb_open(vec_path);
    fd_chk = tb_open(vec_path);
    {in_valid_i, pkt_ready_i} = '0;
    {m_i, flow_i, u_i, chan_i} = '0;
    tb_reset();
    next_rec(fd_in, 1'b0, have_in, s_d, d_m, d_flow, d_u, d_chan, p_d, d_pkt);
    next_rec(fd_chk, 1'b1, have_chk, s_c, c_m, c_flow, c_u, c_chan, p_c, c_pkt);
    idle = 0;
    n_elems = 0;
    while ((have_in || have_chk) && idle < timeout_cycles) begin
      offer = have_in && !chance(10);
      in_valid_i = offer;
      if (offer || xidle == 0) {m_i, flow_i, u_i, chan_i} = {d_m, d_flow, d_u, d_chan};
      else {m_i, flow_i, u_i, chan_i} = 'x;
      take = !chance(25);
      pkt_ready_i = take;
      settle();
      check_outputs();
      idle = idle + 1;
      if (take && pkt_valid_o === 1'b1) begin
        if (!have_chk) begin
          tb_fail($sformatf("unexpected packet %h after the last expected one", pkt_o));
        end else begin
          if (first_fail(pkt_o === c_pkt, `NRK_UNK(pkt_o)))
            $display("FIRST-FAIL: packet %0d (%0s): u %0d, m %0d, flow %0d, channel %0d: expected packet %h; got %h (%b)",
                     n_vec - 1, src_name(s_c), $signed(c_u), c_m, c_flow, c_chan, c_pkt, pkt_o, pkt_o);
          next_rec(fd_chk, 1'b1, have_chk, s_c, c_m, c_flow, c_u, c_chan, p_c, c_pkt);
        end
        idle = 0;
      end
      if (offer && in_ready_o === 1'b1) begin
        next_rec(fd_in, 1'b0, have_in, s_d, d_m, d_flow, d_u, d_chan, p_d, d_pkt);
        n_elems = n_elems + 1;
        idle = 0;
      end
      tick();
    end
    if (have_in || have_chk)
      tb_fail($sformatf("timeout: %0d elements sent, %0d packets compared", n_elems, n_vec));
    // Zero codes send nothing: no packet may follow the last expected one.
    in_valid_i = 1'b0;
    pkt_ready_i = 1'b1;
    repeat (8) begin
      settle();
      check_outputs();
      if (pkt_valid_o !== 1'b0) tb_fail($sformatf("unexpected packet %h after the last expected one", pkt_o));
      tick();
    end
    $display("event_out: %0d elements sent, %0d packets expected and compared", n_elems, n_vec);
    tb_finish("event_out");
  end
endmodule
