// tb_lut_load.svh: loads arch::sigmoid_lut() (+lut=<file>, 1025 hex lines written by
// nrk_iverilog_vectors) through the lut_* port, one entry per cycle; the address and data are X
// while lut_we_i is low (+xidle=1). Included inside tb_activation / tb_mlgru after the ports.
  logic [23:0] lut_img [0:1024];

  task automatic load_lut;
    string  lut_path;
    integer i;
    begin
      if (!$value$plusargs("lut=%s", lut_path)) begin
        $display("FATAL: no +lut=<file>");
        $fatal(1);
      end
      for (i = 0; i <= 1024; i = i + 1) lut_img[i] = 'x;
      $readmemh(lut_path, lut_img);
      for (i = 0; i <= 1024; i = i + 1) begin
        if (`NRK_UNK(lut_img[i])) begin
          $display("FATAL: %0s: entry %0d missing", lut_path, i);
          $fatal(1);
        end
        lut_we_i    = 1'b1;
        lut_waddr_i = 11'(i);
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
