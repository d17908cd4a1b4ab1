// SPDX-License-Identifier: Apache-2.0
// tb_mlgru: nrk_mlgru against arch::mlgru_channel_q16 and its parts (forget_gate_q24,
// mlgru_candidate_q20, mlgru_state_update_q20) (vectors: "src i fz lb bounded h h' y f c";
// the sigmoid table from +lut=<hex file>, loaded through the load port first).
module tb_mlgru;
  `include "tb_common.svh"
  `include "tb_lut_load.svh"

  logic               in_valid_i, in_ready_o, out_valid_o, out_ready_i, bounded_i;
  logic signed [31:0] i_i, fz_i, lb_i, h_i, h_o, y_o, f_o, c_o;

  nrk_mlgru dut (
    .clk_i, .rst_ni, .lut_we_i, .lut_waddr_i, .lut_wdata_i, .in_valid_i, .in_ready_o, .i_i, .fz_i,
    .lb_i, .bounded_i, .h_i, .out_valid_o, .out_ready_i, .h_o, .y_o, .f_o, .c_o
  );

  task automatic check_outputs;
    begin
      if (`NRK_UNK({in_ready_o, out_valid_o})) x_found("in_ready_o/out_valid_o", "handshake");
      if (`NRK_UNK({h_o, y_o, f_o, c_o}))
        x_found("h_o/y_o/f_o/c_o", out_valid_o === 1'b1 ? "out_valid_o high" : "reset registers");
    end
  endtask

  integer fd_in, fd_chk, r, src_d, src_c, idle, b_d, b_c;
  logic [31:0] d_i, d_fz, d_lb, d_h, d_h2, d_y, d_f, d_c;
  logic [31:0] c_i, c_fz, c_lb, c_h, c_h2, c_y, c_f, c_c;
  bit have_in, have_chk, offer, take;

  initial begin
    tb_args();
    fd_in  = tb_open(vec_path);
    fd_chk = tb_open(vec_path);
    lut_we_i    = 1'b0;
    in_valid_i  = 1'b0;
    out_ready_i = 1'b0;
    {i_i, fz_i, lb_i, bounded_i, h_i} = '0;
    tb_reset();
    load_lut();
    r = $fscanf(fd_in, "%d %h %h %h %d %h %h %h %h %h\n", src_d, d_i, d_fz, d_lb, b_d, d_h, d_h2, d_y, d_f, d_c);
    have_in = (r == 10);
    r = $fscanf(fd_chk, "%d %h %h %h %d %h %h %h %h %h\n", src_c, c_i, c_fz, c_lb, b_c, c_h, c_h2, c_y, c_f, c_c);
    have_chk = (r == 10);
    idle = 0;
    while (have_chk && idle < timeout_cycles) begin
      offer = have_in && !chance(10);
      in_valid_i = offer;
      if (offer || xidle == 0) {i_i, fz_i, lb_i, bounded_i, h_i} = {d_i, d_fz, d_lb, b_d[0], d_h};
      else {i_i, fz_i, lb_i, bounded_i, h_i} = 'x;
      take = !chance(25);
      out_ready_i = take;
      settle();
      check_outputs();
      idle = idle + 1;
      if (take && out_valid_o === 1'b1) begin
        if (first_fail(h_o === c_h2 && y_o === c_y && f_o === c_f && c_o === c_c, `NRK_UNK({h_o, y_o, f_o, c_o})))
          $display({"FIRST-FAIL: vector %0d (%0s): i %0d, f_z %0d, lb %0d (%0s), h %0d: expected h' %0d, y %0d, ",
                    "f %0d, c %0d; got h' %0d, y %0d, f %0d, c %0d (h' %b)"},
                   n_vec - 1, src_name(src_c), $signed(c_i), $signed(c_fz), $signed(c_lb),
                   b_c != 0 ? "bounded" : "unbounded", $signed(c_h), $signed(c_h2), $signed(c_y), $signed(c_f),
                   $signed(c_c), h_o, y_o, f_o, c_o, h_o);
        r = $fscanf(fd_chk, "%d %h %h %h %d %h %h %h %h %h\n", src_c, c_i, c_fz, c_lb, b_c, c_h, c_h2, c_y, c_f, c_c);
        have_chk = (r == 10);
        idle = 0;
      end
      if (offer && in_ready_o === 1'b1) begin
        r = $fscanf(fd_in, "%d %h %h %h %d %h %h %h %h %h\n", src_d, d_i, d_fz, d_lb, b_d, d_h, d_h2, d_y, d_f, d_c);
        have_in = (r == 10);
      end
      tick();
    end
    if (have_chk) tb_fail($sformatf("timeout: no output for %0d cycles after %0d vectors", idle, n_vec));
    tb_finish("mlgru");
  end
endmodule
