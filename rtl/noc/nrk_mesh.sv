// SPDX-License-Identifier: Apache-2.0
// nrk_mesh: a MeshWidth x MeshHeight mesh of nrk_router, joined by links of LinkLatency cycles.
//
// Function: the network-on-chip of one chip (arch/chip.hpp: mesh_width x mesh_height, noc.*).
//   Node n = y * MeshWidth + x is the router of neurocore n (compiler core_at(): row-major, x to
//   the east, y to the south), as in the image's `routing[].core` and `flows[].src/dsts`
//   (docs/image-format.md). Router ports follow arch::PortBit: east (+x) of node (x, y) is joined
//   to west (-x) of (x+1, y), south (+y) of (x, y) to north (-y) of (x, y+1). Ports on the edge
//   of the mesh are tied off: nothing arrives there and no credit returns to their outputs (a
//   table that routes off the mesh loses up to BufferDepth flits there, then stalls; compiled
//   tables never do, pass_route.cpp).
//   The local port of node n is the mesh's inject/eject port n (the neurocore, or the host at
//   host.attach_x/attach_y: it shares that router's local port).
// Ports: clk_i, rst_ni (active-low asynchronous reset);
//   cfg_*: writes mask cfg_mask_i for flow cfg_flow_i into the routing table of router
//     cfg_node_i (image `routing` entries);
//   inj_valid_i[n], inj_flit_i[n*FlitWidth +: FlitWidth], inj_credit_o[n]: the local input of
//     node n (the injector holds BufferDepth credits after reset);
//   ej_valid_o[n], ej_flit_o[n*FlitWidth +: FlitWidth], ej_credit_i[n]: the local output of
//     node n (the ejection sink has BufferDepth slots and returns a credit per flit it consumes);
//   err_*_o[n]: the OR of router n's error pulses (see nrk_router).
// Flow control: credit-based on every link (nrk_router); the flit and credit wires of a link
//   are each delayed by LinkLatency registers (nrk_noc_pipe).
// Latency: a flit injected in cycle t that crosses h links without contention is ejected in
//   cycle t + (h + 1) * Latency + h * LinkLatency: per hop, router_latency_cycles +
//   link_latency_cycles (sim/src/systemc_model.cpp, hop_cycles()).
module nrk_mesh #(
  parameter bit [31:0]  MeshWidth   = 4,   // mesh_width
  parameter bit [31:0]  MeshHeight  = 4,   // mesh_height
  parameter bit [31:0]  FlitWidth   = 64,  // noc.link_width_bits
  parameter bit [31:0]  FlowWidth   = 8,
  parameter bit [31:0]  NumFlows    = 32,
  parameter bit [31:0]  BufferDepth = 4,   // noc.buffer_depth_flits
  parameter bit [31:0]  Latency     = 2,   // noc.router_latency_cycles
  parameter bit [31:0]  LinkLatency = 1,   // noc.link_latency_cycles
  localparam bit [31:0] NumNodes    = MeshWidth * MeshHeight,
  localparam bit [31:0] NodeWidth   = (NumNodes > 1) ? $clog2(NumNodes) : 1
) (
  input  logic                          clk_i,
  input  logic                          rst_ni,
  input  logic                          cfg_we_i,
  input  logic [NodeWidth-1:0]          cfg_node_i,
  input  logic [FlowWidth-1:0]          cfg_flow_i,
  input  logic [nrk_pkg::NumPorts-1:0]  cfg_mask_i,
  input  logic [NumNodes-1:0]           inj_valid_i,
  input  logic [NumNodes*FlitWidth-1:0] inj_flit_i,
  output logic [NumNodes-1:0]           inj_credit_o,
  output logic [NumNodes-1:0]           ej_valid_o,
  output logic [NumNodes*FlitWidth-1:0] ej_flit_o,
  input  logic [NumNodes-1:0]           ej_credit_i,
  output logic [NumNodes-1:0]           err_overflow_o,
  output logic [NumNodes-1:0]           err_unrouted_o,
  output logic [NumNodes-1:0]           err_credit_o
);

  // Router ports: nrk_pkg::PortEast .. PortLocal (the bit positions of arch::PortBit).
  localparam bit [31:0] NumPorts = nrk_pkg::NumPorts;
  localparam bit [31:0] PortE    = nrk_pkg::PortEast;
  localparam bit [31:0] PortW    = nrk_pkg::PortWest;
  localparam bit [31:0] PortS    = nrk_pkg::PortSouth;
  localparam bit [31:0] PortN    = nrk_pkg::PortNorth;

  // Router n, port p: valid/credit bit [n*NumPorts + p], flit [(n*NumPorts + p)*FlitWidth +:
  // FlitWidth].
  logic [NumNodes*NumPorts-1:0]           in_valid, in_credit, out_valid, out_credit;
  logic [NumNodes*NumPorts*FlitWidth-1:0] in_flit, out_flit;
  // Edge ports leave some router outputs (flits, input credits) unconnected.
  logic [NumNodes*NumPorts-1:0]           unused_edge;

  for (genvar y = 0; y < MeshHeight; y++) begin : gen_y
    for (genvar x = 0; x < MeshWidth; x++) begin : gen_x
      localparam bit [31:0] Node  = y * MeshWidth + x;
      localparam bit [31:0] Ports = Node * NumPorts;                // router Node's port 0
      localparam bit [31:0] Local = Ports + nrk_pkg::PortLocal;     // its local port
      logic [NumPorts-1:0] ovf, unr, cre;

      nrk_router #(
        .FlitWidth  (FlitWidth),
        .FlowWidth  (FlowWidth),
        .NumFlows   (NumFlows),
        .BufferDepth(BufferDepth),
        .Latency    (Latency)
      ) u_router (
        .clk_i,
        .rst_ni,
        .cfg_we_i      (cfg_we_i && (cfg_node_i == NodeWidth'(Node))),
        .cfg_flow_i,
        .cfg_mask_i,
        .in_valid_i    (in_valid[Ports +: NumPorts]),
        .in_flit_i     (in_flit[Ports*FlitWidth +: NumPorts*FlitWidth]),
        .in_credit_o   (in_credit[Ports +: NumPorts]),
        .out_valid_o   (out_valid[Ports +: NumPorts]),
        .out_flit_o    (out_flit[Ports*FlitWidth +: NumPorts*FlitWidth]),
        .out_credit_i  (out_credit[Ports +: NumPorts]),
        .err_overflow_o(ovf),
        .err_unrouted_o(unr),
        .err_credit_o  (cre)
      );
      assign err_overflow_o[Node] = |ovf;
      assign err_unrouted_o[Node] = |unr;
      assign err_credit_o[Node]   = |cre;

      // Local port: the mesh's inject / eject port of this node.
      assign in_valid[Local]                         = inj_valid_i[Node];
      assign in_flit[Local*FlitWidth +: FlitWidth]   = inj_flit_i[Node*FlitWidth +: FlitWidth];
      assign inj_credit_o[Node]                      = in_credit[Local];
      assign ej_valid_o[Node]                        = out_valid[Local];
      assign ej_flit_o[Node*FlitWidth +: FlitWidth]  = out_flit[Local*FlitWidth +: FlitWidth];
      assign out_credit[Local]                       = ej_credit_i[Node];
      assign unused_edge[Local]                      = 1'b0;

      // The four mesh directions: input port `Port` of this node is fed by port `NbPort` (the
      // opposite direction) of neighbour `NbNode`, when there is one.
      for (genvar d = 0; d < 4; d++) begin : gen_dir
        localparam bit [31:0] Port   = d;                               // this node's port
        localparam bit [31:0] NbPort = (d == PortE) ? PortW : (d == PortW) ? PortE :
                                       (d == PortS) ? PortN : PortS;
        localparam bit        HasNb  = (d == PortE) ? (x + 1 < MeshWidth) : (d == PortW) ? (x > 0) :
                                       (d == PortS) ? (y + 1 < MeshHeight) : (y > 0);
        localparam bit [31:0] NbNode = (d == PortE) ? Node + 1 : (d == PortW) ? Node - 1 :
                                       (d == PortS) ? Node + MeshWidth : Node - MeshWidth;
        localparam bit [31:0] Idx   = Ports + Port;                    // this input / output
        localparam bit [31:0] NbIdx = NbNode * NumPorts + NbPort;      // the neighbour's
        if (HasNb) begin : gen_link
          // Flits: neighbour's output NbPort -> this input Port.
          nrk_noc_pipe #(
            .DataWidth(FlitWidth),
            .NumStages(LinkLatency)
          ) u_flit_wire (
            .clk_i,
            .rst_ni,
            .valid_i(out_valid[NbIdx]),
            .data_i (out_flit[NbIdx*FlitWidth +: FlitWidth]),
            .valid_o(in_valid[Idx]),
            .data_o (in_flit[Idx*FlitWidth +: FlitWidth])
          );
          // Credits: this input Port's credit -> neighbour's output NbPort.
          logic unused_credit_data;
          nrk_noc_pipe #(
            .DataWidth(1),
            .NumStages(LinkLatency)
          ) u_credit_wire (
            .clk_i,
            .rst_ni,
            .valid_i(in_credit[Idx]),
            .data_i (1'b0),
            .valid_o(out_credit[NbIdx]),
            .data_o (unused_credit_data)
          );
          assign unused_edge[Idx] = 1'b0;
        end else begin : gen_edge
          // Off the mesh: nothing arrives, and no credit comes back to the output toward it (it
          // holds BufferDepth credits from reset: up to that many flits routed off the mesh are
          // lost, then the output stalls).
          assign in_valid[Idx]                       = 1'b0;
          assign in_flit[Idx*FlitWidth +: FlitWidth] = '0;
          assign out_credit[Idx]                     = 1'b0;
          assign unused_edge[Idx] = out_valid[Idx] ^ in_credit[Idx] ^
                                    (^out_flit[Idx*FlitWidth +: FlitWidth]);
        end
      end
    end
  end

endmodule
