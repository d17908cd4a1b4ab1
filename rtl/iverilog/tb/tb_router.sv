// SPDX-License-Identifier: Apache-2.0
// tb_router: nrk_router (the 'router' variant's parameters, nrk_params.svh) against the routing
// contract of arch/noc.hpp: a flit leaves on exactly the ports of its flow's table entry
// (arch::unpack_event(flit).flow; none: dropped with err_unrouted_o), once each, unchanged, in
// order per (input, output), never earlier than Latency cycles after it entered.
// Vectors "tag a b c d" (gen_vectors.cpp): 1 table write, 3 traffic of the next phase, 2 a flit
// (port, flit, expected mask, src), 4 run the phase. Sources inject only with a credit (counters
// of BufferDepth, refilled by in_credit_o); sinks hold every flit they take and return its
// credit later (out_credit_i); a sink holding more than BufferDepth flits is a credit
// violation. A flit is identified by its channel field (its index in the phase). One vector
// per delivery; unrouted drops are counted per input port.
`include "nrk_params.svh"
module tb_router;
  `include "tb_common.svh"

  localparam int FlitW = `NRK_ROUTER_FLIT_WIDTH;
  localparam int FlowW = `NRK_ROUTER_FLOW_WIDTH;
  localparam int Depth = `NRK_ROUTER_BUFFER_DEPTH;
  localparam int Lat   = `NRK_ROUTER_LATENCY;
  localparam int MaxF  = 65536;

  logic               cfg_we_i;
  logic [FlowW-1:0]   cfg_flow_i;
  logic [4:0]         cfg_mask_i, in_valid_i, in_credit_o, out_valid_o, out_credit_i;
  logic [5*FlitW-1:0] in_flit_i, out_flit_o;
  logic [4:0]         err_overflow_o, err_unrouted_o, err_credit_o;

  nrk_router #(
    .FlitWidth(FlitW), .FlowWidth(FlowW), .NumFlows(`NRK_ROUTER_NUM_FLOWS), .BufferDepth(Depth), .Latency(Lat)
  ) dut (
    .clk_i, .rst_ni, .cfg_we_i, .cfg_flow_i, .cfg_mask_i, .in_valid_i, .in_flit_i, .in_credit_o,
    .out_valid_o, .out_flit_o, .out_credit_i, .err_overflow_o, .err_unrouted_o, .err_credit_o
  );

  task automatic check_outputs;
    integer o;
    begin
      if (`NRK_UNK({in_credit_o, out_valid_o, err_overflow_o, err_unrouted_o, err_credit_o}))
        x_found("in_credit_o/out_valid_o/err_*", "handshake / error pulses");
      for (o = 0; o < 5; o = o + 1)
        if (out_valid_o[o] === 1'b1 && `NRK_UNK(out_flit_o[o*FlitW +: FlitW]))
          x_found($sformatf("out_flit_o[port %0d]", o), "out_valid_o high");
    end
  endtask

  // The current phase.
  logic [FlitW-1:0] f_flit [MaxF];
  logic [2:0]       f_port [MaxF];
  logic [4:0]       f_mask [MaxF], f_got [MaxF];
  integer           f_src [MaxF];
  longint           f_inj [MaxF];
  integer n_f = 0, phase = 0, inject_pct = 100, stall_pct = 0;
  integer cur [5];        // next flit of each input (index into the phase)
  integer ord [25];       // [in*5 + out]: next flit from `in` that must leave on `out`
  integer credits [5], held [5], unrouted_want [5], unrouted_got [5];
  integer want_deliveries, got_deliveries, n_unrouted_total = 0;

  function automatic integer next_of_port(input integer p, input integer from);
    integer j;
    begin
      j = from;
      while (j < n_f && f_port[j] != 3'(p)) j = j + 1;
      next_of_port = j;
    end
  endfunction

  function automatic integer next_for(input integer p, input integer o, input integer from);
    integer j;
    begin
      j = from;
      while (j < n_f && !(f_port[j] == 3'(p) && f_mask[j][o])) j = j + 1;
      next_for = j;
    end
  endfunction

  function automatic string flit_desc(input integer i);
    flit_desc = $sformatf("phase %0d (%0s), flit %0d: input %0d, flit %h (flow %0d, q %0d), expected ports %b",
                          phase, src_name(f_src[i]), i, f_port[i], f_flit[i], f_flit[i][FlitW-1:24],
                          $signed(f_flit[i][7:0]), f_mask[i]);
  endfunction

  // A delivery on output o.
  task automatic deliver(input integer o, input logic [FlitW-1:0] flit);
    integer i, p, want;
    bit ok, unk;
    string why;
    begin
      unk = `NRK_UNK(flit);
      i = unk ? 0 : flit[23:8];
      ok = 1'b1;
      why = "";
      held[o] = held[o] + 1;
      if (held[o] > Depth) begin
        ok = 1'b0;
        why = $sformatf("output %0d sent with no credit left (sink holds %0d flits)", o, held[o]);
      end
      if (!unk && (i >= n_f || f_flit[i] !== flit)) begin
        ok = 1'b0;
        why = $sformatf("output %0d: flit %h is none of the phase's flits (corrupted?)", o, flit);
      end else if (!unk) begin
        p = f_port[i];
        if (!f_mask[i][o] || f_got[i][o]) begin
          ok = 1'b0;
          if (f_got[i][o]) why = $sformatf("%0s: delivered on output %0d twice", flit_desc(i), o);
          else why = $sformatf("%0s: delivered on output %0d, not in its mask", flit_desc(i), o);
        end else begin
          want = next_for(p, o, ord[p*5 + o]);
          if (want != i) begin
            ok = 1'b0;
            why = $sformatf("%0s: on output %0d before flit %0d of the same input (order)", flit_desc(i), o, want);
          end
          ord[p*5 + o] = next_for(p, o, i + 1);
          if (f_inj[i] < 0 || cycles - f_inj[i] < Lat) begin
            ok = 1'b0;
            why = $sformatf("%0s: on output %0d after %0d cycles, Latency is %0d", flit_desc(i), o,
                            cycles - f_inj[i], Lat);
          end
          f_got[i][o] = 1'b1;
        end
      end
      got_deliveries = got_deliveries + 1;
      if (unk) why = "X/Z flit";
      if (first_fail(ok, unk)) $display("FIRST-FAIL: phase %0d: output %0d: %0s (flit %b)", phase, o, why, flit);
    end
  endtask

  task automatic run_phase;
    integer p, o, idle, tail, i;
    bit [4:0] offered, ret;
    bit done;
    begin
      want_deliveries = 0;
      got_deliveries = 0;
      for (p = 0; p < 5; p = p + 1) begin
        cur[p] = next_of_port(p, 0);
        unrouted_want[p] = 0;
        unrouted_got[p] = 0;
        for (o = 0; o < 5; o = o + 1) ord[p*5 + o] = next_for(p, o, 0);
      end
      for (i = 0; i < n_f; i = i + 1) begin
        f_got[i] = '0;
        f_inj[i] = -1;
        want_deliveries = want_deliveries + $countones(f_mask[i]);
        if (f_mask[i] == '0) unrouted_want[f_port[i]] = unrouted_want[f_port[i]] + 1;
      end
      idle = 0;
      tail = 0;
      done = 1'b0;
      while (!done && idle < timeout_cycles) begin
        for (p = 0; p < 5; p = p + 1) begin
          offered[p] = cur[p] < n_f && credits[p] > 0 && chance(inject_pct);
          in_valid_i[p] = offered[p];
          in_flit_i[p*FlitW +: FlitW] = offered[p] ? f_flit[cur[p]] : (xidle != 0 ? 'x : '0);
        end
        for (o = 0; o < 5; o = o + 1) begin
          ret[o] = held[o] > 0 && !chance(stall_pct);
          out_credit_i[o] = ret[o];
        end
        settle();
        check_outputs();
        idle = idle + 1;
        for (o = 0; o < 5; o = o + 1)
          if (out_valid_o[o] === 1'b1) begin
            deliver(o, out_flit_o[o*FlitW +: FlitW]);
            idle = 0;
          end
        for (p = 0; p < 5; p = p + 1) begin
          if (err_unrouted_o[p] === 1'b1) begin
            unrouted_got[p] = unrouted_got[p] + 1;
            idle = 0;
          end
          if (in_credit_o[p] === 1'b1) credits[p] = credits[p] + 1;
          if (offered[p]) begin
            f_inj[cur[p]] = cycles;
            credits[p] = credits[p] - 1;
            cur[p] = next_of_port(p, cur[p] + 1);
            idle = 0;
          end
        end
        if ((err_overflow_o | err_credit_o) !== '0)
          tb_fail($sformatf("phase %0d, cycle %0d: err_overflow_o %b, err_credit_o %b (the testbench keeps the credit protocol)",
                            phase, cycles, err_overflow_o, err_credit_o));
        for (o = 0; o < 5; o = o + 1) if (ret[o]) held[o] = held[o] - 1;
        tick();
        // Done when every flit is in, every delivery and drop seen, every credit back; then 8
        // quiet cycles in which nothing may come out.
        done = 1'b1;
        for (p = 0; p < 5; p = p + 1)
          if (cur[p] < n_f || held[p] != 0 || credits[p] != Depth || unrouted_got[p] < unrouted_want[p]) done = 1'b0;
        if (got_deliveries < want_deliveries) done = 1'b0;
        if (done && tail < 8) begin
          tail = tail + 1;
          done = 1'b0;
        end
      end
      if (!done)
        tb_fail($sformatf("phase %0d: timeout: %0d of %0d deliveries, cycle %0d", phase, got_deliveries,
                          want_deliveries, cycles));
      for (p = 0; p < 5; p = p + 1)
        if (unrouted_got[p] != unrouted_want[p])
          tb_fail($sformatf("phase %0d: input %0d dropped %0d unrouted flits, expected %0d", phase, p,
                            unrouted_got[p], unrouted_want[p]));
      if (got_deliveries != want_deliveries)
        tb_fail($sformatf("phase %0d: %0d deliveries, expected %0d", phase, got_deliveries, want_deliveries));
      for (p = 0; p < 5; p = p + 1) n_unrouted_total = n_unrouted_total + unrouted_got[p];
      in_valid_i = '0;
      out_credit_i = '0;
      n_f = 0;
      phase = phase + 1;
    end
  endtask

  integer fd, r, tag, p;
  logic [127:0] a, b, c, d;

  initial begin
    tb_args();
    fd = tb_open(vec_path);
    {cfg_we_i, in_valid_i, out_credit_i} = '0;
    {cfg_flow_i, cfg_mask_i, in_flit_i} = '0;
    for (p = 0; p < 5; p = p + 1) begin
      credits[p] = Depth;
      held[p] = 0;
    end
    tb_reset();
    r = 5;
    while (r == 5) begin
      r = $fscanf(fd, "%d %h %h %h %h\n", tag, a, b, c, d);
      if (r == 5) begin
        case (tag)
          1: begin  // table write (the router is idle)
            cfg_we_i = 1'b1;
            cfg_flow_i = a[FlowW-1:0];
            cfg_mask_i = b[4:0];
            settle();
            check_outputs();
            tick();
            cfg_we_i = 1'b0;
            {cfg_flow_i, cfg_mask_i} = (xidle != 0) ? 'x : '0;
          end
          2: begin  // a flit of the next phase
            if (n_f == MaxF) begin
              $display("FATAL: a phase of more than %0d flits", MaxF);
              $fatal(1);
            end
            f_port[n_f] = a[2:0];
            f_flit[n_f] = b[FlitW-1:0];
            f_mask[n_f] = c[4:0];
            f_src[n_f] = d;
            n_f = n_f + 1;
          end
          3: begin
            inject_pct = a;
            stall_pct = b;
          end
          4: run_phase();
          default: begin
            $display("FATAL: bad record tag %0d", tag);
            $fatal(1);
          end
        endcase
      end
    end
    $display("router: %0d phases, %0d unrouted flits dropped", phase, n_unrouted_total);
    tb_finish("router");
  end
endmodule
