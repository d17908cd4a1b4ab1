// SPDX-License-Identifier: Apache-2.0
// nrk_pkg: the definitions every neurark RTL block shares, written once (as lowRISC's
// ibex_pkg.sv): the fixed-point formats, saturation and magnitude of arch/numerics.hpp, the
// sigmoid table's load port, the event packet fields of arch/noc.hpp and the router's port
// indices. Every tool run that reads a block (Verilator, Icarus, Yosys, lint) reads this file
// first (rtl/README.md).
//
// Dialect, for the three tools the blocks must pass:
//   - the blocks name every item as nrk_pkg::Item: Yosys 0.23 parses no `import nrk_pkg::*;`,
//     neither in a module's header (lowRISC's `module m import ibex_pkg::*; #(...)`) nor in its
//     body;
//   - constants are `localparam bit [31:0]` (Icarus 11 rejects `int unsigned`, which the LRM
//     defines as the same type; rtl/iverilog/README.md);
//   - functions assign their name (Yosys 0.23 has no `return`) and use every bit of their
//     arguments (Verilator -Wall checks the bits of a function's arguments even where it is not
//     called);
//   - a typedef's range is a literal: Icarus 11 resolves a package constant in a typedef's range
//     in the scope of the module that uses the type, and fails (or crashes) there. Widths that
//     other widths derive from are constants (EventQWidth, NumPorts), used as
//     [nrk_pkg::EventQWidth-1:0]; no width is both a constant and a typedef.
// Naming (every block): parameters and localparams UpperCamelCase, types `_t`, enums `_e`,
// functions snake_case (lowRISC style guide).
package nrk_pkg;

  // A block uses some of the constants below, never all: Verilator -Wall would report the rest
  // as unused parameters of every block. Waived here, for this package only (as lowRISC's
  // common Verilator waivers do for every *_pkg.sv).
  /* verilator lint_off UNUSEDPARAM */

  /////////////////////////
  // Fixed-point formats //
  /////////////////////////

  // arch/numerics.hpp: every value an int32 with ActFrac / StateFrac / GateFrac fraction bits.
  localparam bit [31:0] ActFrac   = 16;                  // Q15.16 activations (kActFrac)
  localparam bit [31:0] StateFrac = 20;                  // Q11.20 MLGRU state (kStateFrac)
  localparam bit [31:0] GateFrac  = 24;                  // UQ7.24 gates (kGateFrac)
  localparam bit [31:0] GateOne   = 32'd1 << GateFrac;   // 1.0 in UQ7.24 (kGateOne)

  typedef logic signed [31:0] act_t;    // Q15.16
  typedef logic signed [31:0] state_t;  // Q11.20
  typedef logic signed [31:0] gate_t;   // UQ7.24, held in an int32 as arch holds it

  ////////////////////////////
  // Saturation, magnitudes //
  ////////////////////////////

  // arch::saturate_i32: v clamped to [-2^31, 2^31 - 1]. Callers sign-extend narrower values
  // (64'(x) of a signed x).
  function automatic logic signed [31:0] sat_i32(logic signed [63:0] v);
    if (v > 64'sh0000_0000_7fff_ffff) begin
      sat_i32 = 32'sh7fff_ffff;
    end else if (v < -64'sh0000_0000_8000_0000) begin
      sat_i32 = -32'sh8000_0000;
    end else begin
      sat_i32 = v[31:0];
    end
  endfunction

  // min(v, 2^31) of an unsigned v: a magnitude capped where int32 saturation starts.
  function automatic logic [31:0] min_2p31(logic [63:0] v);
    min_2p31 = (v >= 64'h8000_0000) ? 32'h8000_0000 : v[31:0];
  endfunction

  // saturate_i32 of a value given as sign and magnitude (arch::requantize's last step):
  // -min(mag, 2^31) if neg, min(mag, 2^31 - 1) otherwise.
  function automatic logic signed [31:0] sat_i32_sign_mag(logic neg, logic [63:0] mag);
    logic [31:0] m;
    m = min_2p31(mag);
    if (neg) begin
      sat_i32_sign_mag = $signed(32'd0 - m);         // -2^31 when mag >= 2^31
    end else if (m == 32'h8000_0000) begin
      sat_i32_sign_mag = 32'sh7fff_ffff;
    end else begin
      sat_i32_sign_mag = $signed(m);
    end
  endfunction

  // |v| as an unsigned value of the same width (arch's magnitude(): 2^31 for INT32_MIN, 2^63
  // for INT64_MIN). Two widths, two functions: a function has one width (a width-generic one
  // needs a parameterized class, which Yosys does not read), and Icarus 11 cannot narrow a
  // function's result with a cast (32'(mag64(...))).
  function automatic logic [31:0] mag32(logic signed [31:0] v);
    if (v[31]) begin
      mag32 = 32'd0 - 32'(v);
    end else begin
      mag32 = 32'(v);
    end
  endfunction
  function automatic logic [63:0] mag64(logic signed [63:0] v);
    if (v[63]) begin
      mag64 = 64'd0 - 64'(v);
    end else begin
      mag64 = 64'(v);
    end
  endfunction

  ///////////////////
  // Sigmoid table //
  ///////////////////

  // arch::sigmoid_lut(): L[0..SigmoidLutEntries - 1] = L[0..1025], entry i = sigmoid(i / 64) in
  // UQ0.32; segment i covers |z| in [i, i + 1) * 2^SigmoidLutStepLog2 (Q15.16) and reads L[i],
  // L[i + 1], L[i + 2] (quadratic interpolation); |z| >= SigmoidRange saturates.
  localparam bit [31:0] SigmoidLutSegments = 1024;  // kSigmoidLutSegments
  localparam bit [31:0] SigmoidLutStepLog2 = 10;    // kSigmoidLutStepLog2
  localparam bit [31:0] SigmoidLutEntries  = SigmoidLutSegments + 2;  // kSigmoidLutEntries
  localparam bit [31:0] SigmoidLutFrac     = 32;    // kSigmoidLutFrac: entries in UQ0.32
  localparam bit [31:0] SigmoidRange       = SigmoidLutSegments << SigmoidLutStepLog2;  // 16.0

  // The table's load port (lut_we_i, lut_waddr_i, lut_wdata_i of nrk_sigmoid_lut,
  // nrk_activation and nrk_mlgru): one entry per cycle, image `lut.sigmoid_q32`.
  typedef logic [10:0] sigmoid_idx_t;    // entry index 0..1025: $clog2(SigmoidLutEntries) bits
  typedef logic [9:0]  sigmoid_seg_t;    // segment index 0..1023 (a read)
  typedef logic [31:0] sigmoid_entry_t;  // UQ0.32, every entry < 2^32 (unsigned)

  ///////////////////
  // Event packets //
  ///////////////////

  // arch::pack_event: q (int8 activation code) in [7:0], channel (the BitLinear input index k)
  // in [23:8], flow from bit 24 up (its width is the block's FlowWidth).
  localparam bit [31:0] EventQWidth    = 8;
  localparam bit [31:0] EventChanWidth = 16;
  localparam bit [31:0] EventFlowLsb   = EventQWidth + EventChanWidth;  // 24

  //////////////////
  // Router ports //
  //////////////////

  // Port p of a router is the port of arch::PortBit 1 << p.
  localparam bit [31:0] NumPorts  = 5;  // arch::kPorts
  localparam bit [31:0] PortEast  = 0;  // +x
  localparam bit [31:0] PortWest  = 1;  // -x
  localparam bit [31:0] PortSouth = 2;  // +y
  localparam bit [31:0] PortNorth = 3;  // -y
  localparam bit [31:0] PortLocal = 4;  // the neurocore (or the host at its attach point)

  /* verilator lint_on UNUSEDPARAM */

endpackage
