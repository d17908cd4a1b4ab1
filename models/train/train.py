#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Train a byte-level HGRNBit with quantization-aware training and export an HF checkpoint.

Data: a text file, split by bytes: the first 90 % train, the last 10 % held out and never
trained on (tinyshakespeare: 1,003,854 / 111,540 bytes, the char-rnn / nanoGPT split).
Training is stateful truncated BPTT: the training bytes are cut into `batch` contiguous streams,
each step reads the next `seq` bytes of every stream and carries the recurrent state (detached)
from the step before, as evaluation carries it across the whole text.

Output folder (HF layout): config.json, model.safetensors, train_summary.json. With --golden
FILE it also writes golden logits (every position of several prompts, exact mode) for the C++
float reference test.

Sparsity-aware training (none of it is active by default; without these options the trainer
computes exactly what it always did):
  --act-threshold THETA  the chip's activation threshold in the QAT forward pass: every
                         BitLinear input code with |q| <= THETA is 0 (no event), the
                         dequantization scale unchanged, the gradient straight through (as for
                         the rounding). The held-out evaluation applies the same threshold.
  --act-penalty LAMBDA   adds LAMBDA * mean over all BitLinear input codes of
                         |x_hat| / max|x_hat| (the code's magnitude relative to its token's
                         absmax, i.e. |q| / 127 before rounding) to the loss: pulls the codes
                         that carry little towards the threshold.
  --init DIR             fine-tune from an exported checkpoint (its config.json fixes the shape)
                         instead of training from a random initialization.
The held-out evaluation always reports the activation sparsity: the share of BitLinear input
codes that are 0 (after the threshold), counted per BitLinear as the chip counts events.

Run with Debian's interpreter (/usr/bin/python3) and python3-torch; see models/zoo/*/README.md
for the exact command that produced each committed checkpoint.
"""

import argparse
import json
import math
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hgrn_bit  # noqa: E402
import safetensors_io  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))

GOLDEN_PROMPTS = [
    "ROMEO:\nBut soft, what light through yonder window breaks?",
    "First Citizen:\nBefore we proceed any further, hear me speak.",
    "To be, or not to be: that is the question.",
    "caf\u00e9 \u2014 bytes \u00ff\u0000 and digits 0123456789!?",
]


def split_bytes(path):
    raw = open(path, "rb").read()
    n_train = len(raw) - len(raw) // 10 - (1 if len(raw) % 10 else 0)
    # tinyshakespeare: 1,115,394 bytes -> 1,003,854 train + 111,540 held out
    return torch.tensor(list(raw[:n_train]), dtype=torch.uint8), \
        torch.tensor(list(raw[n_train:]), dtype=torch.uint8)


def lr_at(step, steps, peak, warmup):
    if step < warmup:
        return peak * (step + 1) / warmup
    p = (step - warmup) / max(1, steps - warmup)
    return peak * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * p)))


def export(model, out_dir, summary):
    os.makedirs(out_dir, exist_ok=True)
    cfg = model.cfg.to_hf()
    tmp = os.path.join(out_dir, "config.json.tmp")
    with open(tmp, "w") as f:
        json.dump(cfg, f, indent=2, sort_keys=True)
        f.write("\n")
    os.replace(tmp, os.path.join(out_dir, "config.json"))
    safetensors_io.save(model.hf_state_dict(), os.path.join(out_dir, "model.safetensors"))
    tmp = os.path.join(out_dir, "train_summary.json.tmp")
    with open(tmp, "w") as f:
        json.dump(summary, f, indent=2, sort_keys=True)
        f.write("\n")
    os.replace(tmp, os.path.join(out_dir, "train_summary.json"))


def write_golden(model, path):
    """Exact-mode logits at every position of GOLDEN_PROMPTS, zero initial state (at the
    model's activation threshold, recorded in the metadata when it is not 0)."""
    model.eval()
    tensors = {}
    with torch.no_grad():
        for i, p in enumerate(GOLDEN_PROMPTS):
            toks = torch.tensor(list(p.encode("utf-8")), dtype=torch.long).unsqueeze(0)
            logits, _ = model(toks)
            tensors[f"prompt{i}.tokens"] = toks[0].to(torch.int32)
            tensors[f"prompt{i}.logits"] = logits[0].float()
    meta = {"format": "pt", "source": "models/train/train.py", "mode": "exact"}
    theta = model.lm_head.act_threshold
    if theta > 0:
        meta["act_threshold"] = str(theta)
    safetensors_io.save(tensors, path, meta)


def load_checkpoint_config(path):
    with open(os.path.join(path, "config.json")) as f:
        hf = json.load(f)
    if hf.get("model_type") != "hgrn_bit":
        raise ValueError(f"{path}/config.json: model_type {hf.get('model_type')!r}, expected 'hgrn_bit'")
    return hgrn_bit.Config(vocab_size=hf["vocab_size"], hidden_size=hf["hidden_size"],
                           num_hidden_layers=hf["num_hidden_layers"],
                           hidden_ratio=hf.get("hidden_ratio", 4),
                           intermediate_size=hf.get("intermediate_size"),
                           rms_norm_eps=hf.get("rms_norm_eps", 1e-6),
                           use_lower_bound=hf.get("use_lower_bound", True))


def heldout_eval(model, held):
    """Held-out bpb (exact mode, one stream, state carried) and activation sparsity."""
    stats = hgrn_bit.ActStats()
    bpb, nbytes = hgrn_bit.bits_per_byte(model, held, stats=stats)
    return bpb, nbytes, stats


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=os.path.join(REPO, "data", "tinyshakespeare", "input.txt"))
    ap.add_argument("--out", required=True, help="checkpoint folder to write")
    ap.add_argument("--hidden-size", type=int, default=256)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--intermediate-size", type=int, default=None,
                    help="GLU width I (default: derived as HF does, 256*ceil(int(8d/3)/256))")
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--seq", type=int, default=128)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--weight-decay", type=float, default=0.01)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--log-every", type=int, default=50)
    ap.add_argument("--golden", default=None, help="also write golden logits to this file")
    ap.add_argument("--heldout-limit", type=int, default=0,
                    help="score only the first N held-out bytes (0 = all; smoke runs)")
    ap.add_argument("--init", default=None, metavar="CHECKPOINT_DIR",
                    help="fine-tune from this checkpoint (its config.json gives the shape; "
                         "--hidden-size, --layers, --intermediate-size are then ignored)")
    ap.add_argument("--act-threshold", type=int, default=0, metavar="THETA",
                    help="activation threshold: BitLinear input codes with |q| <= THETA are 0 "
                         "in training (straight-through gradient) and evaluation (default 0: off)")
    ap.add_argument("--act-penalty", type=float, default=0.0, metavar="LAMBDA",
                    help="loss += LAMBDA * mean |x_hat|/max|x_hat| over all BitLinear input codes "
                         "(default 0: off)")
    ap.add_argument("--eval-every", type=int, default=0,
                    help="also score the first --eval-bytes held-out bytes every N steps (0: never)")
    ap.add_argument("--eval-bytes", type=int, default=20000)
    args = ap.parse_args()
    if args.act_threshold < 0:
        ap.error(f"--act-threshold must be >= 0, got {args.act_threshold}")
    if args.act_penalty < 0:
        ap.error(f"--act-penalty must be >= 0, got {args.act_penalty}")

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    train, held = split_bytes(args.data)
    if args.heldout_limit > 0:
        held = held[:args.heldout_limit]
    if args.init:
        cfg = load_checkpoint_config(args.init)
        if cfg.vocab_size != 256:
            raise ValueError(f"{args.init}: vocab_size {cfg.vocab_size}, the trainer is byte-level (256)")
    else:
        cfg = hgrn_bit.Config(vocab_size=256, hidden_size=args.hidden_size,
                              num_hidden_layers=args.layers,
                              intermediate_size=args.intermediate_size)
    model = hgrn_bit.HGRNBitForCausalLM(cfg)
    nparams = sum(p.numel() for p in model.parameters())
    print(f"params {nparams:,}  train bytes {len(train):,}  held-out bytes {len(held):,}", flush=True)
    init_summary = None
    if args.init:
        model.load_hf_state_dict(safetensors_io.load(os.path.join(args.init, "model.safetensors")))
        # The starting point, measured as the result will be: dense, then at the threshold.
        bpb0, _, st0 = heldout_eval(model, held)
        print(f"init {args.init}: held-out bpb {bpb0:.6f}, activation sparsity {st0.sparsity():.4f} "
              f"(threshold 0)", flush=True)
        init_path = os.path.abspath(args.init)
        if init_path.startswith(REPO + os.sep):
            init_path = os.path.relpath(init_path, REPO)
        init_summary = {"path": init_path,
                        "heldout_bpb_exact": bpb0, "heldout_act_sparsity": st0.sparsity()}
        if args.act_threshold > 0:
            model.set_act_threshold(args.act_threshold)
            bpb0, _, st0 = heldout_eval(model, held)
            print(f"init at threshold {args.act_threshold}: held-out bpb {bpb0:.6f}, "
                  f"activation sparsity {st0.sparsity():.4f}", flush=True)
            init_summary["heldout_bpb_exact_at_threshold"] = bpb0
            init_summary["heldout_act_sparsity_at_threshold"] = st0.sparsity()
    if args.act_threshold > 0:
        model.set_act_threshold(args.act_threshold)
    # Sparsity-aware runs count the training codes too (the log's "train sparsity").
    train_stats = None
    if args.act_threshold > 0 or args.act_penalty > 0:
        train_stats = hgrn_bit.ActStats(penalty=args.act_penalty > 0)

    decay, no_decay = [], []
    for n, p in model.named_parameters():
        (decay if (p.dim() == 2 and "embeddings" not in n and "lower_bounds" not in n)
         else no_decay).append(p)
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.95))

    gen = torch.Generator().manual_seed(args.seed)
    stream_len = (len(train) - 1) // args.batch
    steps_per_epoch = (stream_len - args.seq) // args.seq
    pos, offset, state = steps_per_epoch, 0, None
    t0 = time.time()
    window = []
    pen_window = []
    for step in range(args.steps):
        if pos >= steps_per_epoch:                 # new epoch: random shift, fresh state
            offset = int(torch.randint(0, args.seq, (1,), generator=gen))
            pos, state = 0, None
        starts = torch.arange(args.batch) * stream_len + offset + pos * args.seq
        idx = starts.unsqueeze(1) + torch.arange(args.seq + 1).unsqueeze(0)
        chunk = train[idx].long()
        x, y = chunk[:, :-1], chunk[:, 1:]
        pos += 1
        for g in opt.param_groups:
            g["lr"] = lr_at(step, args.steps, args.lr, args.warmup)
        model.train()
        if train_stats is not None:
            train_stats.reset_penalty()
            model.set_act_stats(train_stats)
        logits, state = model(x, state)
        state = [s.detach() for s in state]
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, 256), y.reshape(-1))
        total = loss
        if train_stats is not None:
            model.set_act_stats(None)
            if args.act_penalty > 0:
                pen = train_stats.penalty / train_stats.penalty_codes
                pen_window.append(pen.item())
                total = loss + args.act_penalty * pen
        opt.zero_grad(set_to_none=True)
        total.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        window.append(loss.item())
        if step % args.log_every == 0 or step == args.steps - 1:
            el = time.time() - t0
            loss_avg = sum(window) / len(window)
            window = []
            extra = ""
            if train_stats is not None:
                extra = f"  train sparsity {train_stats.sparsity():.3f}"
                train_stats.zeros = train_stats.codes = 0
            if pen_window:
                extra += f"  penalty {sum(pen_window) / len(pen_window):.4f}"
                pen_window = []
            print(f"step {step:5d}/{args.steps}  loss {loss_avg / math.log(2):.3f} bpb(train)  "
                  f"lr {opt.param_groups[0]['lr']:.2e}  {el:7.0f}s  "
                  f"eta {el / (step + 1) * (args.steps - step - 1):6.0f}s{extra}", flush=True)
        if args.eval_every > 0 and (step + 1) % args.eval_every == 0 and step + 1 < args.steps:
            te = time.time()
            vb, vn, vs = heldout_eval(model, held[:args.eval_bytes])
            t0 += time.time() - te              # evaluation time is not training wall time
            print(f"  eval step {step + 1}: held-out[:{vn + 1}] bpb {vb:.4f}  "
                  f"activation sparsity {vs.sparsity():.4f}", flush=True)
    wall = time.time() - t0

    bpb, nbytes, stats = heldout_eval(model, held)
    sparsity = stats.sparsity()
    print(f"held-out bpb (exact mode, state carried over {nbytes} predictions): {bpb:.4f}", flush=True)
    print(f"held-out activation sparsity (threshold {args.act_threshold}): {sparsity:.4f} "
          f"({stats.zeros:,} of {stats.codes:,} BitLinear input codes are 0)", flush=True)
    summary = {
        "data": os.path.relpath(args.data, REPO) if args.data.startswith(REPO) else args.data,
        "train_bytes": len(train), "heldout_bytes": len(held),
        "seed": args.seed, "steps": args.steps, "batch": args.batch, "seq": args.seq,
        "lr": args.lr, "warmup": args.warmup, "weight_decay": args.weight_decay,
        "threads": args.threads, "wall_time_s": round(wall, 1), "params": nparams,
        "heldout_bpb_exact": bpb, "heldout_predictions": nbytes,
        "heldout_act_sparsity": sparsity,
        "torch_version": torch.__version__,
    }
    if args.act_threshold > 0 or args.act_penalty > 0 or args.init:
        summary["act_threshold"] = args.act_threshold
        summary["act_penalty"] = args.act_penalty
    if init_summary is not None:
        summary["init"] = init_summary
    export(model, args.out, summary)

    # Reload from the written checkpoint and check the held-out loss is unchanged.
    tensors = safetensors_io.load(os.path.join(args.out, "model.safetensors"))
    model2 = hgrn_bit.HGRNBitForCausalLM(cfg)
    model2.load_hf_state_dict(tensors)
    model2.set_act_threshold(args.act_threshold)
    bpb2, _, stats2 = heldout_eval(model2, held)
    print(f"held-out bpb after reload: {bpb2:.6f} (before export {bpb:.6f})", flush=True)
    if bpb2 != bpb or stats2.sparsity() != sparsity:
        print("error: reloaded checkpoint gives a different held-out loss or sparsity", file=sys.stderr)
        return 1
    summary["heldout_bpb_after_reload"] = bpb2
    export(model, args.out, summary)
    if args.golden:
        write_golden(model2, args.golden)
        print(f"wrote golden logits to {args.golden}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
