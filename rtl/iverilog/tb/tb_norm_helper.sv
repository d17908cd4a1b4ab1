// SPDX-License-Identifier: Apache-2.0
// tb_norm_helper: nrk_norm_helper against arch::sum_squares, absmax, block_shift and
// normalize_block. Two channels at once, each with its own vector file ("tag src a b c d"):
//   +vec=<f>: the reduction channel: tag 0 an element (v, x, last), tag 1 the block's expected
//             result (absmax, sum of squares, shift, elements) after its last element;
//   <f>.nb:   the normalize channel: tag 2 an element (p, shift, expected round_shift(p, shift)).
// Each driver reads its file once and queues the expected values of what the block accepted
// (a result after a block's last element, a value per normalize element); each checker takes
// them in order.
`include "nrk_params.svh"
module tb_norm_helper;
  `include "tb_common.svh"

  localparam int SsW = `NRK_NORM_SS_BITS;
  localparam int QD  = 16;  // expected-value queues (the block holds at most 3 of either)

  logic               in_valid_i, in_ready_o, in_last_i, res_valid_o, res_ready_i, res_ovf_o;
  logic signed [31:0] in_v_i;
  logic signed [63:0] in_x_i;
  logic        [63:0] res_absmax_o;
  logic [SsW-1:0]     res_ss_o;
  logic        [5:0]  res_shift_o;
  logic               nb_in_valid_i, nb_in_ready_o, nb_out_valid_o, nb_out_ready_i;
  logic signed [63:0] nb_p_i;
  logic        [5:0]  nb_shift_i;
  logic signed [31:0] nb_v_o;

  nrk_norm_helper dut (
    .clk_i, .rst_ni, .in_valid_i, .in_ready_o, .in_last_i, .in_v_i, .in_x_i, .res_valid_o, .res_ready_i,
    .res_absmax_o, .res_ss_o, .res_shift_o, .res_ovf_o, .nb_in_valid_i, .nb_in_ready_o, .nb_p_i, .nb_shift_i,
    .nb_out_valid_o, .nb_out_ready_i, .nb_v_o
  );

  task automatic check_outputs;
    begin
      if (`NRK_UNK({in_ready_o, res_valid_o, nb_in_ready_o, nb_out_valid_o}))
        x_found("in_ready_o/res_valid_o/nb_in_ready_o/nb_out_valid_o", "handshake");
      if (`NRK_UNK({res_absmax_o, res_ss_o, res_shift_o, res_ovf_o}))
        x_found("res_absmax_o/res_ss_o/res_shift_o/res_ovf_o",
                res_valid_o === 1'b1 ? "res_valid_o high" : "reset registers");
      if (`NRK_UNK(nb_v_o)) x_found("nb_v_o", nb_out_valid_o === 1'b1 ? "nb_out_valid_o high" : "reset register");
    end
  endtask

  // Expected results (reduction) and values (normalize), in order.
  logic [127:0] rq_a [QD], rq_b [QD], rq_c [QD], rq_d [QD];
  integer       rq_src [QD];
  integer       rq_wr = 0, rq_rd = 0;
  logic [127:0] nq_a [QD], nq_b [QD], nq_c [QD];
  integer       nq_src [QD];
  integer       nq_wr = 0, nq_rd = 0;

  // The reduction driver's next element; a result record on the way is queued.
  integer       fd_r, s_r, r_r, tag_r;
  logic [127:0] ra, rb, rc, rd;
  bit           have_r;
  task automatic next_elem;
    begin
      have_r = 1'b0;
      r_r = 6;
      while (!have_r && r_r == 6) begin
        r_r = $fscanf(fd_r, "%d %d %h %h %h %h\n", tag_r, s_r, ra, rb, rc, rd);
        if (r_r == 6 && tag_r == 1) begin
          if (rq_wr - rq_rd == QD) begin
            $display("FATAL: reduction result queue overflow");
            $fatal(1);
          end
          {rq_a[rq_wr % QD], rq_b[rq_wr % QD], rq_c[rq_wr % QD], rq_d[rq_wr % QD]} = {ra, rb, rc, rd};
          rq_src[rq_wr % QD] = s_r;
          rq_wr = rq_wr + 1;
        end
        have_r = (r_r == 6) && (tag_r == 0);
      end
    end
  endtask

  integer       fd_n, s_n, r_n, tag_n;
  logic [127:0] na, nb, nc, nd;
  bit           have_n;
  task automatic next_nb;
    begin
      r_n = $fscanf(fd_n, "%d %d %h %h %h %h\n", tag_n, s_n, na, nb, nc, nd);
      have_n = (r_n == 6) && (tag_n == 2);
    end
  endtask

  integer idle, n_blocks, q;
  bit offer, res_take, nb_offer, nb_take;

  initial begin
    tb_args();
    fd_r = tb_open(vec_path);
    fd_n = tb_open({vec_path, ".nb"});
    {in_valid_i, res_ready_i, nb_in_valid_i, nb_out_ready_i} = '0;
    {in_last_i, in_v_i, in_x_i, nb_p_i, nb_shift_i} = '0;
    tb_reset();
    next_elem();
    next_nb();
    idle = 0;
    n_blocks = 0;
    while ((have_r || have_n || rq_rd != rq_wr || nq_rd != nq_wr) && idle < timeout_cycles) begin
      offer = have_r && !chance(10);
      in_valid_i = offer;
      if (offer || xidle == 0) {in_v_i, in_x_i, in_last_i} = {ra[31:0], rb[63:0], rc[0]};
      else {in_v_i, in_x_i, in_last_i} = 'x;
      res_take = !chance(25);
      res_ready_i = res_take;
      nb_offer = have_n && !chance(10);
      nb_in_valid_i = nb_offer;
      if (nb_offer || xidle == 0) {nb_p_i, nb_shift_i} = {na[63:0], nb[5:0]};
      else {nb_p_i, nb_shift_i} = 'x;
      nb_take = !chance(25);
      nb_out_ready_i = nb_take;
      settle();
      check_outputs();
      idle = idle + 1;
      if (res_take && res_valid_o === 1'b1) begin
        if (rq_rd == rq_wr) begin
          tb_fail("reduction: a result before its block's last element");
        end else begin
          q = rq_rd % QD;
          if (first_fail(res_absmax_o === rq_a[q][63:0] && res_ss_o === rq_b[q][SsW-1:0]
                         && res_shift_o === rq_c[q][5:0] && res_ovf_o === 1'b0,
                         `NRK_UNK({res_absmax_o, res_ss_o, res_shift_o, res_ovf_o})))
            $display("FIRST-FAIL: %0s", $sformatf({"reduction block %0d (%0s, %0d elements): expected absmax %0d, ",
                                                   "sum_squares %0d, block_shift %0d, no overflow; got %0d, %0d, ",
                                                   "%0d, overflow %b"},
                                                  n_blocks, src_name(rq_src[q]), rq_d[q][31:0], rq_a[q][63:0],
                                                  rq_b[q][SsW-1:0], rq_c[q][5:0], res_absmax_o, res_ss_o,
                                                  res_shift_o, res_ovf_o));
          rq_rd = rq_rd + 1;
          n_blocks = n_blocks + 1;
        end
        idle = 0;
      end
      if (nb_take && nb_out_valid_o === 1'b1) begin
        if (nq_rd == nq_wr) begin
          tb_fail("normalize channel: an output without an input");
        end else begin
          q = nq_rd % QD;
          if (first_fail(nb_v_o === nq_c[q][31:0], `NRK_UNK(nb_v_o)))
            $display("FIRST-FAIL: %0s", $sformatf("normalize_block (%0s): p %0d, shift %0d: expected %0d, got %0d (%b)",
                                                  src_name(nq_src[q]), $signed(nq_a[q][63:0]), nq_b[q][5:0],
                                                  $signed(nq_c[q][31:0]), nb_v_o, nb_v_o));
          nq_rd = nq_rd + 1;
        end
        idle = 0;
      end
      if (offer && in_ready_o === 1'b1) begin
        next_elem();
        idle = 0;
      end
      if (nb_offer && nb_in_ready_o === 1'b1) begin
        if (nq_wr - nq_rd == QD) begin
          $display("FATAL: normalize queue overflow");
          $fatal(1);
        end
        {nq_a[nq_wr % QD], nq_b[nq_wr % QD], nq_c[nq_wr % QD]} = {na, nb, nc};
        nq_src[nq_wr % QD] = s_n;
        nq_wr = nq_wr + 1;
        next_nb();
      end
      tick();
    end
    if (have_r || have_n || rq_rd != rq_wr || nq_rd != nq_wr)
      tb_fail($sformatf("timeout after %0d blocks, %0d vectors", n_blocks, n_vec));
    // Nothing more may come out.
    {in_valid_i, nb_in_valid_i} = '0;
    {res_ready_i, nb_out_ready_i} = '1;
    repeat (8) begin
      settle();
      check_outputs();
      if (res_valid_o !== 1'b0 || nb_out_valid_o !== 1'b0) tb_fail("an output after the last vector");
      tick();
    end
    tb_finish("norm_helper");
  end
endmodule
