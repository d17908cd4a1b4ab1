// SPDX-License-Identifier: Apache-2.0
// nrk_neurocore: the synaptic side of a neurocore: input event FIFO, tile table, lane array with
// its synapse SRAM, accumulator readout (raw and requantized) and clear, accumulator preload.
//
// Re-implements, per event, arch::accumulate_event for WeightEncoding::kPacked2
// (arch/weight_memory.hpp) through nrk_lane_array, and on the readout path arch::requantize
// (docs/numerics.md §5) through nrk_requantize.
//
// Blocks:
//   - Tile table, NumTileSlots slots (tt_we_i): per slot the SRAM byte address of column 0,
//     the tile's rows (1..NumAccumulators; 0 frees the slot) and its fan-in k (1..2^ColWidth).
//     Write a slot only while no event of it is queued or in flight.
//   - Input event FIFO, FifoDepth entries of {slot, column, q} (ev_valid_i / ev_ready_o;
//     ev_ready_o = not full, from registers only). An event written in cycle c is at the head in
//     cycle c + 1. The head goes to the lane array when it accepts (issue_o); an event naming a
//     free slot or a column >= the slot's k is dropped instead and sets err_event_o.
//   - nrk_lane_array (+ nrk_synapse_sram, AccWrite = 1): NumLanes lanes, NumAccumulators int32
//     accumulators with a write port (the preload), one SramPortBits read per cycle. done_o pulses per finished event with its synaptic
//     operations and SRAM words; err_code_o is the lane array's sticky reserved-code (10) flag.
//   - One accumulator set, owned by one slot at a time (acc_live_o, acc_slot_o): the first event
//     issued after a clear, or the first row of a preload, makes its slot the owner; an event of
//     another slot waits at the FIFO head until a readout has cleared the accumulators
//     (nrk_lane_array has no row offset, so the slots cannot have accumulator regions of their
//     own).
//   - Readout (ro_valid_i / ro_ready_o, ro_slot_i, scale): streams rows 0 .. rows(ro_slot_i) - 1
//     through nrk_requantize (S = {ro_scale_mant_i, ro_scale_exp_i}) to acc_valid_o / acc_ready_i
//     with acc_row_o, the raw int32 acc_data_o, the requantized acc_y_o and acc_last_o, then
//     clears the accumulators, err_code_o and err_event_o (the clear happens in the cycle the
//     last row enters the requantizer). A free slot reads no rows and only clears. The rows read
//     are the owner's: read the owning slot (or any slot while acc_live_o is low: zeros).
//     ro_ready_o is high when no event is in flight, none issues this cycle, no readout is
//     reading and no preload is streaming; no event issues while a readout reads.
//   - Preload (pl_valid_i / pl_ready_o, pl_slot_i, pl_row_i, pl_data_i, pl_last_i): a stream of
//     rows, one per cycle, each setting accumulator pl_row_i to the int32 pl_data_i through
//     nrk_lane_array's write port: a tile's saved partial sums (sigma-delta events,
//     docs/numerics.md §5b, or a spill) restored before its next events, which add to them. The
//     first row is accepted when no event is in flight, none issues this cycle, no readout is
//     reading or requested (ro_valid_i low: a readout goes first) and the accumulators are clear
//     or already pl_slot_i's; it makes pl_slot_i the owner (acc_live_o, acc_slot_o: pl_slot_i of
//     the first row counts, the later rows' is ignored). Until the row with pl_last_i is accepted,
//     pl_ready_o stays high, no event issues and no readout starts (a gap with pl_valid_i low
//     holds them off). A row replaces the accumulator's value (preload a slot before its events:
//     what its events had added to that row is lost); rows not written stay as they were (zero
//     after a clear). Rows are any of 0 .. NumAccumulators - 1 in any order; a readout reads the
//     slot's rows 0 .. rows - 1. A preload changes neither err_code_o nor err_event_o.
// Timing (FIFO fed ahead of the lane array): an event issued in cycle a has its last lane step in
//   cycle a + T, where the next event issues (back to back), and done_o in cycle a + T + 1, with
//     T = 2 + S if b mod (NumLanes / 4) = 0, else T = 1 + S + W;  S = ceil(rows / NumLanes),
//     W = ceil((b mod PortBytes + ceil(rows / 4)) / PortBytes) the SRAM words the column spans,
//   b = the column's byte address (base + col ceil(rows / 4)), PortBytes = SramPortBits / 8, for
//   SramPortBits >= 2 NumLanes (nrk_lane_array's stream buffer loses one cycle per word after the
//   first when the column does not start on a lane-step boundary: rtl/neurocore/README.md).
//   A readout accepted in cycle c reads row i in cycle c + 1 + i and presents it at acc_valid_o
//   from cycle c + 3 + i (acc_ready_i high).
//   A preload of n rows whose first row is accepted in cycle c (rows back to back) writes its
//   last row in cycle c + n - 1: n cycles; acc_data_o of a readout, and an event issued, from
//   cycle c + n on see the rows (the first event can issue in cycle c + n).
// Widths: q int8, accumulators int32 (AccWidth of nrk_lane_array), scale mantissa u32, exponent
//   int32, requantized y int32. Parameters: NumLanes a power of two >= 4; NumAccumulators a
//   multiple of NumLanes; SramPortBits a power of two >= 8; SramBytes a power of two, a multiple
//   of SramPortBits / 8; FifoDepth >= 2; NumTileSlots a power of two >= 2.
module nrk_neurocore #(
  parameter bit [31:0] NumLanes        = 16,
  parameter bit [31:0] NumAccumulators = 1024,
  parameter bit [31:0] SramPortBits    = 64,
  parameter bit [31:0] SramBytes       = 65536,
  parameter bit [31:0] FifoDepth       = 64,
  parameter bit [31:0] NumTileSlots    = 16,
  // event column (channel field)
  parameter bit [31:0] ColWidth        = nrk_pkg::EventChanWidth,
  // derived, not to be overridden
  parameter bit [31:0] PortBytes       = SramPortBits / 8,
  parameter bit [31:0] WordAddrWidth   = $clog2(SramBytes / PortBytes),
  parameter bit [31:0] ByteAddrWidth   = $clog2(SramBytes),
  parameter bit [31:0] RowsWidth       = $clog2(NumAccumulators + 1),
  parameter bit [31:0] RowIdxWidth     = $clog2(NumAccumulators),
  parameter bit [31:0] SlotWidth       = $clog2(NumTileSlots),
  parameter bit [31:0] FifoCntWidth    = $clog2(FifoDepth + 1)
) (
  input  logic                                   clk_i,
  input  logic                                   rst_ni,
  // tile table
  input  logic                                   tt_we_i,
  input  logic [SlotWidth-1:0]                   tt_slot_i,
  input  logic [ByteAddrWidth-1:0]               tt_base_i,   // byte address of column 0
  input  logic [RowsWidth-1:0]                   tt_rows_i,   // 1..NumAccumulators, 0: free
  input  logic [ColWidth:0]                      tt_k_i,      // fan-in, 1..2^ColWidth
  // synapse SRAM load port (word address)
  input  logic                                   sram_we_i,
  input  logic [WordAddrWidth-1:0]               sram_waddr_i,
  input  logic [SramPortBits-1:0]                sram_wdata_i,
  // input events
  input  logic                                   ev_valid_i,
  output logic                                   ev_ready_o,
  input  logic [SlotWidth-1:0]                   ev_slot_i,
  input  logic [ColWidth-1:0]                    ev_col_i,
  input  logic signed [nrk_pkg::EventQWidth-1:0] ev_q_i,
  output logic [FifoCntWidth-1:0]                fifo_count_o,
  // lane array activity
  output logic                                   issue_o,     // FIFO head enters the lanes
  output logic                                   done_o,      // an event finished (pulse)
  output logic [RowsWidth-1:0]                   done_sops_o,
  output logic [RowsWidth:0]                     done_words_o,
  // accumulator owner and errors
  output logic                                   acc_live_o,
  output logic [SlotWidth-1:0]                   acc_slot_o,
  output logic                                   err_code_o,  // sticky: a reserved code 10 met
  output logic                                   err_event_o, // sticky: an event was dropped
  // readout command
  input  logic                                   ro_valid_i,
  output logic                                   ro_ready_o,
  input  logic [SlotWidth-1:0]                   ro_slot_i,
  input  logic [31:0]                            ro_scale_mant_i,
  input  logic signed [31:0]                     ro_scale_exp_i,
  // preload stream
  input  logic                                   pl_valid_i,
  output logic                                   pl_ready_o,
  input  logic [SlotWidth-1:0]                   pl_slot_i,   // the first row's counts
  input  logic [RowIdxWidth-1:0]                 pl_row_i,
  input  logic signed [31:0]                     pl_data_i,
  input  logic                                   pl_last_i,
  // readout stream
  output logic                                   acc_valid_o,
  input  logic                                   acc_ready_i,
  output logic [RowIdxWidth-1:0]                 acc_row_o,
  output logic signed [31:0]                     acc_data_o,
  output logic signed [31:0]                     acc_y_o,
  output logic                                   acc_last_o
);
  localparam bit [31:0] FifoW = SlotWidth + ColWidth + nrk_pkg::EventQWidth;
  localparam bit [31:0] PtrW  = $clog2(FifoDepth);
  localparam bit [31:0] SideW = 1 + RowIdxWidth + 32;        // {last, row, acc}

  // ---- Tile table --------------------------------------------------------------------------
  logic [NumTileSlots-1:0]  tt_valid_q;
  logic [ByteAddrWidth-1:0] tt_base_q [NumTileSlots];
  logic [RowsWidth-1:0]     tt_rows_q [NumTileSlots];
  logic [ColWidth:0]        tt_k_q    [NumTileSlots];

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      tt_valid_q <= '0;
    end else if (tt_we_i) begin
      tt_valid_q[tt_slot_i] <= (tt_rows_i != '0);
    end
  end

  always_ff @(posedge clk_i) begin
    if (tt_we_i) begin
      tt_base_q[tt_slot_i] <= tt_base_i;
      tt_rows_q[tt_slot_i] <= tt_rows_i;
      tt_k_q[tt_slot_i]    <= tt_k_i;
    end
  end

  // ---- Input event FIFO --------------------------------------------------------------------
  logic [FifoW-1:0]        fifo_q [FifoDepth];
  logic [PtrW-1:0]         wptr_q, rptr_q;
  logic [FifoCntWidth-1:0] count_q;
  logic                    push, pop;

  assign ev_ready_o   = (count_q != FifoCntWidth'(FifoDepth));
  assign push         = ev_valid_i && ev_ready_o;
  assign fifo_count_o = count_q;

  always_ff @(posedge clk_i) begin
    if (push) fifo_q[wptr_q] <= {ev_slot_i, ev_col_i, ev_q_i};
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      wptr_q  <= '0;
      rptr_q  <= '0;
      count_q <= '0;
    end else begin
      if (push) wptr_q <= (wptr_q == PtrW'(FifoDepth - 1)) ? '0 : wptr_q + PtrW'(1);
      if (pop)  rptr_q <= (rptr_q == PtrW'(FifoDepth - 1)) ? '0 : rptr_q + PtrW'(1);
      if (push && !pop)      count_q <= count_q + FifoCntWidth'(1);
      else if (pop && !push) count_q <= count_q - FifoCntWidth'(1);
    end
  end

  // ---- Issue to the lane array -------------------------------------------------------------
  logic [SlotWidth-1:0]                   h_slot;
  logic [ColWidth-1:0]                    h_col;
  logic signed [nrk_pkg::EventQWidth-1:0] h_q;
  logic                                   h_ok, may_issue, lane_valid, lane_ready, issue, drop;
  logic                                   live_q;
  logic [SlotWidth-1:0]                   owner_q, cfg_slot;
  logic                                   ro_busy_q, pl_busy_q;

  assign {h_slot, h_col, h_q} = fifo_q[rptr_q];
  assign h_ok       = tt_valid_q[h_slot] && ({1'b0, h_col} < tt_k_q[h_slot]);
  assign may_issue  = (count_q != '0) && !ro_busy_q && !pl_busy_q && (!live_q || (owner_q == h_slot));
  assign lane_valid = may_issue && h_ok;
  assign drop       = may_issue && !h_ok;
  assign issue      = lane_valid && lane_ready;
  assign pop        = issue || drop;
  assign issue_o    = issue;
  // While the accumulators are live every event in flight is the owner's: its configuration
  // stays on the lane array; otherwise the lane array is idle and takes the head's.
  assign cfg_slot   = live_q ? owner_q : h_slot;

  // ---- Lane array ----------------------------------------------------------------------------
  logic                   lane_done, acc_clear, pl_go;
  logic [RowIdxWidth-1:0] acc_rd_row;
  logic signed [31:0]     acc_rd_data;

  nrk_lane_array #(
    .NumLanes     (NumLanes),
    .NumRows      (NumAccumulators),
    .AccWidth     (32),
    .SramPortBits (SramPortBits),
    .SramBytes    (SramBytes),
    .ColWidth     (ColWidth),
    .AccWrite     (1)
  ) u_lanes (
    .clk_i         (clk_i),
    .rst_ni        (rst_ni),
    .rows_i        (tt_rows_q[cfg_slot]),
    .tile_base_i   (tt_base_q[cfg_slot]),
    .ev_valid_i    (lane_valid),
    .ev_ready_o    (lane_ready),
    .ev_col_i      (h_col),
    .ev_q_i        (h_q),
    .done_valid_o  (lane_done),
    .done_sops_o   (done_sops_o),
    .done_words_o  (done_words_o),
    .err_invalid_o (err_code_o),
    .acc_clear_i   (acc_clear),
    .acc_rd_row_i  (acc_rd_row),
    .acc_rd_data_o (acc_rd_data),
    .acc_wr_valid_i(pl_go),
    .acc_wr_row_i  (pl_row_i),
    .acc_wr_data_i (pl_data_i),
    .sram_we_i     (sram_we_i),
    .sram_waddr_i  (sram_waddr_i),
    .sram_wdata_i  (sram_wdata_i)
  );
  assign done_o = lane_done;

  // Events in flight in the lane array (issued, done not yet seen): at most 2 (the next event
  // issues in the cycle of the last lane step, done follows one cycle later).
  logic [1:0] inflight_q;
  logic       lane_idle;
  assign lane_idle = (inflight_q == 2'd0) || ((inflight_q == 2'd1) && lane_done);

  // ---- Readout -----------------------------------------------------------------------------
  logic                 ro_go, rq_in_valid, rq_in_ready, rq_in, rq_out, ro_last;
  logic [RowsWidth-1:0] ro_row_q, ro_rows_q;
  logic [31:0]          ro_mant_q;
  logic signed [31:0]   ro_exp_q;

  assign ro_ready_o  = !ro_busy_q && !pl_busy_q && lane_idle && !issue;
  assign ro_go       = ro_valid_i && ro_ready_o;
  assign rq_in_valid = ro_busy_q && (ro_row_q != ro_rows_q);
  assign rq_in       = rq_in_valid && rq_in_ready;
  assign ro_last     = (ro_row_q + RowsWidth'(1)) == ro_rows_q;
  assign acc_clear   = ro_busy_q && ((ro_rows_q == '0) || (rq_in && ro_last));
  assign acc_rd_row  = RowIdxWidth'(ro_row_q);

  // ---- Preload -----------------------------------------------------------------------------
  // The first row waits as a readout command does (and lets a requested readout go first); the
  // rows after it are taken every cycle they come.
  assign pl_ready_o = pl_busy_q || (!ro_busy_q && !ro_valid_i && lane_idle && !issue &&
                                    (!live_q || (owner_q == pl_slot_i)));
  assign pl_go      = pl_valid_i && pl_ready_o;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      live_q      <= 1'b0;
      owner_q     <= '0;
      inflight_q  <= '0;
      ro_busy_q   <= 1'b0;
      pl_busy_q   <= 1'b0;
      ro_row_q    <= '0;
      ro_rows_q   <= '0;
      ro_mant_q   <= '0;
      ro_exp_q    <= '0;
      err_event_o <= 1'b0;
    end else begin
      inflight_q <= inflight_q + 2'(issue) - 2'(lane_done);
      if (issue) begin
        live_q  <= 1'b1;
        owner_q <= h_slot;
      end
      if (drop) err_event_o <= 1'b1;
      if (pl_go) begin
        pl_busy_q <= !pl_last_i;
        if (!pl_busy_q) begin   // the first row: pl_slot_i owns the accumulators
          live_q  <= 1'b1;
          owner_q <= pl_slot_i;
        end
      end
      if (ro_go) begin
        ro_busy_q <= 1'b1;
        ro_row_q  <= '0;
        ro_rows_q <= tt_valid_q[ro_slot_i] ? tt_rows_q[ro_slot_i] : '0;
        ro_mant_q <= ro_scale_mant_i;
        ro_exp_q  <= ro_scale_exp_i;
      end
      if (rq_in) ro_row_q <= ro_row_q + RowsWidth'(1);
      if (acc_clear) begin   // no event issues while a readout reads
        ro_busy_q   <= 1'b0;
        live_q      <= 1'b0;
        err_event_o <= 1'b0;
      end
    end
  end

  assign acc_live_o = live_q;
  assign acc_slot_o = owner_q;

  // Requantizer, with {last, row, raw accumulator} carried beside it in a 2-entry FIFO that
  // moves with its transfers (the requantizer holds at most 2 values).
  nrk_requantize u_requant (
    .clk_i        (clk_i),
    .rst_ni       (rst_ni),
    .in_valid_i   (rq_in_valid),
    .in_ready_o   (rq_in_ready),
    .acc_i        (acc_rd_data),
    .scale_mant_i (ro_mant_q),
    .scale_exp_i  (ro_exp_q),
    .out_valid_o  (acc_valid_o),
    .out_ready_i  (acc_ready_i),
    .y_o          (acc_y_o)
  );
  assign rq_out = acc_valid_o && acc_ready_i;

  logic [SideW-1:0] side_q [2];
  logic             side_w_q, side_r_q;

  always_ff @(posedge clk_i) begin
    if (rq_in) side_q[side_w_q] <= {ro_last, acc_rd_row, acc_rd_data};
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      side_w_q <= 1'b0;
      side_r_q <= 1'b0;
    end else begin
      if (rq_in)  side_w_q <= !side_w_q;
      if (rq_out) side_r_q <= !side_r_q;
    end
  end

  assign {acc_last_o, acc_row_o, acc_data_o} = side_q[side_r_q];
endmodule
