// SPDX-License-Identifier: Apache-2.0
// tb_requantize: nrk_requantize against arch::requantize (vectors: "src acc mant exp y").
// One in-order stream; the driver and the checker read the same file through two handles.
module tb_requantize;
  `include "tb_common.svh"

  logic               in_valid_i, in_ready_o, out_valid_o, out_ready_i;
  logic signed [31:0] acc_i, scale_exp_i, y_o;
  logic        [31:0] scale_mant_i;

  nrk_requantize dut (
    .clk_i, .rst_ni, .in_valid_i, .in_ready_o, .acc_i, .scale_mant_i, .scale_exp_i,
    .out_valid_o, .out_ready_i, .y_o
  );

  task automatic check_outputs;
    begin
      if (`NRK_UNK({in_ready_o, out_valid_o})) x_found("in_ready_o/out_valid_o", "handshake");
      if (`NRK_UNK(y_o)) x_found("y_o", out_valid_o === 1'b1 ? "out_valid_o high" : "reset register");
    end
  endtask

  integer fd_in, fd_chk, r, src_d, src_c, idle;
  logic [31:0] d_acc, d_mant, d_exp, d_y, c_acc, c_mant, c_exp, c_y;
  bit have_in, have_chk, offer, take;

  initial begin
    tb_args();
    fd_in  = tb_open(vec_path);
    fd_chk = tb_open(vec_path);
    in_valid_i  = 1'b0;
    out_ready_i = 1'b0;
    tb_reset();
    r = $fscanf(fd_in, "%d %h %h %h %h\n", src_d, d_acc, d_mant, d_exp, d_y);
    have_in = (r == 5);
    r = $fscanf(fd_chk, "%d %h %h %h %h\n", src_c, c_acc, c_mant, c_exp, c_y);
    have_chk = (r == 5);
    idle = 0;
    while (have_chk && idle < timeout_cycles) begin
      offer = have_in && !chance(10);
      in_valid_i = offer;
      if (offer || xidle == 0) {acc_i, scale_mant_i, scale_exp_i} = {d_acc, d_mant, d_exp};
      else {acc_i, scale_mant_i, scale_exp_i} = 'x;
      take = !chance(25);
      out_ready_i = take;
      settle();
      check_outputs();
      idle = idle + 1;
      if (take && out_valid_o === 1'b1) begin
        if (first_fail(y_o === c_y, `NRK_UNK(y_o)))
          $display("FIRST-FAIL: vector %0d (%0s): acc %0d, S = (mant %0d, exp %0d): expected %0d, got %0d (%b)",
                   n_vec - 1, src_name(src_c), $signed(c_acc), c_mant, $signed(c_exp), $signed(c_y), y_o, y_o);
        r = $fscanf(fd_chk, "%d %h %h %h %h\n", src_c, c_acc, c_mant, c_exp, c_y);
        have_chk = (r == 5);
        idle = 0;
      end
      if (offer && in_ready_o === 1'b1) begin
        r = $fscanf(fd_in, "%d %h %h %h %h\n", src_d, d_acc, d_mant, d_exp, d_y);
        have_in = (r == 5);
      end
      tick();
    end
    if (have_chk) tb_fail($sformatf("timeout: no output for %0d cycles after %0d vectors", idle, n_vec));
    tb_finish("requantize");
  end
endmodule
