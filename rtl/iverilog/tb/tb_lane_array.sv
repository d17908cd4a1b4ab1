// SPDX-License-Identifier: Apache-2.0
// tb_lane_array: nrk_lane_array (+ nrk_synapse_sram) against arch::accumulate_event (packed2),
// with the harness parameters of the Verilated model (nrk_params.svh). Vectors "tag a b c d", a
// command stream (gen_vectors.cpp): 1 SRAM word write, 2 tile configuration, 3 clear, 4 an
// event of the next burst (col, q, expected synaptic ops, arch refused it), 5 run the burst
// (events back to back as ev_ready_o allows, random idle cycles), 6 an accumulator to read back
// after it, 7 the reserved-code flag after it. One vector per event (its synaptic operations);
// accumulators and the flag are compared after every burst.
`include "nrk_params.svh"
module tb_lane_array;
  `include "tb_common.svh"

  localparam int Lanes    = `NRK_LANE_LANES;
  localparam int Rows     = `NRK_LANE_ROWS;
  localparam int PortBits = `NRK_LANE_PORT_BITS;
  localparam int SramB    = `NRK_LANE_SRAM_BYTES;
  localparam int RowW     = $clog2(Rows + 1);
  localparam int RidxW    = $clog2(Rows);
  localparam int BaddrW   = $clog2(SramB);
  localparam int WaddrW   = $clog2(SramB / (PortBits / 8));
  localparam int MaxBurst = 8192;

  logic [RowW-1:0]     rows_i;
  logic [BaddrW-1:0]   tile_base_i;
  logic                ev_valid_i, ev_ready_o;
  logic [15:0]         ev_col_i;
  logic signed [7:0]   ev_q_i;
  logic                done_valid_o, err_invalid_o, acc_clear_i, sram_we_i;
  logic [RowW-1:0]     done_sops_o;
  logic [RowW:0]       done_words_o;
  logic [RidxW-1:0]    acc_rd_row_i;
  logic signed [31:0]  acc_rd_data_o;
  logic [WaddrW-1:0]   sram_waddr_i;
  logic [PortBits-1:0] sram_wdata_i;
  // The accumulator write port (nrk_neurocore's preload) is built (AccWrite, as in the neurocore)
  // and held idle: the events go through its shared write path.
  logic                acc_wr_valid_i;
  logic [RidxW-1:0]    acc_wr_row_i;
  logic signed [31:0]  acc_wr_data_i;
  assign {acc_wr_valid_i, acc_wr_row_i, acc_wr_data_i} = '0;

  nrk_lane_array #(.NumLanes(Lanes), .NumRows(Rows), .SramPortBits(PortBits), .SramBytes(SramB), .AccWrite(1)) dut (
    .clk_i, .rst_ni, .rows_i, .tile_base_i, .ev_valid_i, .ev_ready_o, .ev_col_i, .ev_q_i, .done_valid_o,
    .done_sops_o, .done_words_o, .err_invalid_o, .acc_clear_i, .acc_rd_row_i, .acc_rd_data_o, .acc_wr_valid_i,
    .acc_wr_row_i, .acc_wr_data_i, .sram_we_i, .sram_waddr_i, .sram_wdata_i
  );

  task automatic check_outputs;
    begin
      if (`NRK_UNK({ev_ready_o, done_valid_o, err_invalid_o}))
        x_found("ev_ready_o/done_valid_o/err_invalid_o", "handshake / flag");
      if (`NRK_UNK({done_sops_o, done_words_o}))
        x_found("done_sops_o/done_words_o", done_valid_o === 1'b1 ? "done_valid_o high" : "reset registers");
      if (`NRK_UNK(acc_rd_data_o)) x_found("acc_rd_data_o", "read port, row always driven");
    end
  endtask

  // The current tile and burst.
  integer t_src, t_idx, n_ev, burst_no;
  logic [15:0] ev_col [MaxBurst];
  logic [7:0]  ev_q [MaxBurst];
  integer      ev_sops [MaxBurst];
  bit          ev_threw [MaxBurst];
  integer      n_acc = 0, n_acc_bad = 0;

  function automatic string where_(input integer i);
    where_ = $sformatf("%0s tile %0d (rows %0d, base %0d), burst %0d, event %0d of %0d (k %0d, q %0d)",
                       src_name(t_src), t_idx, rows_i, tile_base_i, burst_no, i, n_ev, ev_col[i],
                       $signed(ev_q[i]));
  endfunction

  task automatic run_burst;
    integer sent, got, quiet;
    bit offer;
    begin
      sent = 0;
      got = 0;
      quiet = 0;
      while (got < n_ev && quiet <= timeout_cycles) begin
        offer = sent < n_ev && !chance(10);
        ev_valid_i = offer;
        if (offer || (xidle == 0 && sent < n_ev)) {ev_col_i, ev_q_i} = {ev_col[sent], ev_q[sent]};
        else {ev_col_i, ev_q_i} = 'x;
        settle();
        check_outputs();
        quiet = quiet + 1;
        if (done_valid_o === 1'b1) begin
          if (first_fail(ev_threw[got] || done_sops_o === RowW'(ev_sops[got]), `NRK_UNK(done_sops_o)))
            $display("FIRST-FAIL: %0s: expected %0d synaptic operations, got %0d (%b)", where_(got), ev_sops[got],
                     done_sops_o, done_sops_o);
          got = got + 1;
          quiet = 0;
        end
        if (offer && ev_ready_o === 1'b1) sent = sent + 1;
        tick();
      end
      if (got < n_ev) tb_fail($sformatf("%0s: timeout, %0d of %0d events finished", where_(got), got, n_ev));
      ev_valid_i = 1'b0;
      {ev_col_i, ev_q_i} = (xidle != 0) ? 'x : '0;
      burst_no = burst_no + 1;
      n_ev = 0;
    end
  endtask

  integer fd, r, tag;
  logic [127:0] a, b, c, d;

  initial begin
    tb_args();
    fd = tb_open(vec_path);
    {ev_valid_i, acc_clear_i, sram_we_i} = '0;
    {rows_i, tile_base_i, ev_col_i, ev_q_i, acc_rd_row_i, sram_waddr_i, sram_wdata_i} = '0;
    tb_reset();
    n_ev = 0;
    burst_no = 0;
    t_src = 0;
    t_idx = 0;
    r = 5;
    while (r == 5) begin
      r = $fscanf(fd, "%d %h %h %h %h\n", tag, a, b, c, d);
      if (r == 5) begin
        case (tag)
          1: begin  // SRAM word write
            sram_we_i = 1'b1;
            sram_waddr_i = a[WaddrW-1:0];
            sram_wdata_i = b[PortBits-1:0];
            settle();
            check_outputs();
            tick();
            sram_we_i = 1'b0;
            {sram_waddr_i, sram_wdata_i} = (xidle != 0) ? 'x : '0;
          end
          2: begin  // tile configuration
            rows_i = a[RowW-1:0];
            tile_base_i = b[BaddrW-1:0];
            t_src = c;
            t_idx = d;
            burst_no = 0;
          end
          3: begin  // clear
            acc_clear_i = 1'b1;
            settle();
            check_outputs();
            tick();
            acc_clear_i = 1'b0;
          end
          4: begin  // an event of the next burst
            if (n_ev == MaxBurst) begin
              $display("FATAL: a burst of more than %0d events", MaxBurst);
              $fatal(1);
            end
            ev_col[n_ev] = a[15:0];
            ev_q[n_ev] = b[7:0];
            ev_sops[n_ev] = c[31:0];
            ev_threw[n_ev] = d[0];
            n_ev = n_ev + 1;
          end
          5: run_burst();
          6: begin  // an accumulator after the burst (combinational read port)
            acc_rd_row_i = a[RidxW-1:0];
            settle();
            n_acc = n_acc + 1;
            if (`NRK_UNK(acc_rd_data_o) || acc_rd_data_o !== b[31:0]) begin
              if (`NRK_UNK(acc_rd_data_o)) n_x = n_x + 1;
              else n_mis = n_mis + 1;
              n_acc_bad = n_acc_bad + 1;
              if (n_fail_lines == 0) begin
                n_fail_lines = 1;
                $display("FIRST-FAIL: %0s tile %0d (rows %0d, base %0d), after burst %0d: accumulator %0d: expected %0d, got %0d (%b)",
                         src_name(t_src), t_idx, rows_i, tile_base_i, burst_no - 1, a[31:0], $signed(b[31:0]),
                         acc_rd_data_o, acc_rd_data_o);
              end
            end
          end
          7: begin  // the reserved-code flag after the burst
            settle();
            if (err_invalid_o !== a[0]) begin
              if (`NRK_UNK(err_invalid_o)) n_x = n_x + 1;
              else n_mis = n_mis + 1;
              if (n_fail_lines == 0) begin
                n_fail_lines = 1;
                $display("FIRST-FAIL: %0s tile %0d (rows %0d, base %0d), after burst %0d: reserved-code flag: expected %b, got %b",
                         src_name(t_src), t_idx, rows_i, tile_base_i, burst_no - 1, a[0], err_invalid_o);
              end
            end
            acc_rd_row_i = '0;
          end
          default: begin
            $display("FATAL: bad record tag %0d", tag);
            $fatal(1);
          end
        endcase
      end
    end
    $display("lane_array: %0d accumulator reads compared (%0d wrong)", n_acc, n_acc_bad);
    tb_finish("lane_array");
  end
endmodule
