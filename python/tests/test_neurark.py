# SPDX-License-Identifier: Apache-2.0
"""Tests of the neurark Python module (docs/python.md).

Every figure is checked against an independent source: the command line built in the same tree
(`neurark run`'s report.json, `fit --json`, `inspect --json`, `eval --json`, its error messages),
a checkpoint's config.json read with the json module, or the sweep folder's own files. Inputs are
the tiny model and chip of tests/fixtures/, so each case takes about a second.
"""
import json
import math
import pathlib

import pytest

import neurark

PROMPT = b"\x01\x02\x05\x07\x03"   # the tiny model reads bytes below its vocab_size of 20


@pytest.fixture(scope="module")
def tiny(src):
    return str(src / "tests/fixtures/tiny")


@pytest.fixture(scope="module")
def tiny_chip(src):
    return str(src / "tests/fixtures/tiny-3x2.yaml")


@pytest.fixture(scope="module")
def priced_chip(src, tiny_chip, tmp_path_factory):
    """tiny-3x2 with the default chip's energy table (tiny-3x2 names none: its energy would be 0)."""
    text = pathlib.Path(tiny_chip).read_text()
    table = src / "arch/energy/horowitz-45nm.yaml"
    assert "  node_nm: 22\n" in text
    path = tmp_path_factory.mktemp("chips") / "tiny-3x2-priced.yaml"
    path.write_text(text.replace("  node_nm: 22\n", f"  node_nm: 22\n  energy_table: {table}\n"))
    return str(path)


def cli_report(cli, tmp_path, model, chip, backend, max_new_tokens):
    out = tmp_path / "cli-run"
    cli("run", "--model", model, "--chip", chip, "--prompt", PROMPT, "--max-new-tokens", str(max_new_tokens),
        "--backend", backend, "--out", str(out))
    return json.loads((out / "report.json").read_text())


def without(report, *keys):
    """The report without the keys that name the run rather than measure it."""
    r = dict(report)
    for k in keys:
        r.pop(k)
    return r


# --- the module ------------------------------------------------------------------------------

def test_error_is_an_exception_class():
    assert issubclass(neurark.Error, Exception)
    assert neurark.DEFAULT_CHIP == "arch/chips/default-4x4.yaml"
    assert set(neurark.CHIP_BACKENDS) == {"func", "systemc"}
    assert {"int", "float", "func", "systemc"} <= set(neurark.BACKENDS)


# --- checkpoints -----------------------------------------------------------------------------

def test_load_checkpoint_config_is_config_json(src):
    path = src / "models/zoo/shakespeare-d256-l4"
    ck = neurark.load_checkpoint(str(path))
    cfg = json.loads((path / "config.json").read_text())
    for key in ("hidden_size", "num_hidden_layers", "vocab_size", "intermediate_size", "rms_norm_eps", "use_lower_bound"):
        assert ck.config[key] == cfg[key], key
    d, v = cfg["hidden_size"], cfg["vocab_size"]
    assert ck.tensors["lm_head.weight"] == (v, d)
    assert ck.tensors["model.embeddings.weight"] == (v, d)


def test_checkpoint_read_gives_every_element(tiny):
    ck = neurark.load_checkpoint(pathlib.Path(tiny))   # os.PathLike too
    shape = ck.tensors["model.norm.weight"]
    values = ck.read("model.norm.weight")
    assert len(values) == math.prod(shape) == ck.config["hidden_size"]
    assert all(math.isfinite(x) for x in values)


def test_load_checkpoint_of_a_missing_folder_raises_neurark_error(tmp_path, cli):
    missing = str(tmp_path / "nope")
    with pytest.raises(neurark.Error) as e:
        neurark.load_checkpoint(missing)
    # the same message as the command line's
    p = cli("fit", "--model", missing, "--chip", neurark.DEFAULT_CHIP, check=False)
    assert p.returncode == 1
    assert p.stderr.decode().strip() == f"neurark: error: {e.value}"


# --- chips, fit, compile, images ---------------------------------------------------------------

def test_read_chip_gives_the_yaml_document(tiny_chip, src):
    d = neurark.read_chip(tiny_chip)
    assert d["name"] == "tiny-3x2"
    assert d["mesh"] == {"width": 3, "height": 2}
    assert d["clock_hz"] == 100e6 and isinstance(d["clock_hz"], float)
    assert d["neurocore"]["lanes"] == 4
    default = neurark.read_chip(str(src / neurark.DEFAULT_CHIP))
    assert default["technology"]["operating_points"] == {0.6: 310e6, 0.7: 412e6, 0.8: 500e6, 0.9: 577e6}
    # relative table paths made absolute: the dict is valid from any folder
    assert default["technology"]["energy_table"] == str(src / "arch/energy/horowitz-45nm.yaml")


def test_fit_equals_cli_fit_json(tiny, tiny_chip, cli):
    got = neurark.fit(tiny, tiny_chip)
    want = json.loads(cli("fit", "--model", tiny, "--chip", tiny_chip, "--json").stdout)
    assert got == want
    assert got["fits"] is True and got["cores"] == 6


def test_fit_on_a_chip_too_small_raises_the_cli_message(tiny, tiny_chip, tmp_path, cli):
    small = tmp_path / "one-core.yaml"
    small.write_text(pathlib.Path(tiny_chip).read_text().replace("width: 3", "width: 2").replace("height: 2", "height: 1"))
    with pytest.raises(neurark.Error) as e:
        neurark.fit(tiny, str(small))
    assert "does not fit chip 'tiny-3x2'" in str(e.value)
    p = cli("fit", "--model", tiny, "--chip", str(small), check=False)
    assert p.returncode == 1
    assert p.stderr.decode().strip() == f"neurark: error: {e.value}"
    # the same chip as a dict: the same refusal
    d = neurark.read_chip(tiny_chip)
    d["mesh"] = {"width": 2, "height": 1}
    with pytest.raises(neurark.Error, match="does not fit chip 'tiny-3x2'"):
        neurark.fit(tiny, d)


def test_chip_dict_fit_equals_file_fit(tiny, tiny_chip):
    assert neurark.fit(tiny, neurark.read_chip(tiny_chip)) == neurark.fit(tiny, tiny_chip)


def test_chip_dict_is_read_by_the_chip_reader(tiny_chip):
    d = neurark.read_chip(tiny_chip)
    d["neurocore"]["lanes"] = 8
    assert neurark.chip_summary(d)["lanes"] == 8
    assert neurark.chip_summary(tiny_chip)["lanes"] == 4
    d["neurocore"]["lanes"] = 0
    with pytest.raises(neurark.Error, match="neurocore.lanes"):
        neurark.chip_summary(d)
    del d["neurocore"]["lanes"]
    d["neurocore"]["lanez"] = 4
    with pytest.raises(neurark.Error, match="lanez"):
        neurark.chip_summary(d)


def test_bad_arguments_give_clear_errors(tiny, tiny_chip):
    with pytest.raises(TypeError, match="chip: expected a chip file path"):
        neurark.fit(tiny, 42)
    with pytest.raises(TypeError, match="chip: the dict must hold only JSON data"):
        neurark.fit(tiny, {"name": object()})
    with pytest.raises(TypeError, match="model: expected a path"):
        neurark.fit(3, tiny_chip)
    with pytest.raises(ValueError, match="prompt and prompt_file: give one of them"):
        neurark.run(tiny, tiny_chip, prompt="a", prompt_file="b", backend="func")
    with pytest.raises(TypeError, match="prompt: expected str or bytes"):
        neurark.run(tiny, tiny_chip, prompt=5, backend="func")
    with pytest.raises(neurark.Error, match=r"--max-new-tokens: 1 is out of range"):
        neurark.run(tiny, tiny_chip, prompt=PROMPT, max_new_tokens=1, backend="func")
    with pytest.raises(neurark.Error, match="a run needs a chip backend"):
        neurark.run(tiny, tiny_chip, prompt=PROMPT, backend="int")
    with pytest.raises(neurark.Error, match="outside the model's vocabulary of 20 tokens"):
        neurark.run(tiny, tiny_chip, prompt="ROMEO", backend="func")
    # A NUL byte would cut the path short in C: refused as Python's open() refuses it.
    with pytest.raises(ValueError, match="chip: embedded null byte"):
        neurark.fit(tiny, tiny_chip + "\x00.bak")
    with pytest.raises(ValueError, match="model: embedded null byte"):
        neurark.fit(tiny + "\x00x", tiny_chip)


def test_compile_and_read_image_equal_the_cli(tiny, tiny_chip, tmp_path, cli):
    mine = tmp_path / "py.nimg"
    got = neurark.compile(tiny, tiny_chip, str(mine), seed=3)
    assert got == neurark.read_image(str(mine))
    assert got == json.loads(cli("inspect", str(mine), "--json").stdout)
    theirs = tmp_path / "cli.nimg"
    cli("compile", "--model", tiny, "--chip", tiny_chip, "-o", str(theirs), "--seed", "3")
    assert mine.read_bytes() == theirs.read_bytes()
    assert got["summary"]["seed"] == 3
    with pytest.raises(neurark.Error):
        neurark.read_image(tiny_chip)   # not an image
    # the image must not overwrite an input: the command line's check and message
    with pytest.raises(neurark.Error) as e:
        neurark.compile(tiny, tiny_chip, tiny_chip)
    assert "is an input" in str(e.value)
    p = cli("compile", "--model", tiny, "--chip", tiny_chip, "-o", tiny_chip, check=False)
    assert p.returncode == 1 and p.stderr.decode().strip().endswith(f"neurark: error: {e.value}")


# --- runs ------------------------------------------------------------------------------------

def check_run_equals_cli(cli, tmp_path, tiny, tiny_chip, backend):
    r = neurark.run(tiny, tiny_chip, prompt=PROMPT, max_new_tokens=4, backend=backend, run_id="py")
    rep = r.report
    want = cli_report(cli, tmp_path, tiny, tiny_chip, backend, 4)
    assert without(rep, "run_id") == without(want, "run_id")
    assert rep["run_id"] == "py"
    # the typed fields are the report's numbers
    assert r.tokens == rep["tokens"] == len(PROMPT) + 4 - 1
    assert r.energy_per_token_j == rep["energy_per_token_j"] > 0
    assert r.prefill.energy_per_token_j == rep["prefill_energy_per_token_j"]
    assert r.tokens_per_s == rep["tokens_per_s"]
    assert r.energy_j == rep["energy_j"]
    assert r.energy_breakdown_j == rep["energy_breakdown_j"]
    assert r.generated_bytes.decode("latin-1") == rep["generated_text"]
    assert r.chip_name == "tiny-3x2" and r.backend == backend
    assert r.area_mm2 is None and rep["hardware_cost"] is None   # tiny-3x2 names no cost table
    assert r.energy_table != "" and r.tokens_compared == r.tokens
    return r


def test_run_func_equals_cli_report(cli, tmp_path, tiny, priced_chip):
    r = check_run_equals_cli(cli, tmp_path, tiny, priced_chip, "func")
    assert not r.timed and r.tokens_per_s is None and r.generation.cycles is None


@pytest.mark.systemc
def test_run_systemc_equals_cli_report(cli, tmp_path, tiny, priced_chip):
    r = check_run_equals_cli(cli, tmp_path, tiny, priced_chip, "systemc")
    assert r.timed and r.tokens_per_s > 0 and r.generation.cycles > 0
    assert len(r.token_latency_s) == r.tokens


def test_run_check_every_is_the_cli_option(cli, tmp_path, tiny, priced_chip):
    r = neurark.run(tiny, priced_chip, prompt=PROMPT, max_new_tokens=4, backend="func", check_every=3, run_id="py")
    out = tmp_path / "every3"
    cli("run", "--model", tiny, "--chip", priced_chip, "--prompt", PROMPT, "--max-new-tokens", "4",
        "--backend", "func", "--check-every", "3", "--out", str(out))
    want = json.loads((out / "report.json").read_text())
    assert without(r.report, "run_id") == without(want, "run_id")
    assert r.check_every == 3 and r.reference == "int"
    assert r.tokens_compared == want["cross_check"]["tokens_compared"] == (r.tokens + 2) // 3
    none = neurark.run(tiny, priced_chip, prompt=PROMPT, max_new_tokens=4, backend="func", check_every=0)
    assert none.reference == "none" and none.tokens_compared == 0
    with pytest.raises(neurark.Error, match="--check-every: -2 is out of range"):
        neurark.run(tiny, priced_chip, prompt=PROMPT, max_new_tokens=4, check_every=-2)


def test_events_are_the_cli_options(cli, tmp_path, tiny, priced_chip):
    r = neurark.run(tiny, priced_chip, prompt=PROMPT, max_new_tokens=4, backend="func", event_threshold=2, run_id="py")
    out = tmp_path / "theta2"
    cli("run", "--model", tiny, "--chip", priced_chip, "--prompt", PROMPT, "--max-new-tokens", "4",
        "--backend", "func", "--event-threshold", "2", "--out", str(out))
    want = json.loads((out / "report.json").read_text())
    assert without(r.report, "run_id") == without(want, "run_id")
    assert want["chip"]["parameters"]["neurocore"]["event_threshold"] == 2
    assert want["chip"]["parameters"]["neurocore"]["event_encoding"] == "absolute"
    dense = neurark.run(tiny, priced_chip, prompt=PROMPT, max_new_tokens=4, backend="func")
    assert r.events_per_token < dense.events_per_token
    e = neurark.evaluate(max_bytes=200, event_encoding="sigma_delta", event_threshold=0)  # the bundled model
    d = neurark.evaluate(max_bytes=200)
    assert e["bpb"] == d["bpb"]  # sigma-delta at threshold 0: the dense outputs
    assert e["activity"]["events_per_token"] != d["activity"]["events_per_token"]  # through other events
    assert e["events"] == {"encoding": "sigma_delta", "threshold": 0} and d["events"]["threshold"] == 0
    t = neurark.evaluate(max_bytes=200, event_threshold=4)
    assert t["activity"]["activation_sparsity"] > d["activity"]["activation_sparsity"] + 0.1
    with pytest.raises(neurark.Error, match="--event-threshold: 255 is out of range"):
        neurark.run(tiny, priced_chip, prompt=PROMPT, max_new_tokens=4, event_threshold=255)
    with pytest.raises(neurark.Error, match="--event-encoding: 'delta'"):
        neurark.evaluate(tiny, event_encoding="delta")
    with pytest.raises(neurark.Error, match="the float backend has no events"):
        neurark.evaluate(tiny, backend="float", event_threshold=1)


def test_sparsity_is_the_cli_command(cli, tmp_path):
    args = dict(max_bytes=100, encodings=["absolute"], thresholds=[0, 4], backend="func", weight_encodings=False)
    r = neurark.sparsity(**args)
    cli("sparsity", "--model", neurark.DEFAULT_MODEL, "--chip", neurark.DEFAULT_CHIP, "--text", neurark.DEFAULT_PROMPT_FILE,
        "--max-bytes", "100", "--encodings", "absolute", "--thresholds", "0,4", "--backend", "func",
        "--no-weight-encodings", "--out", str(tmp_path / "sp"))
    want = json.loads((tmp_path / "sp" / "sparsity.json").read_text())
    assert r == want
    assert r["points"][1]["activation_sparsity"] > r["points"][0]["activation_sparsity"]
    with pytest.raises(neurark.Error, match="--thresholds: 2 after 4"):
        neurark.sparsity(**dict(args, thresholds=[4, 2]))


@pytest.mark.systemc
def test_chip_dict_run_equals_file_run(tiny, priced_chip):
    by_file = neurark.run(tiny, priced_chip, prompt=PROMPT, max_new_tokens=3).report
    by_dict = neurark.run(tiny, neurark.read_chip(priced_chip), prompt=PROMPT, max_new_tokens=3).report
    assert by_dict["chip"].pop("file") == "<chip dict>"
    assert by_file["chip"].pop("file") == priced_chip
    assert by_dict == by_file
    assert by_dict["energy_per_token_j"] > 0 and by_dict["tokens_per_s"] > 0


def test_evaluate_equals_cli_eval(src, tmp_path, cli):
    model = str(src / neurark.DEFAULT_MODEL)
    text = str(src / neurark.DEFAULT_PROMPT_FILE)
    chip = str(src / neurark.DEFAULT_CHIP)
    for backend, chip_arg in (("int", None), ("func", chip)):
        got = neurark.evaluate(model, text, backend=backend, chip=chip_arg, max_bytes=60)
        args = ["eval", "--model", model, "--text", text, "--backend", backend, "--max-bytes", "60", "--json"]
        if chip_arg:
            args += ["--chip", chip_arg]
        want = json.loads(cli(*args).stdout)
        assert got["bpb"] == want["bpb"] and got["bytes"] == want["bytes"] == 59
        assert got.get("activity") == want.get("activity")
    assert got["activity"]["dynamic_energy_per_token_pj"] > 0
    # the chip as a dict: the same figures
    by_dict = neurark.evaluate(model, text, backend="func", chip=neurark.read_chip(chip), max_bytes=60)
    assert (by_dict["bpb"], by_dict["activity"]) == (got["bpb"], got["activity"])
    with pytest.raises(neurark.Error, match="--chip: the int backend does not model a chip"):
        neurark.evaluate(model, text, backend="int", chip=chip)


@pytest.mark.systemc
def test_run_on_the_default_chip_with_a_changed_dict_equals_cli(src, tmp_path, cli):
    """The bundled model on the default chip with 32 lanes, as a dict and as the CLI's chip file."""
    chip = neurark.read_chip(str(src / neurark.DEFAULT_CHIP))
    chip["neurocore"]["lanes"] = 32
    r = neurark.run(chip=chip, prompt=b"ROMEO:", max_new_tokens=3, synthesize_logic=False)
    path = tmp_path / "lanes32.json"
    path.write_text(json.dumps(chip))     # JSON is YAML: the CLI reads the same chip from a file
    out = tmp_path / "cli-run"
    cli("run", "--chip", str(path), "--prompt", "ROMEO:", "--max-new-tokens", "3", "--no-synthesis", "--out", str(out))
    want = json.loads((out / "report.json").read_text())
    got = r.report
    assert got["chip"].pop("file") == "<chip dict>" and want["chip"].pop("file") == str(path)
    assert without(got, "run_id") == without(want, "run_id")
    assert r.area_mm2 == want["hardware_cost"]["chip_area_mm2"] > 0
    assert r.leakage_w == want["hardware_cost"]["chip_leakage_w"] > 0
    assert r.tokens_per_s > neurark.run(prompt=b"ROMEO:", max_new_tokens=3, synthesize_logic=False).tokens_per_s


# --- sweeps ----------------------------------------------------------------------------------

@pytest.mark.systemc
def test_sweep_runs_points_on_the_cli_and_gives_sweep_json(tiny, tiny_chip, tmp_path, monkeypatch):
    space = tmp_path / "space.yaml"
    space.write_text(f"""format: neurark-sweep
version: 1
name: py-lanes
base_chip: {tiny_chip}
models: [{tiny}]
run: {{prompt: "\\x01\\x02\\x05", max_new_tokens: 3}}
axes:
  neurocore.lanes: [2, 4]
objectives: [energy_per_token_j, tokens_per_s]
search: {{method: grid}}
""")
    # the executable given that does not exist: the runner's message
    with pytest.raises(neurark.Error, match="sweep: cannot start /no/such/neurark for point p0000"):
        neurark.sweep(str(space), str(tmp_path / "nowhere"), neurark_exe="/no/such/neurark")
    # without NEURARK_EXE: the neurark next to the module's folder (build/neurark)
    monkeypatch.delenv("NEURARK_EXE", raising=False)
    out = tmp_path / "sweep"
    got = neurark.sweep(str(space), str(out), jobs=2)
    assert got == json.loads((out / "sweep.json").read_text())
    points = got["points"]
    assert [p["status"] for p in points] == ["ok", "ok"]
    for p in points:
        chip = out / "points" / p["id"] / "chip.yaml"
        assert neurark.chip_summary(str(chip))["lanes"] == int(p["values"]["neurocore.lanes"])
        r = neurark.run(tiny, str(chip), prompt=b"\x01\x02\x05", max_new_tokens=3)
        assert p["objectives"]["energy_per_token_j"] == r.energy_per_token_j
        assert p["objectives"]["tokens_per_s"] == r.tokens_per_s
    # a second sweep over the folder runs nothing again and gives the same results
    assert neurark.sweep(str(space), str(out)) == got
    with pytest.raises(neurark.Error, match="--jobs: 0 is out of range"):
        neurark.sweep(str(space), str(tmp_path / "other"), jobs=0)
