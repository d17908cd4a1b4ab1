// SPDX-License-Identifier: Apache-2.0
// nrk_lane_array: the accumulate lanes of a neurocore: one input event (column k, int8 q)
// adds / subtracts / skips q into the accumulators of every row of the tile, reading the
// tile's packed2 column from the synapse SRAM.
//
// Re-implements arch::accumulate_event for WeightEncoding::kPacked2 (arch/weight_memory.hpp;
// docs/numerics.md §2 "Ternary codes", "Synaptic operation"): for every tile row r < rows,
//   code = bits [2 (r % 4) +: 2] of byte r / 4 of the column (column k at byte
//          tile_base + k * ceil(rows / 4)); 01: acc[r] += q, 11: acc[r] -= q, 00: skip,
//   10: reserved: the row is skipped and err_invalid_o is set (arch throws; the valid rows are
//       updated in both). Codes in the padding bits of the last byte (rows r >= rows) are
//       ignored, as in arch.
// Int32 accumulators, no saturation (|acc| <= 128 K cannot wrap for fan-in K <= 2^23).
// done_sops_o is arch's EventCost::synaptic_ops (non-zero codes of rows < rows).
// Micro-architecture:
//   - SRAM words of SramPortBits are read one per cycle from the word holding the column's
//     first byte; a byte-aligned stream buffer (PortBytes + NumLanes/4 bytes) drops the leading
//     bytes of the first word and hands the lanes NumLanes codes (rows g*NumLanes ..
//     g*NumLanes+NumLanes-1) per cycle.
//   - Accumulators are banked by lane: row r lives in bank r % NumLanes, entry r / NumLanes, and
//     is only ever read and written by lane r % NumLanes; a live bit per row makes the clear 1
//     cycle.
//   - Words read per event: ceil((off + ceil(rows / 4)) / PortBytes), off = first byte's
//     position in its word (PortBytes = SramPortBits / 8); arch's EventCost::sram_words,
//     ceil(2 rows / port_bits), assumes off = 0, so an unaligned column costs at most one word
//     more here.
// Timing: the first lane step comes 3 cycles after the event is accepted (first read, SRAM
//   latency, buffer); then one lane step per cycle while the SRAM keeps up (one word per cycle,
//   PortBytes bytes = 4 PortBytes rows). The next event is accepted in the cycle of the last
//   lane step (ev_ready_o), so back-to-back events cost 2 + max(ceil(rows / NumLanes), ~words)
//   cycles each (18 for a 256-row tile with 16 lanes and a 64-bit port). The lanes are dense: a
//   group of zero weights still takes its cycle (arch's cost model charges ceil(sops / lanes),
//   as if the lanes skipped zero weights).
// Handshake: ev_valid_i / ev_ready_o; done_valid_o pulses one cycle per finished event (no
//   backpressure) with its synaptic operations and SRAM words. rows_i and tile_base_i are tile
//   configuration, held while events run. acc_clear_i (use while no event is in flight) zeroes
//   every accumulator and err_invalid_o in one cycle. acc_rd_row_i /
//   acc_rd_data_o read one accumulator combinationally. sram_* loads the SRAM (word address).
// Accumulator write port (AccWrite = 1; the preload of nrk_neurocore, sigma-delta events:
//   docs/numerics.md §5b): acc_wr_valid_i sets accumulator acc_wr_row_i to acc_wr_data_i (int32,
//   AccWidth bits) in one cycle, one row per cycle, through the lane of that row (bank
//   acc_wr_row_i % NumLanes): acc_rd_data_o shows it from the next cycle, and events accepted
//   after it add to it. Use it while no event is in flight (ev_ready_o high and no lane step: as
//   acc_clear_i) and not in the cycle of acc_clear_i; a written row replaces the value the row
//   had (written rows count as live until the next clear). With AccWrite = 0 (the default: the
//   lane array of the area table, rtl/blocks.json) the port is not built and its inputs are
//   unused.
// Parameters: NumLanes a power of two >= 4; NumRows a multiple of NumLanes; SramPortBits a power
//   of two >= 8; SramBytes a power of two, a multiple of SramPortBits / 8; AccWrite 0 or 1.
module nrk_lane_array #(
  parameter bit [31:0] NumLanes      = 16,
  parameter bit [31:0] NumRows       = 64,     // accumulators (max rows of a tile)
  parameter bit [31:0] AccWidth      = 32,
  parameter bit [31:0] SramPortBits  = 64,
  parameter bit [31:0] SramBytes     = 65536,
  // event column (channel field)
  parameter bit [31:0] ColWidth      = nrk_pkg::EventChanWidth,
  // 1: the accumulator write port acc_wr_* is built
  parameter bit [31:0] AccWrite      = 0,
  // derived, not to be overridden
  parameter bit [31:0] PortBytes     = SramPortBits / 8,
  parameter bit [31:0] NumWords      = SramBytes / PortBytes,
  parameter bit [31:0] WordAddrWidth = $clog2(NumWords),
  parameter bit [31:0] ByteAddrWidth = $clog2(SramBytes),
  parameter bit [31:0] RowsWidth     = $clog2(NumRows + 1),
  parameter bit [31:0] RowIdxWidth   = $clog2(NumRows)
) (
  input  logic                                   clk_i,
  input  logic                                   rst_ni,
  // tile configuration
  input  logic [RowsWidth-1:0]                   rows_i,        // 1..NumRows
  input  logic [ByteAddrWidth-1:0]               tile_base_i,   // byte address of column 0
  // input events
  input  logic                                   ev_valid_i,
  output logic                                   ev_ready_o,
  input  logic [ColWidth-1:0]                    ev_col_i,
  input  logic signed [nrk_pkg::EventQWidth-1:0] ev_q_i,
  // event completion
  output logic                                   done_valid_o,
  output logic [RowsWidth-1:0]                   done_sops_o,
  output logic [RowsWidth:0]                     done_words_o,
  output logic                                   err_invalid_o, // sticky: reserved code 10 met
  // accumulators
  input  logic                                   acc_clear_i,
  input  logic [RowIdxWidth-1:0]                 acc_rd_row_i,
  output logic signed [AccWidth-1:0]             acc_rd_data_o,
  input  logic                                   acc_wr_valid_i, // AccWrite only: set one row
  input  logic [RowIdxWidth-1:0]                 acc_wr_row_i,
  input  logic signed [AccWidth-1:0]             acc_wr_data_i,
  // SRAM load port
  input  logic                                   sram_we_i,
  input  logic [WordAddrWidth-1:0]               sram_waddr_i,
  input  logic [SramPortBits-1:0]                sram_wdata_i
);
  localparam bit [31:0] PbLog2    = $clog2(PortBytes);
  localparam bit [31:0] OffW      = PbLog2 + 1;            // byte offset in a word (+1: 1 byte)
  localparam bit [31:0] GroupB    = NumLanes / 4;          // bytes of one lane step
  localparam bit [31:0] BufB      = PortBytes + GroupB;    // stream buffer bytes
  localparam bit [31:0] BufW      = 8 * BufB;
  localparam bit [31:0] NbW       = $clog2(BufB + 1);
  localparam bit [31:0] Groups    = NumRows / NumLanes;
  localparam bit [31:0] GrpW      = (Groups > 1) ? $clog2(Groups) : 1;
  localparam bit [31:0] LanesLog2 = $clog2(NumLanes);
  localparam bit [31:0] WcW       = RowsWidth + 1;         // words per event, <= NumRows/4 + 2

  // ---- SRAM --------------------------------------------------------------------------------
  logic                     rd_en;
  logic [WordAddrWidth-1:0] rd_addr_q;
  logic [SramPortBits-1:0]  rd_data;

  nrk_synapse_sram #(.WordWidth(SramPortBits), .Depth(NumWords)) u_sram (
    .clk_i   (clk_i),
    .we_i    (sram_we_i),
    .waddr_i (sram_waddr_i),
    .wdata_i (sram_wdata_i),
    .re_i    (rd_en),
    .raddr_i (rd_addr_q),
    .rdata_o (rd_data)
  );

  // ---- Event state -------------------------------------------------------------------------
  logic                                   busy_q;
  logic [WcW-1:0]                         words_left_q, words_q;
  logic [OffW-1:0]                        drop_q;        // bytes to drop from the first word
  logic                                   first_q;       // the next word read is the first
  logic                                   rvalid_q;      // a read was issued last cycle
  logic signed [nrk_pkg::EventQWidth-1:0] q_q;
  logic [RowsWidth-1:0]                   codes_left_q;  // rows not yet handed to the lanes
  logic [GrpW-1:0]                        grp_q;         // lane step: rows grp*NumLanes ..
  logic [BufW-1:0]                        buf_q;         // codes, LSB first
  logic [NbW-1:0]                         nbytes_q;      // valid bytes in buf_q
  logic [RowsWidth-1:0]                   sops_q;

  // Accept: the column's byte address, first word, offset and word count.
  logic                     accept;
  logic [RowsWidth-1:0]     col_bytes;
  logic [ByteAddrWidth-1:0] start_b;
  logic [ByteAddrWidth-1:0] word0;
  logic [OffW-1:0]          off;
  logic [WcW-1:0]           nwords;
  logic [ByteAddrWidth-1:0] col_off;               // k * col_bytes modulo the SRAM size

  assign col_bytes = RowsWidth'((rows_i + RowsWidth'(3)) >> 2);
  assign col_off   = ByteAddrWidth'(ev_col_i) * ByteAddrWidth'(col_bytes);
  // The column's byte address is taken modulo the SRAM size: with an SRAM of fewer than
  // 2^ColWidth bytes the column bits above the byte address cannot name a byte of any tile
  // (k x col_bytes <= SramBytes), so they are not used.
  if (ColWidth > ByteAddrWidth) begin : g_col_high
    logic unused_col_high;
    assign unused_col_high = ^ev_col_i[ColWidth-1:ByteAddrWidth];
  end
  assign start_b   = tile_base_i + col_off;
  assign word0     = start_b >> PbLog2;
  assign off       = OffW'(start_b - (word0 << PbLog2));
  assign nwords    = WcW'((WcW'(off) + WcW'(col_bytes) + WcW'(PortBytes - 1)) >> PbLog2);

  // ---- Lane step ---------------------------------------------------------------------------
  logic [RowsWidth:0] need_bits;       // 2 * min(NumLanes, codes_left)
  logic               pop, final_pop;
  assign need_bits = (codes_left_q >= RowsWidth'(NumLanes)) ? (RowsWidth + 1)'(2 * NumLanes)
                                                     : {codes_left_q, 1'b0};
  assign pop       = busy_q && (32'({nbytes_q, 3'b000}) >= 32'(need_bits));
  assign final_pop = pop && (codes_left_q <= RowsWidth'(NumLanes));
  assign accept    = ev_valid_i && ev_ready_o;
  assign ev_ready_o = !busy_q || final_pop;

  logic [NumLanes-1:0]          lane_we, lane_inv;
  logic [NumLanes*AccWidth-1:0] lane_old;        // lane l: bits [l*AccWidth +: AccWidth]
  logic [NumLanes*AccWidth-1:0] lane_new;
  logic [RowsWidth-1:0]         step_sops;
  logic [AccWidth-1:0]          q_ext;
  logic [NumLanes*2-1:0]        code;            // lane l: bits [2l +: 2]
  logic [NumLanes-1:0]          in_tile;
  assign q_ext = AccWidth'(q_q);   // sign-extended
  assign code  = buf_q[2*NumLanes-1:0];

  always_comb begin
    step_sops = '0;
    for (int unsigned l = 0; l < NumLanes; l++) begin
      in_tile[l]  = RowsWidth'(l) < codes_left_q;
      lane_we[l]  = pop && in_tile[l] && code[2*l];                  // 01 (+1) or 11 (-1)
      lane_inv[l] = pop && in_tile[l] && code[2*l+1] && !code[2*l];  // 10 (reserved)
      lane_new[l*AccWidth +: AccWidth] = code[2*l+1] ? (lane_old[l*AccWidth +: AccWidth] - q_ext)
                                               : (lane_old[l*AccWidth +: AccWidth] + q_ext);
      step_sops   = step_sops + RowsWidth'(lane_we[l]);
    end
  end

  // ---- Stream buffer -----------------------------------------------------------------------
  logic                    push;
  logic [SramPortBits-1:0] incoming;
  logic [NbW-1:0]          in_bytes, nb_after_pop, nbytes_d;
  logic [BufW-1:0]         buf_after_pop, buf_d;
  logic                    issue;

  assign push          = rvalid_q;
  assign incoming      = first_q ? (rd_data >> {drop_q, 3'b000}) : rd_data;
  assign in_bytes      = first_q ? NbW'(PortBytes - 32'(drop_q)) : NbW'(PortBytes);
  assign nb_after_pop  = final_pop ? '0 : (pop ? nbytes_q - NbW'(GroupB) : nbytes_q);
  assign buf_after_pop = final_pop ? '0 : (pop ? (buf_q >> (8 * GroupB)) : buf_q);
  assign buf_d         = push ? (buf_after_pop | (BufW'(incoming) << {nb_after_pop, 3'b000}))
                              : buf_after_pop;
  assign nbytes_d      = nb_after_pop + (push ? in_bytes : '0);
  // Issue a read if its word will fit next cycle whatever the lanes do then.
  assign issue = busy_q && (words_left_q != '0)
                 && ((32'(nbytes_d) + PortBytes) <= BufB);
  assign rd_en = issue;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      busy_q        <= 1'b0;
      rd_addr_q     <= '0;
      words_left_q  <= '0;
      words_q       <= '0;
      drop_q        <= '0;
      first_q       <= 1'b0;
      rvalid_q      <= 1'b0;
      q_q           <= '0;
      codes_left_q  <= '0;
      grp_q         <= '0;
      buf_q         <= '0;
      nbytes_q      <= '0;
      sops_q        <= '0;
      done_valid_o  <= 1'b0;
      done_sops_o   <= '0;
      done_words_o  <= '0;
    end else begin
      rvalid_q     <= issue;
      buf_q        <= buf_d;
      nbytes_q     <= nbytes_d;
      done_valid_o <= final_pop;
      if (push) first_q <= 1'b0;
      if (issue) begin
        rd_addr_q    <= rd_addr_q + WordAddrWidth'(1);
        words_left_q <= words_left_q - WcW'(1);
        words_q      <= words_q + WcW'(1);
      end
      if (pop) begin
        codes_left_q <= final_pop ? '0 : codes_left_q - RowsWidth'(NumLanes);
        grp_q        <= grp_q + GrpW'(1);
        sops_q       <= sops_q + step_sops;
      end
      if (final_pop) begin
        busy_q       <= 1'b0;
        done_sops_o  <= sops_q + step_sops;
        done_words_o <= words_q;
      end
      if (accept) begin   // overrides the final-pop updates of the previous event
        busy_q       <= 1'b1;
        rd_addr_q    <= WordAddrWidth'(word0);
        words_left_q <= nwords;
        words_q      <= '0;
        drop_q       <= off;
        first_q      <= 1'b1;
        q_q          <= ev_q_i;
        codes_left_q <= rows_i;
        grp_q        <= '0;
        sops_q       <= '0;
      end
    end
  end

  // ---- Accumulators ------------------------------------------------------------------------
  // Bank l holds rows r with r % NumLanes == l (entry r / NumLanes): each lane reads and writes
  // only its own bank, at the lane step's group. A live bit per row tells a row written since the
  // last clear from a stale one, so a clear takes one cycle whatever the bank depth (the banks
  // themselves have no reset: register files or SRAM).
  logic [GrpW-1:0]              rd_grp;
  logic [NumLanes*AccWidth-1:0] rd_word;                 // every bank's entry at rd_grp
  assign rd_grp = GrpW'(acc_rd_row_i >> LanesLog2);

  // The write port (AccWrite) shares each lane's write path: the written row's lane takes the
  // port's group and data instead of the lane step's (no event is in flight then).
  logic [NumLanes-1:0]  wr_hit;                  // lane l is written by the port this cycle
  logic [GrpW-1:0]      wr_grp;                  // acc_wr_row_i / NumLanes
  if (AccWrite != 0) begin : g_wr
    logic [RowIdxWidth-1:0] wr_lane;             // acc_wr_row_i % NumLanes
    assign wr_lane = acc_wr_row_i & RowIdxWidth'(NumLanes - 1);
    assign wr_grp  = GrpW'(acc_wr_row_i >> LanesLog2);
    for (genvar l = 0; l < NumLanes; l++) begin : g_hit
      assign wr_hit[l] = acc_wr_valid_i && (wr_lane == RowIdxWidth'(l));
    end
  end else begin : g_no_wr
    // No write port: its inputs (and the constant hit and group) are not used.
    logic unused_wr;
    assign wr_hit    = '0;
    assign wr_grp    = '0;
    assign unused_wr = ^{acc_wr_valid_i, acc_wr_row_i, acc_wr_data_i, wr_hit, wr_grp};
  end

  for (genvar l = 0; l < NumLanes; l++) begin : g_bank
    logic [AccWidth-1:0] bank_q [Groups];
    logic [Groups-1:0]   live_q;

    logic                we;
    logic [GrpW-1:0]     waddr;
    logic [AccWidth-1:0] wdata;
    if (AccWrite != 0) begin : g_wr_path
      assign we    = lane_we[l] || wr_hit[l];
      assign waddr = wr_hit[l] ? wr_grp : grp_q;
      assign wdata = wr_hit[l] ? acc_wr_data_i : lane_new[l*AccWidth +: AccWidth];
    end else begin : g_lane_path
      assign we    = lane_we[l];
      assign waddr = grp_q;
      assign wdata = lane_new[l*AccWidth +: AccWidth];
    end

    always_ff @(posedge clk_i) begin
      if (we) bank_q[waddr] <= wdata;
    end

    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        live_q <= '0;
      end else if (acc_clear_i) begin
        live_q <= '0;
      end else if (we) begin
        live_q[waddr] <= 1'b1;
      end
    end

    assign lane_old[l*AccWidth +: AccWidth] = live_q[grp_q]  ? bank_q[grp_q]  : '0;
    assign rd_word[l*AccWidth +: AccWidth]  = live_q[rd_grp] ? bank_q[rd_grp] : '0;
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      err_invalid_o <= 1'b0;
    end else if (acc_clear_i) begin
      err_invalid_o <= 1'b0;
    end else if (|lane_inv) begin
      err_invalid_o <= 1'b1;
    end
  end

  logic [RowIdxWidth-1:0] rd_lane;               // acc_rd_row_i % NumLanes
  assign rd_lane       = acc_rd_row_i & RowIdxWidth'(NumLanes - 1);
  assign acc_rd_data_o = $signed(rd_word[32'(rd_lane)*AccWidth +: AccWidth]);
endmodule
