#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Independent re-implementation of docs/numerics.md (the bit-exact integer HGRNBit).

Written from docs/numerics.md (plus hgrn_bit.py for weight names and the float semantics) only,
to check that the document is complete and that the C++ integer reference matches it.

  int_spec.py --model DIR --out FILE.safetensors [--golden GOLDEN.safetensors]
              [--generate TEXT --max-new-tokens N] [--eval TEXT_FILE --max-bytes N]

Output tensors: prompt{i}.tokens (I32 [T]), prompt{i}.logits_q16 (I32 [T, vocab]) and
prompt0.layer_out_q16 (I32 [T, L, d], residual stream after each layer).

Exactness conventions: numpy int64 only where docs/numerics.md §8 bounds the values below
2^63; Python ints for every u128 / 65+-bit quantity (ss, Scale arithmetic, requantize).
"""

import argparse
import json
import math
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402

K_ACT_FRAC = 16
K_GATE_FRAC = 24
K_STATE_FRAC = 20
INT32_MIN = -(1 << 31)
INT32_MAX = (1 << 31) - 1

# --------------------------------------------------------------------------------------------
# §2 rounding and saturation


def round_shift_int(v, s):
    """Python int, ties away from zero."""
    if s == 0:
        return v
    h = 1 << (s - 1)
    if v >= 0:
        return (v + h) >> s
    return -((-v + h) >> s)


def round_shift_np(v, s):
    """numpy int64 array, ties away; caller guarantees |v| + 2^(s-1) < 2^63."""
    v = np.asarray(v, dtype=np.int64)
    if s == 0:
        return v.copy()
    h = np.int64(1 << (s - 1))
    a = (np.abs(v) + h) >> np.int64(s)
    return np.where(v < 0, -a, a)


def saturate_i32_np(v):
    return np.clip(v, INT32_MIN, INT32_MAX).astype(np.int64)


def saturate_i32_int(v):
    return max(INT32_MIN, min(INT32_MAX, v))


def add_sat_i32(a, b):
    return saturate_i32_np(np.asarray(a, np.int64) + np.asarray(b, np.int64))


def mul_shift_sat_np(a, b, s):
    return saturate_i32_np(round_shift_np(np.asarray(a, np.int64) * np.asarray(b, np.int64), s))


# --------------------------------------------------------------------------------------------
# §3 activation quantization


def quantize_absmax(u, m):
    """u int64 array (|u| < 2^61 here: 2*127*|u| + m needs 69 bits, so Python ints), m = max|u|."""
    if m == 0:
        return np.zeros(u.shape, np.int64)
    q = np.array([(254 * abs(a) + m) // (2 * m) for a in u.tolist()], dtype=np.int64)
    return np.where(u < 0, -q, q)


# --------------------------------------------------------------------------------------------
# §4 block floating point


def bit_length_np_max(p):
    return int(np.max(np.abs(p))).bit_length() if p.size else 0


def normalize_block(p):
    """p int64 array (|p| <= 2^62) -> mantissas |out| <= 2^30."""
    s = max(0, bit_length_np_max(p) - 30)
    return round_shift_np(p, s)


def normalize_block_s(p):
    """normalize_block, also returning the shift s."""
    s = max(0, bit_length_np_max(p) - 30)
    return round_shift_np(p, s), s


# §4a block scale: dict(j, normed, ss (sum x^2 of the folded norm's input), n, eps (Scale)).
PLAIN = dict(j=16, normed=False, ss=0, n=0, eps=(0, 0))


def apply_norm_weight(x, w, w_exp, eps):
    x = np.asarray(x, np.int64)
    v, s = normalize_block_s(x * np.asarray(w, np.int64))
    return v, dict(j=16 + w_exp - s, normed=True, ss=sum(int(t) * int(t) for t in x.tolist()), n=len(x), eps=eps)


def product_block(a, sa, b, sb):
    assert not (sa["normed"] and sb["normed"])
    v, s = normalize_block_s(np.asarray(a, np.int64) * np.asarray(b, np.int64))
    out = dict(sa if sa["normed"] else sb)
    out["j"] = sa["j"] + sb["j"] - s
    return v, out


# --------------------------------------------------------------------------------------------
# §5 Scale arithmetic (Python ints)

ZERO = (0, 0)


def scale_from_u128(v):
    if v == 0:
        return ZERO
    b = v.bit_length()
    if b <= 32:
        return (v << (32 - b), -(32 - b))
    s = b - 32
    mant = (v + (1 << (s - 1))) >> s
    if mant == 1 << 32:
        mant = 1 << 31
        s += 1
    return (mant, s)


def scale_mul(a, b):
    if a[0] == 0 or b[0] == 0:
        return ZERO
    p = a[0] * b[0]
    s = 32 if (p >> 63) & 1 else 31
    mant = (p + (1 << (s - 1))) >> s
    if mant == 1 << 32:
        mant = 1 << 31
        s += 1
    return (mant, a[1] + b[1] + s)


def isqrt(v):
    """floor(sqrt(v)), classic bit-by-bit restoring method (checked against math.isqrt)."""
    res = 0
    bit = 1 << ((v.bit_length() + 1) // 2 * 2) if v else 0
    while bit > v:
        bit >>= 2
    while bit:
        if v >= res + bit:
            v -= res + bit
            res = (res >> 1) + bit
        else:
            res >>= 1
        bit >>= 2
    return res


def scale_rsqrt(v):
    if v == 0:
        return ZERO
    b = v.bit_length()
    j = (b - 31) // 2                     # Python // is floor, also for negatives
    m = v >> (2 * j) if j >= 0 else v << (-2 * j)
    assert (1 << 30) <= m < (1 << 32)
    r = isqrt((1 << 94) // m)
    assert (1 << 31) < r <= (1 << 32)
    if r == 1 << 32:
        return (1 << 31, -47 - j + 1)
    return (r, -47 - j)


def scale_from_double(x):
    x = float(x)
    if x == 0.0:
        return ZERO
    f, e = math.frexp(x)
    mant = math.floor(f * 4294967296.0 + 0.5)
    if mant == 1 << 32:
        mant = 1 << 31
        e += 1
    return (int(mant), e - 32)


def requantize(acc, S):
    """acc Python int, S Scale -> Python int (int32)."""
    if acc == 0 or S[0] == 0:
        return 0
    P = abs(acc) * S[0]
    sh = -S[1]
    if sh > 0:
        r = 0 if sh >= 127 else (P + (1 << (sh - 1))) >> sh
    else:
        r = P << (-sh)
        # saturating: anything >= 2^31 is clamped below anyway
    if acc > 0:
        return min(r, INT32_MAX)
    return -min(r, 1 << 31)


def scale_add(a, b):
    if a[0] == 0:
        return b
    if b[0] == 0:
        return a
    if a[1] < b[1]:
        a, b = b, a
    gap = a[1] - b[1]
    if gap > 40:
        return a
    m, e = scale_from_u128((a[0] << gap) + b[0])
    return (m, e + b[1])


def scale_rsqrt_scale(d):
    if d[0] == 0:
        return ZERO
    m, e = (d[0] << 1, d[1] - 1) if d[1] % 2 else (d[0], d[1])
    r = scale_rsqrt(m)
    return (r[0], r[1] - e // 2)


BITLINEAR_EPS = scale_from_double(1e-6)


def rmsnorm_eps_term(block, k):
    t = scale_from_u128(k)
    if block["normed"]:
        assert block["n"] == k
        ss = scale_from_u128(block["ss"])
        if ss[0]:
            ss = (ss[0], ss[1] - 32)
        t = scale_add(ss, scale_mul(block["eps"], t))
    e = scale_mul(BITLINEAR_EPS, t)
    return (e[0], e[1] + 2 * block["j"]) if e[0] else e


def bitlinear_token_scale(C, m, ss, E):
    if m == 0:
        return ZERO
    d = scale_add(scale_from_u128(ss), E)
    if d[0] == 0:
        return ZERO
    return scale_mul(scale_mul(C, scale_from_u128(m)), scale_rsqrt_scale(d))


class BitLinearQ:
    def __init__(self, w_t, w_norm_mant, C):
        self.w_t = w_t                      # int64 [N, K] in {-1, 0, 1}
        self.w_t_T = np.ascontiguousarray(w_t.T)
        self.w_norm = w_norm_mant           # int64 [K]
        self.C = C                          # Scale

    def __call__(self, v, block):
        v = np.asarray(v, np.int64)
        u = v * self.w_norm                                     # |u| < 2^61
        m = int(np.max(np.abs(u))) if u.size else 0
        q = quantize_absmax(u, m)
        acc = q @ self.w_t_T                                    # exact in int64 (int32 range)
        # ss = sum v^2 exactly (each term < 2^61, total may exceed 2^63): Python ints
        ss = sum(int(t) * int(t) for t in v.tolist())
        S = bitlinear_token_scale(self.C, m, ss, rmsnorm_eps_term(block, len(v)))
        if S[0] == 0:
            return np.zeros(acc.shape, np.int64)
        return np.array([requantize(int(a), S) for a in acc.tolist()], dtype=np.int64)


# --------------------------------------------------------------------------------------------
# §6 element-wise units


def _build_sigmoid_lut():
    # §6 / §7: L[0..1025] in UQ0.32, L[i] = floor(sigma(i/64) * 2^32 + 0.5), sigma in double.
    L = []
    for i in range(1026):
        x = i / 64.0
        s = 1.0 / (1.0 + math.exp(-x))
        L.append(math.floor(s * (1 << 32) + 0.5))
    assert (L[0], L[64], L[1024], L[1025]) == (1 << 31, 3139872687, 4294966813, 4294966820), \
        (L[0], L[64], L[1024], L[1025])
    return np.array(L, dtype=np.int64)


SIG_LUT = _build_sigmoid_lut()


def sigmoid_q24(z):
    # §6: quadratic interpolation through L[idx], L[idx+1], L[idx+2], scaled by 2^21:
    # N = L[idx] 2^21 + frac (D1 2^11 + (frac - 2^10) D2), 0 <= N < 2^54 (int64 exact),
    # sigma+ = round_shift(N, 29); |z| >= 16 gives 2^24 - 1.
    z = np.asarray(z, np.int64)
    a = np.abs(z)                                  # int64: |INT32_MIN| = 2^31 is exact
    sat = a >= (1 << 20)
    idx = np.where(sat, 0, a >> 10)
    frac = np.where(sat, 0, a & 1023)
    l0 = SIG_LUT[idx]
    l1 = SIG_LUT[idx + 1]
    l2 = SIG_LUT[idx + 2]
    d1 = l1 - l0
    d2 = l2 - 2 * l1 + l0
    n = l0 * (1 << 21) + frac * (d1 * (1 << 11) + (frac - (1 << 10)) * d2)
    sp = np.where(sat, (1 << 24) - 1, round_shift_np(n, 29))
    return np.where(z >= 0, sp, (1 << 24) - sp)


def silu_q16(z):
    z = np.asarray(z, np.int64)
    return saturate_i32_np(round_shift_np(z * sigmoid_q24(z), 24))


def forget_gate_q24(sig, lb):
    return lb + round_shift_np(((1 << 24) - lb) * sig, 24)


def mlgru_candidate_q20(s, omf):
    return mul_shift_sat_np(s, omf, 16 + 24 - 20)


def mlgru_state_update_q20(f, h, c):
    return saturate_i32_np(round_shift_np(f * h, 24) + c)


# --------------------------------------------------------------------------------------------
# §7 constants prepared at load


def mean_abs_f32(w):
    """mean|W| accumulated in double (math.fsum: exactly rounded), rounded to float32."""
    a = np.abs(w.astype(np.float64)).ravel()
    return np.float32(math.fsum(a.tolist()) / a.size)


def ternarize(w):
    """w float32 ndarray -> (W_t int64, s_w float32)."""
    w = np.asarray(w, np.float32)
    mean = mean_abs_f32(w)
    denom = np.maximum(mean, np.float32(1e-5))
    s_w = np.float32(np.float32(1.0) / denom)
    prod = (w * s_w).astype(np.float32)                          # float32 product
    wt = np.clip(np.rint(prod), -1, 1).astype(np.int64)          # ties to even
    return wt, s_w


def quantize_norm_weight(w):
    w = np.asarray(w, np.float32)
    if not np.all(np.isfinite(w)):
        raise ValueError("non-finite norm weight")
    mx = float(np.max(np.abs(w))) if w.size else 0.0
    if mx > 2147483647:
        raise ValueError("norm weight too large")
    if mx == 0.0:
        exp = 0
    else:
        exp = 0
        # largest integer exp with mx * 2^exp <= 2^31 - 1 (mx <= 2^31 - 1 so exp >= 0); cap 62
        while exp < 62 and mx * 2.0 ** (exp + 1) <= 2147483647:
            exp += 1
    mant = np.array([llround(float(x) * 2.0 ** exp) for x in w.tolist()], dtype=np.int64)
    assert np.all(np.abs(mant) <= 2147483647)
    return mant, exp


def llround(x):
    """C llround: round half away from zero (x a double)."""
    # exact: no "+0.5" (which double-rounds for 0.49999999999999994)
    fl = math.floor(abs(x))
    t = fl + (1 if abs(x) - fl >= 0.5 else 0)
    return int(t) if x >= 0 else -int(t)


def bitlinear_layer_scale(K, s_w, exp_norm):
    x = math.sqrt(K) * (1.0 / float(s_w)) * (2.0 ** (16 - exp_norm)) / 127.0
    return scale_from_double(x)


class IntModel:
    def __init__(self, model_dir):
        cfg = json.load(open(os.path.join(model_dir, "config.json")))
        t = safetensors_io.load(os.path.join(model_dir, "model.safetensors"))
        t = {k: v.numpy() for k, v in t.items()}
        self.d = cfg["hidden_size"]
        self.L = cfg["num_hidden_layers"]
        self.vocab = cfg["vocab_size"]
        inter = cfg.get("intermediate_size")
        if inter is None:
            ratio = 4 if cfg.get("hidden_ratio") is None else cfg["hidden_ratio"]
            i = int(self.d * ratio * 2 / 3)
            inter = 256 * ((i + 255) // 256)
        self.I = inter
        self.use_lb = bool(cfg.get("use_lower_bound", True))

        def bitlinear(prefix):
            w = t[prefix + ".weight"]
            wt, s_w = ternarize(w)
            mant, exp = quantize_norm_weight(t[prefix + ".norm.weight"])
            K = w.shape[1]
            return BitLinearQ(wt, mant, bitlinear_layer_scale(K, s_w, exp))

        def norm(name):
            return quantize_norm_weight(t[name])     # (mantissas, exponent)

        self.eps = scale_from_double(float(cfg.get("rms_norm_eps", 1e-6)))

        E = t["model.embeddings.weight"].astype(np.float32)
        emb = np.array([[llround(float(x) * 65536.0) for x in row] for row in E.tolist()],
                       dtype=np.int64)
        if np.any(emb < INT32_MIN) or np.any(emb > INT32_MAX):
            raise ValueError("embedding outside int32")
        self.emb = emb

        self.layers = []
        for l in range(self.L):
            p = f"model.layers.{l}."
            self.layers.append(dict(
                attn_norm=norm(p + "attn_norm.weight"),
                i_proj=bitlinear(p + "attn.i_proj"),
                f_proj=bitlinear(p + "attn.f_proj"),
                g_proj=bitlinear(p + "attn.g_proj"),
                g_norm=norm(p + "attn.g_norm.weight"),
                o_proj=bitlinear(p + "attn.o_proj"),
                mlp_norm=norm(p + "mlp_norm.weight"),
                gate_proj=bitlinear(p + "mlp.gate_proj"),
                down_proj=bitlinear(p + "mlp.down_proj"),
            ))
        self.final_norm = norm("model.norm.weight")
        self.lm_head = bitlinear("lm_head")

        # lower bounds: softmax over layers and cumsum in double, minus layer 0, -> float32
        self.lb = None
        if self.use_lb:
            lbp = torch.from_numpy(t["model.lower_bounds"].astype(np.float32)).double()
            lb = lbp.softmax(0)
            lb = (lb.cumsum(0) - lb[0]).float().numpy()
            self.lb = np.array([[llround(float(x) * 16777216.0) for x in row]
                                for row in lb.tolist()], dtype=np.int64)

    def zero_state(self):
        return [np.zeros(self.d, np.int64) for _ in range(self.L)]

    def step(self, token, state, layer_out=None):
        x = self.emb[token].copy()
        eps = self.eps
        for l, P in enumerate(self.layers):
            v, blk = apply_norm_weight(x, *P["attn_norm"], eps)
            i = P["i_proj"](v, blk)
            fz = P["f_proj"](v, blk)
            g = P["g_proj"](v, blk)
            sig = sigmoid_q24(fz)
            if l > 0 and self.use_lb:
                f = forget_gate_q24(sig, self.lb[l])
            else:
                f = sig
            c = mlgru_candidate_q20(silu_q16(i), (1 << 24) - f)
            h = mlgru_state_update_q20(f, state[l], c)
            state[l] = h
            sh = silu_q16(round_shift_np(h, 4))
            tt, tblk = apply_norm_weight(g, *P["g_norm"], eps)
            v, blk = product_block(tt, tblk, sh, PLAIN)
            o = P["o_proj"](v, blk)
            r = add_sat_i32(o, x)
            v, blk = apply_norm_weight(r, *P["mlp_norm"], eps)
            gy = P["gate_proj"](v, blk)
            gate, y = gy[:self.I], gy[self.I:]
            v, blk = product_block(silu_q16(gate), PLAIN, y, PLAIN)
            z = P["down_proj"](v, blk)
            x = add_sat_i32(r, z)
            if layer_out is not None:
                layer_out.append(x.copy())
        v, blk = apply_norm_weight(x, *self.final_norm, eps)
        return self.lm_head(v, blk)

    def run(self, tokens, want_layers=False):
        state = self.zero_state()
        logits, layers = [], []
        for tok in tokens:
            lo = [] if want_layers else None
            logits.append(self.step(int(tok), state, lo))
            if want_layers:
                layers.append(np.stack(lo))
        return np.stack(logits), (np.stack(layers) if want_layers else None), state


# --------------------------------------------------------------------------------------------


def golden_prompts_from_train():
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "train.py")
    src = open(path, encoding="utf-8").read()
    import ast
    tree = ast.parse(src)
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "GOLDEN_PROMPTS"
                                                for t in node.targets):
            return ast.literal_eval(node.value)
    raise RuntimeError("GOLDEN_PROMPTS not found in train.py")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--out", default=None)
    ap.add_argument("--golden", default=None)
    ap.add_argument("--generate", default=None, help="prompt text: greedy continuation")
    ap.add_argument("--max-new-tokens", type=int, default=40)
    ap.add_argument("--eval", default=None, help="text file: bits per byte")
    ap.add_argument("--max-bytes", type=int, default=0)
    args = ap.parse_args()

    model = IntModel(args.model)

    if args.generate is not None:
        toks = list(args.generate.encode("utf-8"))
        state = model.zero_state()
        logits = None
        for t in toks:
            logits = model.step(t, state)
        out = []
        for _ in range(args.max_new_tokens):
            nxt = int(np.argmax(logits))          # lowest index on ties
            out.append(nxt)
            logits = model.step(nxt, state)
        sys.stdout.buffer.write(bytes(toks + out))
        sys.stdout.buffer.write(b"\n")
        sys.stdout.flush()

    if args.eval is not None:
        data = open(args.eval, "rb").read()
        if args.max_bytes:
            data = data[:args.max_bytes]
        state = model.zero_state()
        total = 0.0
        for pos in range(len(data) - 1):
            lg = (model.step(data[pos], state).astype(np.float64) / 65536.0).tolist()
            # log-softmax in float64: max-subtracted, exp summed sequentially (this summation
            # order reproduces the C++ eval to the last printed digit)
            mx = max(lg)
            se = 0.0
            for e in lg:
                se += math.exp(e - mx)
            total += -(lg[data[pos + 1]] - mx - math.log(se))
        n = len(data) - 1
        print(json.dumps({"bpb": total / n / math.log(2), "bytes": n}))

    if args.out is not None:
        if args.golden:
            g = safetensors_io.load(args.golden)
            n = 0
            while f"prompt{n}.tokens" in g:
                n += 1
            prompts = [g[f"prompt{i}.tokens"].numpy().astype(np.int64) for i in range(n)]
        else:
            g = {}
            prompts = [np.array(list(p.encode("utf-8")), np.int64)
                       for p in golden_prompts_from_train()]
        out = {}
        for i, toks in enumerate(prompts):
            logits, layers, _ = model.run(toks, want_layers=(i == 0))
            out[f"prompt{i}.tokens"] = torch.from_numpy(toks.astype(np.int32))
            out[f"prompt{i}.logits_q16"] = torch.from_numpy(logits.astype(np.int32))
            if i == 0:
                out["prompt0.layer_out_q16"] = torch.from_numpy(layers.astype(np.int32))
            key = f"prompt{i}.logits"
            if key in g:
                ref = g[key].numpy().astype(np.float64)
                diff = np.max(np.abs(logits.astype(np.float64) / 65536.0 - ref))
                print(f"prompt{i}: T={len(toks)} max|logits_q16/65536 - float| = {diff:.6g}")
            else:
                print(f"prompt{i}: T={len(toks)}")
        safetensors_io.save(out, args.out, {"format": "pt", "source": "models/train/int_spec.py"})
        print("wrote", args.out)


if __name__ == "__main__":
    main()
