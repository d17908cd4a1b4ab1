#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A lanes study, as a notebook would do it: how do tokens/s and energy per token change with the
number of lanes per neurocore? (docs/python.md)

Each step is a cell: load the bundled model, check that it fits the default chip, then run it on
the SystemC chip model with 4, 8, 16 and 32 lanes (chip dicts derived from the default chip) and
print a table. Every number comes from the C++ libraries (`neurark run` gives the same).

Run from anywhere, with the module on PYTHONPATH and Debian's Python:
    PYTHONPATH=build/python /usr/bin/python3 examples/lanes_study.py
"""
import copy
import pathlib

import neurark

ROOT = pathlib.Path(__file__).resolve().parent.parent   # the repository

# %% The model: a 4-layer, d = 256 HGRNBit checkpoint trained on Shakespeare.
model = str(ROOT / neurark.DEFAULT_MODEL)
ck = neurark.load_checkpoint(model)
cfg = ck.config
print(f"model  {model}: d {cfg['hidden_size']}, {cfg['num_hidden_layers']} layers, vocab {cfg['vocab_size']}")

# %% The chip: the default 4 x 4 mesh as a dict, and does the model fit it?
base = neurark.read_chip(str(ROOT / neurark.DEFAULT_CHIP))
plan = neurark.fit(model, base)
print(f"chip   {base['name']}: {plan['weight_bytes']} bytes of ternary weights on {plan['cores_used']} of "
      f"{plan['cores']} neurocores, {plan['dram_bytes']} bytes in DRAM")

# %% The study: the same prompt on the SystemC model at each lane count. synthesize_logic=False
# prices every chip's logic area at the default chip's (no Yosys run: quick); the energy per
# token and the rates do not depend on it.
rows = []
for lanes in (4, 8, 16, 32):
    chip = copy.deepcopy(base)
    chip["name"] = f"default-4x4-lanes{lanes}"
    chip["neurocore"]["lanes"] = lanes
    r = neurark.run(model, chip, prompt="ROMEO:", max_new_tokens=8, backend="systemc", synthesize_logic=False)
    rows.append((lanes, r.tokens_per_s, r.energy_per_token_j * 1e6, r.cycles_per_token, r.generated_text))

# %% The table.
print(f"\n{'lanes':>5}  {'tokens/s':>10}  {'uJ/token':>9}  {'cycles/token':>12}  text")
for lanes, tps, uj, cycles, text in rows:
    print(f"{lanes:>5}  {tps:>10.0f}  {uj:>9.3f}  {cycles:>12.0f}  {text!r}")

# Every run was checked against the integer reference token by token: the lanes change the
# time and the energy, never the text. More lanes work through a tile's events faster: the rate
# does not fall as lanes grow.
assert len({row[4] for row in rows}) == 1, rows
rates = [row[1] for row in rows]
assert all(a <= b for a, b in zip(rates, rates[1:])), rates
