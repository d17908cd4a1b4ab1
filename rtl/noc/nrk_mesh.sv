// nrk_mesh: a W x H mesh of nrk_router, joined by links of LINK_LATENCY cycles.
//
// Function: the network-on-chip of one chip (arch/chip.hpp: mesh_width x mesh_height, noc.*).
//   Node n = y * W + x is the router of neurocore n (compiler core_at(): row-major, x to the
//   east, y to the south), as in the image's `routing[].core` and `flows[].src/dsts`
//   (docs/image-format.md). Router ports follow arch::PortBit: east (+x) of node (x, y) is joined
//   to west (-x) of (x+1, y), south (+y) of (x, y) to north (-y) of (x, y+1). Ports on the edge
//   of the mesh are tied off: nothing arrives there and no credit returns to their outputs (a
//   table that routes off the mesh loses up to BUFFER_DEPTH flits there, then stalls; compiled
//   tables never do, pass_route.cpp).
//   The local port of node n is the mesh's inject/eject port n (the neurocore, or the host at
//   host.attach_x/attach_y: it shares that router's local port).
// Ports: clk_i, rst_ni (active-low asynchronous reset);
//   cfg_*: writes mask cfg_mask_i for flow cfg_flow_i into the routing table of router
//     cfg_node_i (image `routing` entries);
//   inj_valid_i[n], inj_flit_i[n*FLIT_W +: FLIT_W], inj_credit_o[n]: the local input of node n
//     (the injector holds BUFFER_DEPTH credits after reset);
//   ej_valid_o[n], ej_flit_o[n*FLIT_W +: FLIT_W], ej_credit_i[n]: the local output of node n
//     (the ejection sink has BUFFER_DEPTH slots and returns a credit per flit it consumes);
//   err_*_o[n]: the OR of router n's error pulses (see nrk_router).
// Flow control: credit-based on every link (nrk_router); the flit and credit wires of a link
//   are each delayed by LINK_LATENCY registers (nrk_noc_pipe).
// Latency: a flit injected in cycle t that crosses h links without contention is ejected in
//   cycle t + (h + 1) * LATENCY + h * LINK_LATENCY: per hop, router_latency_cycles +
//   link_latency_cycles (sim/src/systemc_model.cpp, hop_cycles()).
module nrk_mesh #(
  parameter int unsigned W            = 4,
  parameter int unsigned H            = 4,
  parameter int unsigned FLIT_W       = 64,  // noc.link_width_bits
  parameter int unsigned FLOW_W       = 8,
  parameter int unsigned N_FLOWS      = 32,
  parameter int unsigned BUFFER_DEPTH = 4,   // noc.buffer_depth_flits
  parameter int unsigned LATENCY      = 2,   // noc.router_latency_cycles
  parameter int unsigned LINK_LATENCY = 1,   // noc.link_latency_cycles
  localparam int unsigned N           = W * H,
  localparam int unsigned NodeW       = (N > 1) ? $clog2(N) : 1
) (
  input  logic                clk_i,
  input  logic                rst_ni,
  input  logic                cfg_we_i,
  input  logic [NodeW-1:0]    cfg_node_i,
  input  logic [FLOW_W-1:0]   cfg_flow_i,
  input  logic [4:0]          cfg_mask_i,
  input  logic [N-1:0]        inj_valid_i,
  input  logic [N*FLIT_W-1:0] inj_flit_i,
  output logic [N-1:0]        inj_credit_o,
  output logic [N-1:0]        ej_valid_o,
  output logic [N*FLIT_W-1:0] ej_flit_o,
  input  logic [N-1:0]        ej_credit_i,
  output logic [N-1:0]        err_overflow_o,
  output logic [N-1:0]        err_unrouted_o,
  output logic [N-1:0]        err_credit_o
);

  localparam int unsigned PE = 0;  // arch::kPortEast  = 1 << 0
  localparam int unsigned PW = 1;  // arch::kPortWest  = 1 << 1
  localparam int unsigned PS = 2;  // arch::kPortSouth = 1 << 2
  localparam int unsigned PN = 3;  // arch::kPortNorth = 1 << 3
  localparam int unsigned PL = 4;  // arch::kPortLocal = 1 << 4

  // Router n, port p: valid/credit bit [n*5 + p], flit [(n*5 + p)*FLIT_W +: FLIT_W].
  logic [N*5-1:0]        in_valid, in_credit, out_valid, out_credit;
  logic [N*5*FLIT_W-1:0] in_flit, out_flit;
  // Edge ports leave some router outputs (flits, input credits) unconnected.
  logic [N*5-1:0]        unused_edge;

  for (genvar y = 0; y < H; y++) begin : gen_y
    for (genvar x = 0; x < W; x++) begin : gen_x
      localparam int unsigned Node = y * W + x;
      logic [4:0] ovf, unr, cre;

      nrk_router #(
        .FLIT_W      (FLIT_W),
        .FLOW_W      (FLOW_W),
        .N_FLOWS     (N_FLOWS),
        .BUFFER_DEPTH(BUFFER_DEPTH),
        .LATENCY     (LATENCY)
      ) u_router (
        .clk_i,
        .rst_ni,
        .cfg_we_i      (cfg_we_i && (cfg_node_i == NodeW'(Node))),
        .cfg_flow_i,
        .cfg_mask_i,
        .in_valid_i    (in_valid[Node*5 +: 5]),
        .in_flit_i     (in_flit[Node*5*FLIT_W +: 5*FLIT_W]),
        .in_credit_o   (in_credit[Node*5 +: 5]),
        .out_valid_o   (out_valid[Node*5 +: 5]),
        .out_flit_o    (out_flit[Node*5*FLIT_W +: 5*FLIT_W]),
        .out_credit_i  (out_credit[Node*5 +: 5]),
        .err_overflow_o(ovf),
        .err_unrouted_o(unr),
        .err_credit_o  (cre)
      );
      assign err_overflow_o[Node] = |ovf;
      assign err_unrouted_o[Node] = |unr;
      assign err_credit_o[Node]   = |cre;

      // Local port: the mesh's inject / eject port of this node.
      assign in_valid[Node*5 + PL]                   = inj_valid_i[Node];
      assign in_flit[(Node*5 + PL)*FLIT_W +: FLIT_W] = inj_flit_i[Node*FLIT_W +: FLIT_W];
      assign inj_credit_o[Node]                      = in_credit[Node*5 + PL];
      assign ej_valid_o[Node]                        = out_valid[Node*5 + PL];
      assign ej_flit_o[Node*FLIT_W +: FLIT_W]        = out_flit[(Node*5 + PL)*FLIT_W +: FLIT_W];
      assign out_credit[Node*5 + PL]                 = ej_credit_i[Node];
      assign unused_edge[Node*5 + PL]                = 1'b0;

      // The four mesh directions: input port `p` of this node is fed by port `q` (the opposite
      // direction) of neighbour `Nb`, when there is one.
      for (genvar d = 0; d < 4; d++) begin : gen_dir
        localparam int unsigned P = d;                               // this node's port
        localparam int unsigned Q = (d == PE) ? PW : (d == PW) ? PE : (d == PS) ? PN : PS;
        localparam bit Has = (d == PE) ? (x + 1 < W) : (d == PW) ? (x > 0) :
                             (d == PS) ? (y + 1 < H) : (y > 0);
        localparam int unsigned Nb = (d == PE) ? Node + 1 : (d == PW) ? Node - 1 :
                                     (d == PS) ? Node + W : Node - W;
        if (Has) begin : gen_link
          // Flits: neighbour's output Q -> this input P.
          nrk_noc_pipe #(
            .DATA_W(FLIT_W),
            .STAGES(LINK_LATENCY)
          ) u_flit_wire (
            .clk_i,
            .rst_ni,
            .valid_i(out_valid[Nb*5 + Q]),
            .data_i (out_flit[(Nb*5 + Q)*FLIT_W +: FLIT_W]),
            .valid_o(in_valid[Node*5 + P]),
            .data_o (in_flit[(Node*5 + P)*FLIT_W +: FLIT_W])
          );
          // Credits: this input P's credit -> neighbour's output Q.
          logic unused_credit_data;
          nrk_noc_pipe #(
            .DATA_W(1),
            .STAGES(LINK_LATENCY)
          ) u_credit_wire (
            .clk_i,
            .rst_ni,
            .valid_i(in_credit[Node*5 + P]),
            .data_i (1'b0),
            .valid_o(out_credit[Nb*5 + Q]),
            .data_o (unused_credit_data)
          );
          assign unused_edge[Node*5 + P] = 1'b0;
        end else begin : gen_edge
          // Off the mesh: nothing arrives, and no credit comes back to the output toward it (it
          // holds BUFFER_DEPTH credits from reset: up to that many flits routed off the mesh are
          // lost, then the output stalls).
          assign in_valid[Node*5 + P]                   = 1'b0;
          assign in_flit[(Node*5 + P)*FLIT_W +: FLIT_W] = '0;
          assign out_credit[Node*5 + P]                 = 1'b0;
          assign unused_edge[Node*5 + P] = out_valid[Node*5 + P] ^ in_credit[Node*5 + P] ^
                                           (^out_flit[(Node*5 + P)*FLIT_W +: FLIT_W]);
        end
      end
    end
  end

endmodule
