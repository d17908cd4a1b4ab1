// SPDX-License-Identifier: Apache-2.0
// tb_activation: nrk_activation against arch::sigmoid_q24 and arch::silu_q16
// (vectors: "src z sigma silu"; the table arch::sigmoid_lut() from +lut=<hex file>, loaded
// through the block's load port before the first transaction, as the Verilator harness does).
module tb_activation;
  `include "tb_common.svh"
  `include "tb_lut_load.svh"

  logic               in_valid_i, in_ready_o, out_valid_o, out_ready_i;
  logic signed [31:0] z_i, sigma_o, silu_o;

  nrk_activation dut (
    .clk_i, .rst_ni, .lut_we_i, .lut_waddr_i, .lut_wdata_i, .in_valid_i, .in_ready_o, .z_i,
    .out_valid_o, .out_ready_i, .sigma_o, .silu_o
  );

  task automatic check_outputs;
    begin
      if (`NRK_UNK({in_ready_o, out_valid_o})) x_found("in_ready_o/out_valid_o", "handshake");
      if (`NRK_UNK({sigma_o, silu_o}))
        x_found("sigma_o/silu_o", out_valid_o === 1'b1 ? "out_valid_o high" : "reset registers");
    end
  endtask

  integer fd_in, fd_chk, r, src_d, src_c, idle;
  logic [31:0] d_z, d_s, d_y, c_z, c_s, c_y;
  bit have_in, have_chk, offer, take;

  initial begin
    tb_args();
    fd_in  = tb_open(vec_path);
    fd_chk = tb_open(vec_path);
    lut_we_i    = 1'b0;
    in_valid_i  = 1'b0;
    out_ready_i = 1'b0;
    z_i = '0;
    tb_reset();
    load_lut();
    r = $fscanf(fd_in, "%d %h %h %h\n", src_d, d_z, d_s, d_y);
    have_in = (r == 4);
    r = $fscanf(fd_chk, "%d %h %h %h\n", src_c, c_z, c_s, c_y);
    have_chk = (r == 4);
    idle = 0;
    while (have_chk && idle < timeout_cycles) begin
      offer = have_in && !chance(10);
      in_valid_i = offer;
      z_i = (offer || xidle == 0) ? d_z : 'x;
      take = !chance(25);
      out_ready_i = take;
      settle();
      check_outputs();
      idle = idle + 1;
      if (take && out_valid_o === 1'b1) begin
        if (first_fail(sigma_o === c_s && silu_o === c_y, `NRK_UNK({sigma_o, silu_o})))
          $display("FIRST-FAIL: vector %0d (%0s): z %0d: expected sigmoid_q24 %0d, silu_q16 %0d; got %0d, %0d (%b, %b)",
                   n_vec - 1, src_name(src_c), $signed(c_z), $signed(c_s), $signed(c_y), sigma_o, silu_o,
                   sigma_o, silu_o);
        r = $fscanf(fd_chk, "%d %h %h %h\n", src_c, c_z, c_s, c_y);
        have_chk = (r == 4);
        idle = 0;
      end
      if (offer && in_ready_o === 1'b1) begin
        r = $fscanf(fd_in, "%d %h %h %h\n", src_d, d_z, d_s, d_y);
        have_in = (r == 4);
      end
      tick();
    end
    if (have_chk) tb_fail($sformatf("timeout: no output for %0d cycles after %0d vectors", idle, n_vec));
    tb_finish("activation");
  end
endmodule
