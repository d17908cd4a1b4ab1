// SPDX-License-Identifier: Apache-2.0
// tb_common.svh: included inside every Icarus testbench module (rtl/iverilog/README.md).
//
// Cycle convention (as rtl/datapath/dp_sim.hpp): the clock is low between cycles; a testbench
// sets the inputs of a cycle, calls settle() (#1: combinational outputs valid), samples outputs
// and decides which handshakes complete, then tick() gives the rising and falling edge.
// Plusargs: +vec=<file> (the vector file), +seed=<n> (handshake throttling),
//   +xidle=0 (drive data inputs to 0 instead of X while their valid is low; default X).
// Every output listed in the testbench's check_outputs task is checked for X/Z bits at every
// sample point after reset (and with its valid for data outputs): any X/Z fails the run.
// Result lines: "FIRST-FAIL ..." (the first failing vector: inputs, expected, actual),
// "X-FAIL ..." (the first unknown output bit), then
//   "SUMMARY <block>: vectors=<n> mismatches=<m> x=<k> cycles=<c>" and "RESULT: PASS|FAIL".
//
// Unknown bits are detected with `NRK_UNK(v): the XOR reduction of v is X if any bit of v is X
// or Z. ($isunknown is not used: Icarus 11 evaluates `if ($isunknown({a, b}))` as true for
// known a, b: the concatenated-argument case inside a condition is broken.)
`define NRK_UNK(v) ((^(v)) === 1'bx)

  logic clk_i = 1'b0;
  logic rst_ni = 1'b1;

  string  vec_path;
  integer seed = 1;
  integer xidle = 1;
  integer n_vec = 0, n_mis = 0, n_x = 0, n_fail_lines = 0;
  longint cycles = 0;
  integer timeout_cycles = 20000;   // per testbench: fail if no progress for this long

  task automatic tb_args;
    begin
      if (!$value$plusargs("vec=%s", vec_path)) begin
        $display("FATAL: no +vec=<file>");
        $fatal(1);
      end
      if (!$value$plusargs("seed=%d", seed)) seed = 1;
      if (!$value$plusargs("xidle=%d", xidle)) xidle = 1;
      seed = seed ^ 32'h1ca7_05ed;
    end
  endtask

  function automatic integer tb_open(input string path);
    integer fd;
    begin
      fd = $fopen(path, "r");
      if (fd == 0) begin
        $display("FATAL: cannot open %0s", path);
        $fatal(1);
      end
      tb_open = fd;
    end
  endfunction

  // True with probability pct / 100 (handshake throttling).
  function automatic bit chance(input integer pct);
    integer r;
    begin
      r = $random(seed);
      if (r < 0) r = -r;
      if (r < 0) r = 0;
      chance = (r % 100) < pct;
    end
  endfunction

  task automatic settle;
    #1;
  endtask

  task automatic tick;
    begin
      #4 clk_i = 1'b1;
      #5 clk_i = 1'b0;
      cycles = cycles + 1;
    end
  endtask

  // Asynchronous reset for two cycles, released with the clock low.
  task automatic tb_reset;
    begin
      rst_ni = 1'b0;
      settle();
      tick();
      tick();
      rst_ni = 1'b1;
    end
  endtask

  // One unknown output: counted once per sample point by the caller's check_outputs.
  task automatic x_found(input string what, input string why);
    begin
      n_x = n_x + 1;
      if (n_x == 1) $display("X-FAIL: cycle %0d: %0s has X/Z bits (%0s)", cycles, what, why);
    end
  endtask

  // Counts a compared vector. ok: equal; has_x: the actual value has X/Z bits (counted as X, not
  // as a mismatch). Returns 1 for the first failure of the run: the caller then prints it
  // ("FIRST-FAIL: " + inputs, expected, actual), so the message is formatted only then.
  function automatic bit first_fail(input bit ok, input bit has_x);
    begin
      n_vec = n_vec + 1;
      if (has_x) n_x = n_x + 1;
      else if (!ok) n_mis = n_mis + 1;
      first_fail = (has_x || !ok) && n_fail_lines == 0;
      if (first_fail) n_fail_lines = 1;
    end
  endfunction

  // A failure not tied to one vector (a timeout, a missing or extra output).
  task automatic tb_fail(input string what);
    begin
      n_mis = n_mis + 1;
      if (n_fail_lines == 0) begin
        n_fail_lines = 1;
        $display("FIRST-FAIL: %0s", what);
      end
    end
  endtask

  task automatic tb_finish(input string block);
    begin
      $display("SUMMARY %0s: vectors=%0d mismatches=%0d x=%0d cycles=%0d", block, n_vec, n_mis, n_x, cycles);
      if (n_vec > 0 && n_mis == 0 && n_x == 0) begin
        $display("RESULT: PASS");
        $finish;
      end else begin
        $display("RESULT: FAIL");
        $fatal(1);
      end
    end
  endtask

  function automatic string src_name(input integer src);
    src_name = (src == 0) ? "random" : "edge case";
  endfunction
