// SPDX-License-Identifier: Apache-2.0
// nrk_mlgru: the MLGRU neuron unit, one channel of one token per transaction.
//
// Re-implements arch::mlgru_channel_q16 and its parts (docs/numerics.md §6):
//   sigma = sigmoid_q24(fz)
//   f     = bounded ? forget_gate_q24(sigma, lb) = lb + round_shift((2^24 - lb) * sigma, 24)
//                   : sigma                                                         (UQ7.24)
//   c     = mlgru_candidate_q20(silu_q16(i), 2^24 - f)
//         = saturate_i32(round_shift(silu(i) * (2^24 - f), 20))                     (Q11.20)
//   h'    = mlgru_state_update_q20(f, h, c) = saturate_i32(round_shift(f * h, 24) + c)
//   y     = silu_q16(round_shift(h', 4))                                            (Q15.16)
// The state memory is outside the unit: h_i is the channel's state before the token, h_o after.
// f_o and c_o expose the forget gate and the candidate so that the harness checks the parts.
// Sigmoid / SiLU: one nrk_activation (its table loaded through lut_*), used three times.
// Arithmetic: one shared signed 33 x 33 -> 66-bit multiplier; 2^24 - lb and 2^24 - f are
// formed in 33 bits (exact for any int32 lb; arch forms 2^24 - f in int32, which is the same
// value wherever arch's int32 arithmetic does not overflow, i.e. for lb in [0, 2^24]).
// f = lb + round_shift(...) wraps to 32 bits like arch's cast (no wrap for sigma in [0, 2^24]).
// Timing: sequential FSM, one channel at a time: output valid 13 cycles after the input is
// accepted (three passes through the 3-stage activation pipeline, the first two overlapped, and
// three multiply steps), the next input accepted one cycle after the output is taken: 14
// cycles per channel.
// Handshake: valid/ready on input and output; in_ready_o is high only in the idle state.
module nrk_mlgru (
  input  logic               clk_i,
  input  logic               rst_ni,
  // sigmoid table load port (to the activation unit)
  input  logic                    lut_we_i,
  input  nrk_pkg::sigmoid_idx_t   lut_waddr_i,
  input  nrk_pkg::sigmoid_entry_t lut_wdata_i,
  // input transaction
  input  logic                    in_valid_i,
  output logic                    in_ready_o,
  input  nrk_pkg::act_t           i_i,        // BitLinear output i
  input  nrk_pkg::act_t           fz_i,       // BitLinear output f_z
  input  nrk_pkg::gate_t          lb_i,       // lower bound of this layer and channel
  input  logic                    bounded_i,  // use the lower bound (layer > 0, use_lower_bound)
  input  nrk_pkg::state_t         h_i,        // state before
  // output transaction
  output logic                    out_valid_o,
  input  logic                    out_ready_i,
  output nrk_pkg::state_t         h_o,        // state after
  output nrk_pkg::act_t           y_o,        // SiLU(h) (output-gate operand)
  output nrk_pkg::gate_t          f_o,        // forget gate
  output nrk_pkg::state_t         c_o         // candidate
);
  typedef enum logic [3:0] {
    StIdle, StActF, StActI, StWaitF, StWaitI, StGate, StCand, StState, StActH, StWaitH, StDone
  } state_e;
  state_e state_q, state_d;

  localparam logic signed [32:0] GateOne = 33'(nrk_pkg::GateOne);  // 2^24

  // ---- Operand and result registers -------------------------------------------------------
  logic signed [31:0] i_q, fz_q, lb_q, h_q;
  logic               bounded_q;
  logic signed [31:0] sigma_q, silu_i_q, f_q, c_q, hn_q, y_q;

  // ---- Activation unit ---------------------------------------------------------------------
  logic               act_in_valid, act_in_ready, act_out_valid, act_out_ready;
  logic signed [31:0] act_z, act_sigma, act_silu;

  nrk_activation u_act (
    .clk_i       (clk_i),
    .rst_ni      (rst_ni),
    .lut_we_i    (lut_we_i),
    .lut_waddr_i (lut_waddr_i),
    .lut_wdata_i (lut_wdata_i),
    .in_valid_i  (act_in_valid),
    .in_ready_o  (act_in_ready),
    .z_i         (act_z),
    .out_valid_o (act_out_valid),
    .out_ready_i (act_out_ready),
    .sigma_o     (act_sigma),
    .silu_o      (act_silu)
  );

  // round_shift(h', 4): Q11.20 -> Q15.16 (fits 29 bits)
  logic signed [28:0] hs;
  nrk_round_shift #(.InWidth(32), .Shift(nrk_pkg::StateFrac - nrk_pkg::ActFrac)) u_rs_h (
    .val_i(hn_q),
    .val_o(hs)
  );

  always_comb begin
    act_in_valid = 1'b0;
    act_z        = fz_q;
    unique case (state_q)
      StActF: begin act_in_valid = 1'b1; act_z = fz_q; end
      StActI: begin act_in_valid = 1'b1; act_z = i_q; end
      StActH: begin act_in_valid = 1'b1; act_z = 32'(hs); end
      default: ;
    endcase
  end
  assign act_out_ready = (state_q == StWaitF) || (state_q == StWaitI) || (state_q == StWaitH);

  // ---- Shared multiplier and rounding ------------------------------------------------------
  logic signed [32:0] mul_a, mul_b;
  logic signed [65:0] mul_p;
  logic signed [42:0] p_rs24;   // round_shift(p, 24)
  logic signed [46:0] p_rs20;   // round_shift(p, 20)

  always_comb begin
    unique case (state_q)
      StGate:  begin mul_a = GateOne - 33'(lb_q);   mul_b = 33'(sigma_q); end
      StCand:  begin mul_a = 33'(silu_i_q);         mul_b = GateOne - 33'(f_q); end
      default: begin mul_a = 33'(f_q);              mul_b = 33'(h_q); end  // StState
    endcase
  end
  assign mul_p = 66'(mul_a) * 66'(mul_b);

  nrk_round_shift #(.InWidth(66), .Shift(nrk_pkg::GateFrac)) u_rs24 (
    .val_i(mul_p),
    .val_o(p_rs24)
  );
  nrk_round_shift #(.InWidth(66), .Shift(nrk_pkg::StateFrac)) u_rs20 (
    .val_i(mul_p),
    .val_o(p_rs20)
  );

  // forget gate: lb + round_shift(...), wrapped to 32 bits as arch's cast does
  logic signed [31:0] f_gate;
  assign f_gate = lb_q + p_rs24[31:0];

  // candidate: saturate_i32(round_shift(p, 20))
  nrk_pkg::state_t c_sat;
  assign c_sat = nrk_pkg::sat_i32(64'(p_rs20));

  // state: saturate_i32(round_shift(f * h, 24) + c)
  logic signed [43:0] h_sum;
  nrk_pkg::state_t    h_sat;
  assign h_sum = 44'(p_rs24) + 44'(c_q);
  assign h_sat = nrk_pkg::sat_i32(64'(h_sum));

  // ---- FSM ---------------------------------------------------------------------------------
  always_comb begin
    state_d = state_q;
    unique case (state_q)
      StIdle:  if (in_valid_i) state_d = StActF;
      StActF:  if (act_in_ready) state_d = StActI;
      StActI:  if (act_in_ready) state_d = StWaitF;
      StWaitF: if (act_out_valid) state_d = StWaitI;
      StWaitI: if (act_out_valid) state_d = StGate;
      StGate:  state_d = StCand;
      StCand:  state_d = StState;
      StState: state_d = StActH;
      StActH:  if (act_in_ready) state_d = StWaitH;
      StWaitH: if (act_out_valid) state_d = StDone;
      StDone:  if (out_ready_i) state_d = StIdle;
      default: state_d = StIdle;
    endcase
  end

  assign in_ready_o  = (state_q == StIdle);
  assign out_valid_o = (state_q == StDone);
  assign h_o = hn_q;
  assign y_o = y_q;
  assign f_o = f_q;
  assign c_o = c_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q   <= StIdle;
      i_q       <= '0;
      fz_q      <= '0;
      lb_q      <= '0;
      h_q       <= '0;
      bounded_q <= 1'b0;
      sigma_q   <= '0;
      silu_i_q  <= '0;
      f_q       <= '0;
      c_q       <= '0;
      hn_q      <= '0;
      y_q       <= '0;
    end else begin
      state_q <= state_d;
      unique case (state_q)
        StIdle: if (in_valid_i) begin
          i_q       <= i_i;
          fz_q      <= fz_i;
          lb_q      <= lb_i;
          h_q       <= h_i;
          bounded_q <= bounded_i;
        end
        StWaitF: if (act_out_valid) sigma_q <= act_sigma;
        StWaitI: if (act_out_valid) silu_i_q <= act_silu;
        StGate:  f_q <= bounded_q ? f_gate : sigma_q;
        StCand:  c_q <= c_sat;
        StState: hn_q <= h_sat;
        StWaitH: if (act_out_valid) y_q <= act_silu;
        default: ;
      endcase
    end
  end
endmodule
