// SPDX-License-Identifier: Apache-2.0
// tb_lut_load.svh: the sigmoid table's load port (nrk_pkg::sigmoid_idx_t / sigmoid_entry_t, as
// nrk_activation and nrk_mlgru declare it) and load_lut, which loads arch::sigmoid_lut()
// (+lut=<file>, 1026 hex lines written by nrk_iverilog_vectors) through it, one entry per cycle;
// the address and data are X while lut_we_i is low (+xidle=1). Included inside tb_activation /
// tb_mlgru before the DUT (load_lut calls the testbench's check_outputs).
  logic                    lut_we_i;
  nrk_pkg::sigmoid_idx_t   lut_waddr_i;
  nrk_pkg::sigmoid_entry_t lut_wdata_i;
  nrk_pkg::sigmoid_entry_t lut_img [nrk_pkg::SigmoidLutEntries];

  task automatic load_lut;
    string                 lut_path;
    nrk_pkg::sigmoid_idx_t i;   // 0..1025 fit its 11 bits
    begin
      if (!$value$plusargs("lut=%s", lut_path)) begin
        $display("FATAL: no +lut=<file>");
        $fatal(1);
      end
      for (i = 0; i < nrk_pkg::SigmoidLutEntries; i = i + 1) lut_img[i] = 'x;
      $readmemh(lut_path, lut_img);
      for (i = 0; i < nrk_pkg::SigmoidLutEntries; i = i + 1) begin
        if (`NRK_UNK(lut_img[i])) begin
          $display("FATAL: %0s: entry %0d missing", lut_path, i);
          $fatal(1);
        end
        lut_we_i    = 1'b1;
        lut_waddr_i = i;
        lut_wdata_i = lut_img[i];
        settle();
        check_outputs();
        tick();
      end
      lut_we_i = 1'b0;
      lut_waddr_i = (xidle != 0) ? 'x : '0;
      lut_wdata_i = (xidle != 0) ? 'x : '0;
    end
  endtask
