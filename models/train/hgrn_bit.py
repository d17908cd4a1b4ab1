# SPDX-License-Identifier: Apache-2.0
"""HGRNBit (MatMul-free LM) in plain PyTorch, with the reference semantics of neurark.

Follows the public code `ridgerchu/matmulfreellm` (commit a016f72), not the paper, where they
differ (see ../../docs/model.md):

  x = embeddings[token]                              full precision
  per layer l:  r = x; h = attn_norm(x); h = MLGRU_l(h); r = h + r; h = mlp_norm(r)
                x = r + GLU_l(h)
  logits = lm_head(norm(x))                          lm_head is a BitLinear

BitLinear(x) = acc / (s_x * s_w) with
  x_hat = RMSNorm(x) * w_norm                        eps = 1e-6 always (BITLINEAR_EPS)
  s_x   = 127 / max(max|x_hat|, 1e-5)                per token
  x_q   = clamp(round_half_away(x_hat * s_x), -128, 127)   (Triton tl.math.round)
  s_w   = 1 / max(mean|W|, 1e-5)                     per tensor
  W_t   = clamp(round_half_even(W * s_w), -1, 1)     (torch.round)
  acc   = sum_k x_q[k] * W_t[o, k]                   exact integers

Two arithmetic modes share those equations:
  * training (module.training): float32 everywhere, straight-through estimators for the two
    roundings, and a chunked parallel scan for the MLGRU recurrence;
  * exact (eval): the float reference that the C++ float backend reproduces to the bit where
    it can: reductions (mean of squares, mean|W|) and transcendentals (sigmoid, SiLU, softmax
    of the lower bounds) are computed in float64 and rounded once to float32; every other op
    is a single float32 operation in a fixed order; the recurrence is a sequential loop.
"""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class Config:
    """The HF `hgrn_bit` config fields that this model reads (names as in config.json)."""

    def __init__(self, vocab_size=256, hidden_size=256, num_hidden_layers=4, hidden_ratio=4,
                 intermediate_size=None, rms_norm_eps=1e-6, use_lower_bound=True):
        self.vocab_size = vocab_size
        self.hidden_size = hidden_size
        self.num_hidden_layers = num_hidden_layers
        self.hidden_ratio = hidden_ratio
        self.intermediate_size = intermediate_size
        self.rms_norm_eps = rms_norm_eps
        self.use_lower_bound = use_lower_bound

    def resolved_intermediate_size(self):
        # HGRNBitMLP.__init__: int(d * ratio * 2/3) rounded up to a multiple of 256.
        if self.intermediate_size is not None:
            return self.intermediate_size
        ratio = 4 if self.hidden_ratio is None else self.hidden_ratio
        i = int(self.hidden_size * ratio * 2 / 3)
        return 256 * ((i + 256 - 1) // 256)

    def to_hf(self):
        return {
            "architectures": ["HGRNBitForCausalLM"],
            "model_type": "hgrn_bit",
            "attn_mode": "fused_recurrent",
            "bos_token_id": None,
            "eos_token_id": None,
            "conv_size": 4,
            "expand_ratio": 1,
            "fuse_cross_entropy": True,
            "hidden_act": "swish",
            "hidden_ratio": self.hidden_ratio,
            "hidden_size": self.hidden_size,
            "initializer_range": 0.02,
            "intermediate_size": self.intermediate_size,
            "max_position_embeddings": 2048,
            "num_heads": 1,
            "num_hidden_layers": self.num_hidden_layers,
            "rms_norm_eps": self.rms_norm_eps,
            "share_conv_kernel": True,
            "tie_word_embeddings": False,
            "torch_dtype": "float32",
            "use_cache": True,
            "use_lower_bound": self.use_lower_bound,
            "use_short_conv": False,
            "vocab_size": self.vocab_size,
        }


def round_half_away(v):
    """C round(): ties away from zero, exact for every float32 (no +0.5 trick)."""
    t = torch.trunc(v)
    frac = (v - t).abs()              # exact: v and trunc(v) share the exponent range
    return t + torch.sign(v) * (frac >= 0.5).to(v.dtype)


def sigmoid_exact(z):
    return torch.sigmoid(z.double()).float()


def silu_exact(z):
    zd = z.double()
    return (zd * torch.sigmoid(zd)).float()


def rms_scale(x, eps, exact):
    """rsqrt(mean(x^2) + eps) per row, float32. Exact mode: mean in float64, rounded once."""
    if exact:
        ms = x.double().pow(2).mean(-1, keepdim=True).float()
    else:
        ms = x.pow(2).mean(-1, keepdim=True)
    return 1.0 / torch.sqrt(ms + eps)


class RMSNorm(nn.Module):
    def __init__(self, d, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        return x * rms_scale(x, self.eps, not self.training) * self.weight


def weight_scale(w, exact):
    """s_w = 1 / max(mean|W|, 1e-5); mean in float64 (a float32 sum can move a weight across the threshold)."""
    if exact:
        m = w.detach().double().abs().mean().float()
    else:
        m = w.abs().mean()
    return 1.0 / m.clamp(min=1e-5)


# FusedBitLinear builds its RMSNorm with eps 1e-8 but the fused function it calls does not pass
# it on, so the norm runs with the function's default 1e-6 whatever the config says.
BITLINEAR_EPS = 1e-6


class ActStats:
    """Activation statistics shared by every BitLinear of a model (see set_act_stats).

    zeros / codes: int8 input codes that are 0 after the threshold / all codes, counted per
    BitLinear (a vector read by i_proj, f_proj and g_proj counts three times), as the chip's
    events. penalty / penalty_codes: the activation penalty's sum, |x_hat| / max|x_hat| per
    code, of the last forward pass in training mode (None when not collected)."""

    def __init__(self, penalty=False):
        self.zeros = 0
        self.codes = 0
        self.collect_penalty = penalty
        self.penalty = None
        self.penalty_codes = 0

    def sparsity(self):
        return self.zeros / self.codes if self.codes else 0.0

    def reset_penalty(self):
        self.penalty = None
        self.penalty_codes = 0


class BitLinear(nn.Module):
    """FusedBitLinear: RMSNorm(in) -> int8 absmax per token, ternary absmean per tensor.

    act_threshold theta (int >= 0, the chip's activation threshold): a code with |q| <= theta
    becomes 0 (no event); the dequantization scale stays max|x_hat| / 127. theta = 0 is the
    plain model (the comparison is then skipped, so the arithmetic is unchanged)."""

    def __init__(self, k, n, eps=BITLINEAR_EPS):
        super().__init__()
        del eps  # see BITLINEAR_EPS
        self.weight = nn.Parameter(torch.empty(n, k))
        self.norm = RMSNorm(k, BITLINEAR_EPS)
        nn.init.xavier_uniform_(self.weight, gain=2 ** -2.5)
        self.act_threshold = 0
        self.act_stats = None

    def forward(self, x):
        exact = not self.training
        xh = self.norm(x)
        amax = xh.abs().amax(-1, keepdim=True).clamp(min=1e-5)
        s_x = 127.0 / amax
        v = xh * s_x
        q = round_half_away(v).clamp(-128, 127)
        if self.act_threshold > 0:
            q = torch.where(q.abs() <= self.act_threshold, torch.zeros_like(q), q)
        st = self.act_stats
        if st is not None:
            st.zeros += int((q == 0).sum())
            st.codes += q.numel()
            if st.collect_penalty and not exact:
                # L1 of the codes relative to the token's absmax, differentiable in x_hat
                # (and through the max); in [0, 1] per code.
                pen = (xh.abs() / amax).sum()
                st.penalty = pen if st.penalty is None else st.penalty + pen
                st.penalty_codes += q.numel()
        s_w = weight_scale(self.weight, exact)
        u = self.weight * s_w
        t = torch.round(u).clamp(-1, 1)
        if not exact:
            # Straight-through estimators exactly as fusedbitnet.py trains: the dequantized
            # values in the forward pass, identity gradients to x_hat and W.
            x_deq = xh + (q / s_x - xh).detach()
            w_deq = self.weight + (t / s_w - self.weight).detach()
            return F.linear(x_deq, w_deq)
        acc = F.linear(q, t)           # exact integers in float32 (|acc| < 2^24)
        return acc / (s_x * s_w)


class MLGRU(nn.Module):
    """HGRNBitAttention, fused_recurrent mode, one head, expand_ratio 1."""

    def __init__(self, d, eps):
        super().__init__()
        self.i_proj = BitLinear(d, d, eps)
        self.f_proj = BitLinear(d, d, eps)
        self.g_proj = BitLinear(d, d, eps)
        self.g_norm = RMSNorm(d, eps)      # FusedRMSNormSwishGate: RMSNorm(g) * w * SiLU(o)
        self.o_proj = BitLinear(d, d, eps)

    def forward(self, x, lb, h0):
        exact = not self.training
        i = self.i_proj(x)
        fz = self.f_proj(x)
        f = sigmoid_exact(fz) if exact else torch.sigmoid(fz)
        if lb is not None:
            f = lb + (1 - lb) * f
        c = (silu_exact(i) if exact else F.silu(i)) * (1 - f)
        if exact:
            hs = []
            h = h0
            for t in range(x.shape[1]):
                h = f[:, t] * h + c[:, t]
                hs.append(h)
            hseq = torch.stack(hs, 1)
        else:
            hseq = chunked_scan(f, c, h0)
        g = self.g_proj(x)
        sh = silu_exact(hseq) if exact else F.silu(hseq)
        o = self.o_proj(self.g_norm(g) * sh)
        return o, hseq[:, -1]


def chunked_scan(f, c, h0, chunk=8):
    """h_t = f_t * h_{t-1} + c_t over time (dim 1), in parallel inside chunks (training only)."""
    b, t, d = f.shape
    pad = (-t) % chunk
    if pad:
        f = torch.cat([f, f.new_ones(b, pad, d)], 1)
        c = torch.cat([c, c.new_zeros(b, pad, d)], 1)
    n = f.shape[1] // chunk
    logf = torch.log(f.clamp(min=1e-12)).view(b, n, chunk, d)
    a = torch.cumsum(logf, 2)                                   # (b, n, C, d)
    diff = a.unsqueeze(3) - a.unsqueeze(2)                      # [t, s] = A_t - A_s
    mask = torch.ones(chunk, chunk, dtype=torch.bool, device=f.device).tril()
    w = torch.exp(diff.masked_fill(~mask.view(1, 1, chunk, chunk, 1), float("-inf")))
    intra = torch.einsum("bntsd,bnsd->bntd", w, c.view(b, n, chunk, d))
    decay = torch.exp(a)                                        # prod f from chunk start to t
    outs = []
    h = h0
    for k in range(n):
        hk = intra[:, k] + decay[:, k] * h.unsqueeze(1)
        outs.append(hk)
        h = hk[:, -1]
    return torch.cat(outs, 1)[:, :t]


class GLU(nn.Module):
    """HGRNBitMLP: gate_proj d -> 2I (first half gate, second value), down_proj I -> d."""

    def __init__(self, d, inter, eps):
        super().__init__()
        self.gate_proj = BitLinear(d, 2 * inter, eps)
        self.down_proj = BitLinear(inter, d, eps)

    def forward(self, x):
        gate, y = self.gate_proj(x).chunk(2, -1)
        act = silu_exact(gate) if not self.training else F.silu(gate)
        return self.down_proj(act * y)


class Block(nn.Module):
    def __init__(self, d, inter, eps):
        super().__init__()
        self.attn_norm = RMSNorm(d, eps)
        self.attn = MLGRU(d, eps)
        self.mlp_norm = RMSNorm(d, eps)
        self.mlp = GLU(d, inter, eps)

    def forward(self, x, lb, h0):
        h, hl = self.attn(self.attn_norm(x), lb, h0)
        r = h + x
        return r + self.mlp(self.mlp_norm(r)), hl


class HGRNBitForCausalLM(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.cfg = cfg
        d, eps = cfg.hidden_size, cfg.rms_norm_eps
        inter = cfg.resolved_intermediate_size()
        self.embeddings = nn.Embedding(cfg.vocab_size, d)
        nn.init.normal_(self.embeddings.weight, std=0.02)
        self.layers = nn.ModuleList([Block(d, inter, eps) for _ in range(cfg.num_hidden_layers)])
        self.norm = RMSNorm(d, eps)
        self.lower_bounds = nn.Parameter(torch.zeros(cfg.num_hidden_layers, d))
        self.lm_head = BitLinear(d, cfg.vocab_size, eps)

    def bitlinears(self):
        return [m for m in self.modules() if isinstance(m, BitLinear)]

    def set_act_threshold(self, theta):
        """The chip's activation threshold, global over every BitLinear (lm_head included)."""
        theta = int(theta)
        if theta < 0:
            raise ValueError(f"activation threshold must be >= 0, got {theta}")
        for m in self.bitlinears():
            m.act_threshold = theta

    def set_act_stats(self, stats):
        """Count codes (and collect the activation penalty) into `stats`, or stop (None)."""
        for m in self.bitlinears():
            m.act_stats = stats

    def lower_bound_table(self):
        """softmax over layers, cumsum, minus layer 0: float64 then float32 in exact mode."""
        lbp = self.lower_bounds if self.training else self.lower_bounds.double()
        lb = lbp.softmax(0)
        lb = lb.cumsum(0) - lb[0]
        return lb.float()

    def zero_state(self, batch):
        return [torch.zeros(batch, self.cfg.hidden_size) for _ in self.layers]

    def forward(self, tokens, state=None):
        """tokens (B, T) int64 -> logits (B, T, V) float32, final per-layer states."""
        if state is None:
            state = self.zero_state(tokens.shape[0])
        x = self.embeddings(tokens)
        lbs = self.lower_bound_table() if self.cfg.use_lower_bound else None
        new_state = []
        for l, layer in enumerate(self.layers):
            lb = lbs[l] if (lbs is not None and l > 0) else None
            x, hl = layer(x, lb, state[l])
            new_state.append(hl)
        return self.lm_head(self.norm(x)), new_state

    # --- HF parameter names -------------------------------------------------------------
    def hf_state_dict(self):
        """Parameters under the HF `HGRNBitForCausalLM` names."""
        out = {}
        for name, p in self.named_parameters():
            key = name if name.startswith("lm_head") else "model." + name
            out[key] = p.detach().float().contiguous()
        return out

    def load_hf_state_dict(self, tensors):
        own = dict(self.named_parameters())
        expected = {(n if n.startswith("lm_head") else "model." + n) for n in own}
        missing = expected - set(tensors)
        extra = set(tensors) - expected
        if missing or extra:
            raise ValueError(f"checkpoint mismatch: missing {sorted(missing)}, unexpected {sorted(extra)}")
        with torch.no_grad():
            for n, p in own.items():
                key = n if n.startswith("lm_head") else "model." + n
                p.copy_(tensors[key].to(p.dtype).view_as(p))


def bits_per_byte(model, data, state=None, block=4096, stats=None):
    """Mean -log2 p(next byte) over `data` (1-D uint8 tensor), one stream, state carried.

    With `stats` (an ActStats), the BitLinear input codes of the run are counted into it
    (the model's threshold applies as it is set)."""
    model.eval()
    total = 0.0
    count = 0
    if stats is not None:
        model.set_act_stats(stats)
    try:
        with torch.no_grad():
            for s in range(0, len(data) - 1, block):
                x = data[s:min(s + block, len(data) - 1)].long().unsqueeze(0)
                y = data[s + 1:s + 1 + x.shape[1]].long()
                logits, state = model(x, state)
                lp = torch.log_softmax(logits[0].double(), -1)
                total += -lp.gather(1, y.unsqueeze(1)).sum().item()
                count += y.numel()
    finally:
        if stats is not None:
            model.set_act_stats(None)
    return total / count / math.log(2), count
