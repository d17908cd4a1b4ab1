// SPDX-License-Identifier: Apache-2.0
// The `neurark` command line as a user runs it: exit codes, error messages, JSON output.
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "checkpoint_fixtures.hpp"
#include "test_paths.hpp"

namespace fs = std::filesystem;

namespace {

struct Run {
  int exit_code = -1;
  std::string out, err;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Runs `neurark ARGS` with stdout and stderr captured separately.
Run run_cli(const std::string& args, const neurark_test::TempDir& tmp) {
  const std::string out = tmp.file("stdout.txt"), err = tmp.file("stderr.txt");
  const std::string cmd = std::string(NEURARK_CLI) + " " + args + " >" + out + " 2>" + err;
  const int status = std::system(cmd.c_str());
  Run r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

// Runs a shell command (not neurark) the same way.
Run run_cli_shell(const std::string& cmd_line, const neurark_test::TempDir& tmp) {
  const std::string out = tmp.file("stdout.txt"), err = tmp.file("stderr.txt");
  const int status = std::system((cmd_line + " >" + out + " 2>" + err).c_str());
  Run r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

std::string copy_model(const neurark_test::TempDir& tmp) {
  const std::string dst = tmp.file("model");
  fs::copy(neurark::test::default_model_dir(), dst, fs::copy_options::recursive);
  return dst;
}

}  // namespace

TEST_CASE("fidelity --json compares the int reference with float32 and float64, and names a missing text", "[cli]") {
  neurark_test::TempDir tmp;
  const std::string text = neurark::test::source_dir() + "/data/tinyshakespeare/heldout.txt";
  const Run r = run_cli("fidelity --model " + neurark::test::default_model_dir() + " --text " + text +
                            " --max-bytes 9 --json",
                        tmp);
  REQUIRE(r.exit_code == 0);
  const nlohmann::json j = nlohmann::json::parse(r.out);
  CHECK(j["tokens"] == 8);
  CHECK(j["bitlinears"].size() == 25);
  CHECK(j["bitlinears"][0]["codes"] == 8 * 256);
  CHECK(j["bitlinears"][0]["name"] == "model.layers.0.attn.i_proj");
  CHECK(j.contains("float64_bpb"));
  const Run table = run_cli("fidelity --model " + neurark::test::default_model_dir() + " --text " + text +
                                " --max-bytes 9",
                            tmp);
  REQUIRE(table.exit_code == 0);
  CHECK_THAT(table.out, Catch::Contains("model.layers.3.mlp.down_proj") && Catch::Contains("float64=%"));
  const Run bad = run_cli("fidelity --model " + neurark::test::default_model_dir() + " --text " + tmp.file("none.txt"), tmp);
  CHECK(bad.exit_code == 1);
  CHECK_THAT(bad.err, Catch::Contains(tmp.file("none.txt")));
}

TEST_CASE("eval --json prints bpb, bytes and tokens/s", "[cli]") {
  neurark_test::TempDir tmp;
  const Run r = run_cli("eval --model " + neurark::test::default_model_dir() + " --text " +
                            neurark::test::heldout_path() + " --backend int --max-bytes 300 --json",
                        tmp);
  REQUIRE(r.exit_code == 0);
  const auto j = nlohmann::json::parse(r.out);
  CHECK(j.at("bytes").get<int64_t>() == 299);
  CHECK(j.at("bpb").get<double>() > 0.5);
  CHECK(j.at("bpb").get<double>() < 8.0);
  CHECK(j.at("tokens_per_s").get<double>() > 0.0);
  CHECK(j.at("backend") == "int");
  // Activity of the integer reference: codes per token are fixed by the shapes (5d + I per
  // layer, + d for lm_head), events are the non-zero ones.
  const auto& a = j.at("activity");
  CHECK(a.at("events_per_token").get<double>() > 0.0);
  CHECK(a.at("activation_sparsity").get<double>() > 0.0);
  CHECK(a.at("activation_sparsity").get<double>() < 1.0);
  CHECK(a.at("weight_sparsity").get<double>() > 0.2);
  CHECK(a.at("weight_sparsity").get<double>() < 0.6);
  CHECK(a.at("sops_per_token").get<double>() > a.at("events_per_token").get<double>());
}

TEST_CASE("a truncated checkpoint makes eval exit non-zero with a clear error", "[cli]") {
  neurark_test::TempDir tmp;
  const std::string model = copy_model(tmp);
  const std::string st = model + "/model.safetensors";
  fs::resize_file(st, fs::file_size(st) / 2);
  const Run r = run_cli("eval --model " + model + " --text " + neurark::test::heldout_path() +
                            " --max-bytes 100",
                        tmp);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("neurark: error:") && Catch::Contains("model.safetensors"));
  CHECK(r.out.empty());
}

TEST_CASE("a corrupted safetensors header makes eval exit non-zero with a clear error", "[cli]") {
  neurark_test::TempDir tmp;
  const std::string model = copy_model(tmp);
  const std::string st = model + "/model.safetensors";
  {
    std::fstream f(st, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(8);
    f.put('#');  // the header JSON's opening '{' becomes '#'
  }
  const Run r = run_cli("eval --model " + model + " --text " + neurark::test::heldout_path(), tmp);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("model.safetensors") && Catch::Contains("JSON"));
}

TEST_CASE("a missing text file is named in the error", "[cli]") {
  neurark_test::TempDir tmp;
  const Run r = run_cli("eval --model " + neurark::test::default_model_dir() + " --text " +
                            tmp.file("nope.txt"),
                        tmp);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("nope.txt"));
}

TEST_CASE("command-line syntax errors exit 2", "[cli]") {
  neurark_test::TempDir tmp;
  Run r = run_cli("eval --model x --text y --unknown-flag", tmp);
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("neurark: error:") && Catch::Contains("--unknown-flag"));
  r = run_cli("eval --model x --text y --backend gpu", tmp);
  CHECK(r.exit_code == 1);  // a bad value, named
  CHECK_THAT(r.err, Catch::Contains("gpu"));
  r = run_cli("eval --model x", tmp);
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("--text"));
  r = run_cli("frobnicate", tmp);
  CHECK(r.exit_code == 2);
  r = run_cli("--help", tmp);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("generate") && Catch::Contains("eval"));
}

TEST_CASE("bad option values exit 1 naming the option, value and expectation", "[cli]") {
  neurark_test::TempDir tmp;
  const std::string model = neurark::test::default_model_dir();
  Run r = run_cli("generate --model " + model + " --prompt ab --temperature nan", tmp);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("--temperature: nan") && Catch::Contains("finite"));
  r = run_cli("generate --model " + model + " --prompt ab --temperature -1", tmp);
  CHECK(r.exit_code == 1);
  r = run_cli("generate --model " + model + " --prompt ''", tmp);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("--prompt: empty"));
  r = run_cli("generate --model " + model + " --prompt ab --max-new-tokens 99999999999", tmp);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("--max-new-tokens: 99999999999 is out of range"));
  r = run_cli("generate --model " + model + " --prompt ab --seed -5", tmp);
  CHECK(r.exit_code == 1);
  r = run_cli("eval --model " + model + " --text " + tmp.path(), tmp);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains(tmp.path() + ": not a regular file"));
  neurark_test::write_text(tmp.file("one.txt"), "x");
  r = run_cli("eval --model " + model + " --text " + tmp.file("one.txt"), tmp);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("one.txt: 1 byte(s) to evaluate") && Catch::Contains("at least 2"));
  r = run_cli("run --model " + model + " --chip " + neurark::test::source_dir() + "/arch/chips/default-4x4.yaml --prompt ab "
              "--check-every 100001 --out " + tmp.file("never"), tmp);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("--check-every: 100001 is out of range, expected 0 (no check) to 100000"));
  CHECK_FALSE(std::filesystem::exists(tmp.file("never")));
}

TEST_CASE("generate is deterministic: greedy, and sampling with a seed", "[cli]") {
  neurark_test::TempDir tmp;
  const std::string base = "generate --model " + neurark::test::default_model_dir() +
                           " --prompt ROMEO: --max-new-tokens 40 --backend int";
  const Run a = run_cli(base, tmp), b = run_cli(base, tmp);
  REQUIRE(a.exit_code == 0);
  CHECK(a.out == b.out);
  CHECK(a.out.rfind("ROMEO:", 0) == 0);
  CHECK(a.out.size() == 6 + 40 + 1);  // prompt, 40 bytes, newline
  const Run s1 = run_cli(base + " --temperature 0.8 --seed 7", tmp);
  const Run s2 = run_cli(base + " --temperature 0.8 --seed 7", tmp);
  REQUIRE(s1.exit_code == 0);
  CHECK(s1.out == s2.out);
}

TEST_CASE("fit: the bundled model on the default chip, and the refusal on the smallest", "[cli]") {
  neurark_test::TempDir tmp;
  const std::string model = neurark::test::default_model_dir();
  const std::string chips = neurark::test::source_dir() + "/arch/chips/";
  Run r = run_cli("fit --model " + model + " --chip " + chips + "default-4x4.yaml --json", tmp);
  REQUIRE(r.exit_code == 0);
  const auto j = nlohmann::json::parse(r.out);
  CHECK(j.at("fits") == true);
  CHECK(j.at("weight_bytes") == 671744);  // 2,686,976 ternary weights at 2 bits
  CHECK(j.at("cores") == 16);
  CHECK(j.at("tiles").size() == 25);      // 4 layers x 6 BitLinears + lm_head, one tile each
  r = run_cli("fit --model " + model + " --chip " + chips + "edge-2x2.yaml", tmp);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("model does not fit chip 'edge-2x2'") && Catch::Contains("671744 bytes"));
  r = run_cli("eval --model " + model + " --text x --backend itn", tmp);
  CHECK(r.exit_code == 1);  // a value the parser rejects is bad input
  r = run_cli("--version", tmp);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::StartsWith("neurark 0.1.0 (commit "));
  // The commit, read independently with git in the source tree (this test runs from a checkout).
  const Run head = run_cli_shell("git -C " + neurark::test::source_dir() + " rev-parse --short=12 HEAD", tmp);
  if (head.exit_code == 0 && head.out.size() > 12) {
    const std::string commit = head.out.substr(0, 12);
    CHECK_THAT(r.out, Catch::Contains("(commit " + commit + ")") || Catch::Contains("(commit " + commit + "-dirty)"));
  }
  // The SystemC and Verilator versions, as their own tools state them.
  const Run sc = run_cli_shell("pkg-config --modversion systemc", tmp);
  REQUIRE(sc.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("\nSystemC " + sc.out.substr(0, sc.out.find_first_of("\n"))));
#ifdef NEURARK_HAVE_RTL
  const Run vl = run_cli_shell("verilator --version", tmp);  // "Verilator 5.006 2023-01-22 rev (Debian 5.006-3)"
  REQUIRE(vl.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("\n" + vl.out.substr(0, vl.out.find(' ', 10)) + "\n"));
#else
  CHECK_THAT(r.out, Catch::Contains("\nVerilator: not in this build"));
#endif
}

TEST_CASE("compile, inspect and eval --backend func: the image runs with the int backend's bpb", "[cli]") {
  neurark_test::TempDir tmp;
  const std::string model = neurark::test::default_model_dir();
  const std::string chip = neurark::test::source_dir() + "/arch/chips/default-4x4.yaml";
  const std::string image = tmp.file("m.nimg"), dumps = tmp.file("dumps");
  Run r = run_cli("compile --model " + model + " --chip " + chip + " -o " + image + " --dump-dir " + dumps +
                      " --dump-after place",
                  tmp);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.err, Catch::Contains("pipeline: import -> lower -> fold -> partition -> place -> route -> schedule -> emit"));
  CHECK_THAT(r.out, Catch::StartsWith("graph \"shakespeare-d256-l4\"") && Catch::Contains("passes: import lower fold partition place\n"));
  for (const char* f : {"00-import.ir", "03-partition.ir", "06-schedule.ir", "07-emit.txt"})
    CHECK(fs::exists(fs::path(dumps) / f));
  r = run_cli("inspect " + image + " --json", tmp);
  REQUIRE(r.exit_code == 0);
  const auto j = nlohmann::json::parse(r.out);
  CHECK(j.at("summary").at("weight_bytes") == 671744);
  CHECK(j.at("summary").at("tiles") == 25);
  // The image records which neurark compiled it, as `neurark --version` names it.
  const Run version = run_cli("--version", tmp);
  const nlohmann::json producer = j.at("summary").at("producer");
  CHECK(producer.at("tool") == "neurark");
  CHECK_THAT(version.out, Catch::StartsWith("neurark " + producer.at("version").get<std::string>() + " (commit "));
  CHECK(!producer.contains("commit"));  // images are the same bytes at every commit that leaves the compiler alone
  r = run_cli("inspect " + image, tmp);
  CHECK_THAT(r.out, Catch::Contains("synapse SRAM use per neurocore") && Catch::Contains("model.layers.3.mlp.down_proj"));
  const std::string text = " --text " + neurark::test::heldout_path() + " --max-bytes 400 --json";
  const Run a = run_cli("eval --backend func --image " + image + text, tmp);
  const Run b = run_cli("eval --backend func --model " + model + " --chip " + chip + text, tmp);
  const Run c = run_cli("eval --backend int --model " + model + text, tmp);
  REQUIRE(a.exit_code == 0);
  REQUIRE(b.exit_code == 0);
  REQUIRE(c.exit_code == 0);
  const double bpb = nlohmann::json::parse(c.out).at("bpb").get<double>();
  CHECK(nlohmann::json::parse(a.out).at("bpb").get<double>() == bpb);
  CHECK(nlohmann::json::parse(b.out).at("bpb").get<double>() == bpb);
  const auto act = nlohmann::json::parse(a.out).at("activity");
  CHECK(act.at("events_per_token") == nlohmann::json::parse(c.out).at("activity").at("events_per_token"));
  CHECK(act.at("flit_hops_per_token").get<double>() > 0);
  // An image with the checkpoint it came from: the SystemC model checked against int on every
  // token; alone, unchecked; with another checkpoint, refused.
  const Run sc = run_cli("eval --backend systemc --image " + image + " --model " + model + text, tmp);
  REQUIRE(sc.exit_code == 0);
  const auto scj = nlohmann::json::parse(sc.out);
  CHECK(scj.at("bpb").get<double>() == bpb);
  CHECK(scj.at("activity").at("tokens_cross_checked") == scj.at("bytes"));  // one token fed per byte predicted
  const Run alone = run_cli("eval --backend systemc --image " + image + text, tmp);
  REQUIRE(alone.exit_code == 0);
  CHECK(nlohmann::json::parse(alone.out).at("activity").at("tokens_cross_checked") == 0);
  const Run other = run_cli("eval --backend systemc --image " + image + " --model " + neurark::test::source_dir() +
                                "/tests/fixtures/tiny" + text, tmp);
  CHECK(other.exit_code == 1);
  CHECK_THAT(other.err, Catch::Contains("vocab_size is 20, but the image") && Catch::Contains("was compiled for vocab_size = 256"));
  // Generation through the image is the int backend's, byte for byte.
  const Run g1 = run_cli("generate --backend func --image " + image + " --prompt ROMEO: --max-new-tokens 40", tmp);
  const Run g2 = run_cli("generate --backend int --model " + model + " --prompt ROMEO: --max-new-tokens 40", tmp);
  REQUIRE(g1.exit_code == 0);
  CHECK(g1.out == g2.out);
}

TEST_CASE("compile and func errors name the option or file", "[cli]") {
  neurark_test::TempDir tmp;
  const std::string model = neurark::test::default_model_dir();
  const std::string chips = neurark::test::source_dir() + "/arch/chips/";
  Run r = run_cli("eval --backend func --model " + model + " --text " + neurark::test::heldout_path(), tmp);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("--backend func: give exactly one of --image"));
  r = run_cli("eval --backend int --image " + tmp.file("x.nimg") + " --text " + neurark::test::heldout_path(), tmp);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("--image: the int backend runs a checkpoint"));
  // Not an image: the reader names the file and the magic it found.
  const std::string fake = tmp.file("fake.nimg");
  std::ofstream(fake) << std::string(200, 'x');
  r = run_cli("inspect " + fake, tmp);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains(fake) && Catch::Contains("NRKIMAGE"));
  r = run_cli("compile --model " + model + " --chip " + chips + "default-4x4.yaml -o " + tmp.file("y.nimg") +
                  " --dump-after plase",
              tmp);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("unknown pass 'plase'"));
  CHECK_FALSE(fs::exists(tmp.file("y.nimg")));
  r = run_cli("compile --model " + model + " --chip " + chips + "default-4x4.yaml -o " + tmp.file("nodir/y.nimg"), tmp);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("nodir"));
}

TEST_CASE("compile refuses to overwrite its inputs, bad seeds and a file as --dump-dir", "[cli]") {
  neurark_test::TempDir tmp;
  const std::string model = copy_model(tmp);
  const std::string chip = tmp.file("chip.yaml");
  {
    std::string text = slurp(neurark::test::source_dir() + "/arch/chips/default-4x4.yaml");
    for (const std::string rel : {"../energy/horowitz-45nm.yaml", "../technology/cmos-lp.yaml"})
      text.replace(text.find(rel), rel.size(), neurark::test::source_dir() + "/arch" + rel.substr(2));
    std::ofstream(chip) << text;
  }
  const std::string weights = slurp(model + "/model.safetensors"), chip_text = slurp(chip);
  for (const std::string& out : {model + "/model.safetensors", model + "/config.json", chip}) {
    const Run r = run_cli("compile --model " + model + " --chip " + chip + " -o " + out, tmp);
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains("is an input"));
  }
  CHECK(slurp(model + "/model.safetensors") == weights);  // untouched
  CHECK(slurp(chip) == chip_text);
  Run r = run_cli("compile --model " + model + " --chip " + chip + " -o " + tmp.path(), tmp);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("is a directory, expected a file path"));
  for (const char* seed : {"9223372036854775808", "18446744073709551615", "-1", "abc", "\"\""}) {
    r = run_cli("compile --model " + model + " --chip " + chip + " -o " + tmp.file("s.nimg") + " --seed " + seed, tmp);
    INFO(seed);
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains("2^63-1"));
  }
  r = run_cli("compile --model " + model + " --chip " + chip + " -o " + tmp.file("s.nimg") + " --seed 9223372036854775807", tmp);
  CHECK(r.exit_code == 0);
  std::ofstream(tmp.file("afile")) << "x";
  r = run_cli("compile --model " + model + " --chip " + chip + " -o " + tmp.file("d.nimg") + " --dump-dir " + tmp.file("afile"), tmp);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("--dump-dir") && Catch::Contains("not a folder"));
  CHECK_FALSE(fs::exists(tmp.file("d.nimg")));
  // fit --json reports a refusal as a result, with exit 1.
  r = run_cli("fit --model " + model + " --chip " + neurark::test::source_dir() + "/arch/chips/edge-2x2.yaml --json", tmp);
  CHECK(r.exit_code == 1);
  const auto j = nlohmann::json::parse(r.out);
  CHECK(j.at("fits") == false);
  CHECK_THAT(j.at("error").get<std::string>(), Catch::Contains("does not fit"));
}

TEST_CASE("run: the main job writes a report with the issue's keys, checked on every token", "[cli]") {
  neurark_test::TempDir tmp;
  const std::string src = neurark::test::source_dir();
  const std::string out = tmp.file("report");
  const Run r = run_cli("run --model " + neurark::test::default_model_dir() + " --chip " + src +
                            "/arch/chips/default-4x4.yaml --prompt 'ROMEO: ' --max-new-tokens 6 --out " + out +
                            " --trace-out " + tmp.file("trace.json"),
                        tmp);
  REQUIRE(r.exit_code == 0);
  // The Perfetto trace: one span per phase of each token on its pipeline stage; a stage never
  // runs two phases at once.
  const auto trace = nlohmann::json::parse(slurp(tmp.file("trace.json"))).at("traceEvents");
  std::map<int, std::vector<std::pair<double, double>>> by_stage;
  std::map<int, std::string> names;
  std::size_t span_count = 0;
  std::map<std::string, std::vector<std::pair<double, double>>> counters;  // counter track -> {ts, value}
  const std::set<std::string> units = {"lanes", "quantizer", "dram", "neuron_unit", "noc", "host", "barrier"};
  for (const auto& e : trace) {
    if (e.at("ph") == "M") {
      names[e.at("tid").get<int>()] = e.at("args").at("name").get<std::string>();
      continue;
    }
    if (e.at("ph") == "C") {
      REQUIRE(e.at("args").size() == 1);
      counters[e.at("name").get<std::string>()].emplace_back(e.at("ts").get<double>(), e.at("args").begin()->get<double>());
      continue;
    }
    REQUIRE(e.at("ph") == "X");
    CHECK(units.count(e.at("args").at("bound").get<std::string>()) == 1);
    ++span_count;
    by_stage[e.at("tid").get<int>()].emplace_back(e.at("ts").get<double>(), e.at("ts").get<double>() + e.at("dur").get<double>());
  }
  CHECK(span_count == 12 * 135);  // 12 tokens x 135 phases of the bundled model's schedule
  CHECK(names == std::map<int, std::string>{{0, "embedding"}, {1, "layer 0"}, {2, "layer 1"}, {3, "layer 2"}, {4, "layer 3"},
                                            {5, "head (norm, lm_head, readback)"}});
  CHECK(by_stage.size() == 6);  // embedding, 4 layers, head
  for (auto& [stage, spans] : by_stage) {
    std::sort(spans.begin(), spans.end());
    for (std::size_t i = 1; i < spans.size(); ++i) CHECK(spans[i - 1].second <= spans[i].first + 1e-6);
  }
  CHECK_THAT(r.out, Catch::Contains("generation  5 tokens") && Catch::Contains("0 mismatches"));
  const auto j = nlohmann::json::parse(slurp(out + "/report.json"));
  CHECK(j.at("tokens") == 7 + 5);
  CHECK(j.at("cross_check").at("mismatches") == 0);
  CHECK(j.at("cross_check").at("tokens_compared") == 12);
  CHECK(j.at("cores_used") == 12);  // the bundled model's 25 tiles on 12 of the 16 neurocores (neurark inspect)
  for (const char* k : {"tokens_per_s", "energy_per_token_j", "prefill_tokens_per_s", "prefill_energy_per_token_j",
                        "time_to_first_token_s", "latency_per_token_s", "power_w", "sops_per_token", "events_per_token",
                        "cycles_per_token"}) {
    INFO(k);
    const double v = j.at(k).get<double>();
    CHECK(std::isfinite(v));
    CHECK(v > 0);
  }
  double sum = 0;
  for (const auto& [k, v] : j.at("energy_breakdown_j").items()) sum += v.get<double>();
  CHECK(sum == Approx(j.at("energy_per_token_j").get<double>()).epsilon(1e-9));
  CHECK(j.at("per_core").size() == 16);
  // Relations the report must keep: rates from cycles and the clock, utilization a fraction.
  const double clock = j.at("chip").at("clock_hz").get<double>();
  CHECK(j.at("tokens_per_s").get<double>() == Approx(clock / j.at("cycles_per_token").get<double>()).epsilon(1e-12));
  CHECK(j.at("latency_per_token_s").get<double>() == Approx(j.at("cycles_per_token").get<double>() / clock).epsilon(1e-12));
  CHECK(j.at("time_to_first_token_s").get<double>() ==
        Approx(j.at("prefill").at("cycles").get<double>() / clock).epsilon(1e-12));
  for (const auto& c : j.at("per_core")) {
    CHECK(c.at("utilization").get<double>() >= 0.0);
    CHECK(c.at("utilization").get<double>() <= 1.0);
  }
  CHECK(j.at("token_latency_s").size() == 12);
  const std::string html = slurp(out + "/report.html");
  std::size_t svgs = 0;
  for (std::size_t at = html.find("<svg"); at != std::string::npos; at = html.find("<svg", at + 1)) ++svgs;
  CHECK(svgs == 5);
  for (const char* id : {"summary", "time", "dram", "energy", "mesh", "latency", "chip", "area"})
    CHECK_THAT(html, Catch::Contains(std::string("<section id=\"") + id + "\">"));
  CHECK(fs::exists(out + "/report.md"));
  // The Perfetto counter tracks: per link the flits carried so far, never decreasing, ending at
  // the report's count for that link (spans were recorded from the first token); per neurocore
  // its busy share of a phase, a percentage, on the neurocores the report finds busy.
  std::size_t link_tracks = 0;
  for (const auto& l : j.at("per_link")) {
    const std::string name = fmt::format("link {}->{} ({}) flits", l.at("from_core").get<int>(), l.at("to_core").get<int>(),
                                         l.at("direction").get<std::string>());
    INFO(name);
    REQUIRE(counters.count(name) == 1);
    const auto& v = counters.at(name);
    for (std::size_t i = 1; i < v.size(); ++i) CHECK((v[i].first >= v[i - 1].first && v[i].second > v[i - 1].second));
    CHECK(v.back().second == l.at("flits").get<double>());
    ++link_tracks;
  }
  std::size_t core_tracks = 0;
  for (const auto& c : j.at("per_core")) {
    const std::string name = fmt::format("core {} ({},{}) busy %", c.at("core").get<int>(), c.at("x").get<int>(), c.at("y").get<int>());
    CHECK(counters.count(name) == (c.at("busy_cycles").get<int64_t>() > 0 ? 1u : 0u));
    if (counters.count(name) == 0) continue;
    ++core_tracks;
    for (const auto& [ts, pct] : counters.at(name)) CHECK((pct >= 0.0 && pct <= 100.0));
    CHECK(counters.at(name).back().second == 0.0);  // idle after its last phase
  }
  CHECK(counters.size() == link_tracks + core_tracks);
  // Where the time goes: the phases' cycles per generated token add up to cycles_per_token, each
  // phase's cycles to its cycles by bound unit, the stages' to the phases', the shares to 1.
  const auto& pl = j.at("phase_latency");
  double phase_sum = 0, share_sum = 0;
  std::map<int, double> stage_sum;
  for (const auto& ph : pl.at("phases")) {
    double by_unit = 0;
    for (const auto& [u, c] : ph.at("bound_cycles_per_token").items()) {
      CHECK(units.count(u) == 1);
      by_unit += c.get<double>();
    }
    CHECK(by_unit == Approx(ph.at("cycles_per_token").get<double>()).epsilon(1e-12));
    CHECK(ph.at("bound_cycles_per_token").at(ph.at("bound").get<std::string>()).get<double>() ==
          Approx(ph.at("bound_share").get<double>() * ph.at("cycles_per_token").get<double>()).epsilon(1e-12));
    phase_sum += ph.at("cycles_per_token").get<double>();
    share_sum += ph.at("share").get<double>();
    stage_sum[ph.at("stage").get<int>()] += ph.at("cycles_per_token").get<double>();
  }
  CHECK(phase_sum == Approx(j.at("cycles_per_token").get<double>()).epsilon(1e-12));
  CHECK(pl.at("cycles_per_token").get<double>() == Approx(j.at("cycles_per_token").get<double>()).epsilon(1e-12));
  CHECK(share_sum == Approx(1.0).epsilon(1e-12));
  REQUIRE(pl.at("stages").size() == 6);
  for (const auto& st : pl.at("stages"))
    CHECK(st.at("cycles_per_token").get<double>() == Approx(stage_sum.at(st.at("stage").get<int>())).epsilon(1e-12));
  CHECK(pl.at("stages").at(0).at("stage_name") == "embedding");
  CHECK(pl.at("stages").at(0).at("bound") == "host");  // the embedding stage is the token's injection
  CHECK(j.at("dram").at("present") == false);
  CHECK(j.at("dram").at("bandwidth_use") == 0.0);
  CHECK(j.at("chip").at("parameters").at("neurocore").at("lanes") == 16);
  // Energy adds up: every neurocore (its actions and leakage) plus the network is the run's
  // total, and the total is prefill + generation at their per-token figures.
  double parts = j.at("network").at("energy_j").get<double>();
  for (const auto& c : j.at("per_core")) parts += c.at("energy_j").get<double>();
  CHECK(parts == Approx(j.at("energy_j").get<double>()).epsilon(1e-9));
  CHECK(j.at("energy_j").get<double>() ==
        Approx(7 * j.at("prefill_energy_per_token_j").get<double>() + 5 * j.at("energy_per_token_j").get<double>()).epsilon(1e-9));
  double link_j = 0;
  for (const auto& l : j.at("per_link")) {
    CHECK(l.at("flits").get<int64_t>() > 0);
    CHECK(l.at("load").get<double>() < 1.0);
    link_j += l.at("energy_j").get<double>();
  }
  CHECK(link_j + j.at("network").at("injection_energy_j").get<double>() ==
        Approx(j.at("network").at("energy_j").get<double>()).epsilon(1e-12));
  CHECK(j.at("network").at("event_flits") == 1);
  // Area and leakage of the design point: the neurocore is the sum of its blocks (logic from the
  // RTL area table compiled in, memories from their bits), the chip is 16 neurocores; every
  // default core holds tiles, so none is power-gated.
  const auto& hw = j.at("hardware_cost");
  REQUIRE(hw.is_object());
  double area_um2 = 0.0, leak_w = 0.0;
  for (const auto& b : hw.at("blocks")) {
    CHECK(b.at("area_um2").get<double>() > 0.0);
    area_um2 += b.at("area_um2").get<double>();
    leak_w += b.at("leakage_w").get<double>();
  }
  CHECK(hw.at("neurocore_area_mm2").get<double>() == Approx(area_um2 * 1e-6).epsilon(1e-12));
  CHECK(hw.at("neurocore_leakage_w").get<double>() == Approx(leak_w).epsilon(1e-12));
  CHECK(hw.at("gated_neurocores") == 0);
  CHECK(hw.at("chip_area_mm2").get<double>() == Approx(16 * area_um2 * 1e-6).epsilon(1e-12));
  CHECK(hw.at("chip_leakage_w").get<double>() == Approx(16 * leak_w).epsilon(1e-12));
  // Leakage energy per generated token is the chip's leakage power over a token's time.
  CHECK(j.at("energy_breakdown_j").at("leakage").get<double>() ==
        Approx(hw.at("chip_leakage_w").get<double>() * j.at("latency_per_token_s").get<double>()).epsilon(1e-9));
  // A second run into the same folder is refused: each run writes its own folder.
  const Run again = run_cli("run --model " + neurark::test::default_model_dir() + " --chip " + src +
                                "/arch/chips/default-4x4.yaml --prompt x --max-new-tokens 2 --out " + out,
                            tmp);
  CHECK(again.exit_code == 1);
  CHECK_THAT(again.err, Catch::Contains("not an empty folder"));
}

TEST_CASE("run --record-core re-records the committed sample trace byte for byte, --vcd writes a waveform", "[cli]") {
  neurark_test::TempDir tmp;
  const std::string src = neurark::test::source_dir();
  const std::string out = tmp.file("report");
  // The sample's own command, from the repository root (its header names the relative paths).
  const std::string cmd = "cd " + src + " && " + std::string(NEURARK_CLI) +
                          " run --prompt O --max-new-tokens 2 --record-core 1,1 --vcd 1,1 --out " + out + " >" +
                          tmp.file("o.txt") + " 2>" + tmp.file("e.txt");
  REQUIRE(std::system(cmd.c_str()) == 0);
  const std::string recorded = slurp(out + "/events-core-1-1.jsonl");
  CHECK(!recorded.empty());
  CHECK((recorded == slurp(src + "/traces/samples/events-core-1-1.jsonl")));
  const std::string vcd = slurp(out + "/core-1-1.vcd");
  CHECK_THAT(vcd, Catch::Contains("$scope module core_5 $end") && Catch::Contains("busy_o") && Catch::Contains("synaptic_ops_total_o") &&
                      Catch::Contains("$timescale"));
  CHECK(vcd.find("#") != std::string::npos);  // value changes after time 0
}

TEST_CASE("run --vcd on a neurocore used by several pipeline stages (one driver per signal)", "[cli]") {
  // On the default chip, core (2, 0) holds tiles of more than one layer: two stages change its
  // interface signals, which once stopped SystemC with E115 (two drivers).
  neurark_test::TempDir tmp;
  const std::string src = neurark::test::source_dir();
  const std::string out = tmp.file("report");
  const Run r = run_cli("run --model " + neurark::test::default_model_dir() + " --chip " + src +
                            "/arch/chips/default-4x4.yaml --prompt 'ROMEO: x' --max-new-tokens 3 --vcd 2,0 --out " + out,
                        tmp);
  REQUIRE(r.exit_code == 0);
  const std::string vcd = slurp(out + "/core-2-0.vcd");
  CHECK_THAT(vcd, Catch::Contains("$scope module core_2 $end") && Catch::Contains("busy_o"));
  const auto report = nlohmann::json::parse(slurp(out + "/report.json"));
  CHECK(report.at("per_core").at(2).at("busy_cycles").get<int64_t>() > 0);
}

TEST_CASE("run --trace-out inside an --out folder that does not exist yet", "[cli]") {
  neurark_test::TempDir tmp;
  const std::string out = tmp.file("new/report");
  const Run r = run_cli("run --model " + neurark::test::default_model_dir() + " --chip " + neurark::test::source_dir() +
                            "/arch/chips/default-4x4.yaml --prompt x --max-new-tokens 2 --out " + out + " --trace-out " + out +
                            "/trace.json",
                        tmp);
  REQUIRE(r.exit_code == 0);
  CHECK(fs::exists(out + "/report.json"));
  CHECK(nlohmann::json::parse(slurp(out + "/trace.json")).at("traceEvents").size() > 10);
}

TEST_CASE("run: bad --record-core and --vcd values are refused before any work", "[cli]") {
  neurark_test::TempDir tmp;
  const std::string src = neurark::test::source_dir();
  const std::string base = "run --model " + neurark::test::default_model_dir() + " --chip " + src +
                           "/arch/chips/default-4x4.yaml --prompt x --max-new-tokens 2 --out " + tmp.file("r");
  Run r = run_cli(base + " --record-core 1", tmp);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("--record-core 1: expected X,Y"));
  r = run_cli(base + " --record-core 9,9", tmp);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("--record-core 9,9: outside the 4 x 4 mesh"));
  r = run_cli(base + " --trace " + src + "/traces/prompts/heldout-400.txt", tmp);  // --prompt is in base
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("--prompt and --trace: give one of them"));
  r = run_cli(base + " --trace-out " + tmp.path(), tmp);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("is a folder, expected a file path"));
  std::ofstream(tmp.file("afile")) << "x";
  r = run_cli(base + " --trace-out " + tmp.file("afile/t.json"), tmp);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("cannot write into"));
  r = run_cli(base + " --vcd 4,0", tmp);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("--vcd 4,0: outside the 4 x 4 mesh"));
  CHECK_FALSE(fs::exists(tmp.file("r")));
}

TEST_CASE("noc --out writes noc.json, noc.md and noc.svg, bad input exits 1 and writes nothing", "[cli]") {
  neurark_test::TempDir tmp;
  const std::string src = neurark::test::source_dir();
  const std::string out = tmp.file("noc");
  Run r = run_cli("noc --chip " + src + "/arch/chips/default-4x4.yaml --pattern all --rates 0.1,1 --warmup-cycles 200 "
                  "--cycles 800 --seed 3 --out " + out, tmp);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("uniform: zero-load latency") && Catch::Contains("bit-complement") &&
                        Catch::Contains("model vs RTL mesh harness (RTL variant mesh4x4") && Catch::Contains("saturated"));
  const auto j = nlohmann::json::parse(slurp(out + "/noc.json"));
  CHECK(j.at("format") == "neurark-noc");
  CHECK(j.at("patterns").size() == 5);
  CHECK(j.at("calibration").at("cycles_per_hop") == 3.0);
  CHECK(j.at("rtl").at("cycles_per_hop") == 3.0);
  for (const auto& p : j.at("patterns")) {
    REQUIRE(p.at("points").size() == 2);
    CHECK(p.at("points")[1].at("accepted_flits_per_cycle_per_node").get<double>() <= 1.0);
  }
  const std::string svg = slurp(out + "/noc.svg");
  CHECK(svg.rfind("<svg", 0) == 0);
  CHECK_THAT(svg, Catch::Contains("offered load (flits/cycle/node)") && Catch::Contains("cycles (log scale)") &&
                      Catch::Contains("hotspot (zero load"));
  CHECK_THAT(slurp(out + "/noc.md"), Catch::Contains("## Model vs RTL mesh harness") && Catch::Contains("## neighbor"));
  // --json: the same document on stdout.
  r = run_cli("noc --chip " + src + "/arch/chips/default-4x4.yaml --pattern all --rates 0.1,1 --warmup-cycles 200 "
              "--cycles 800 --seed 3 --json", tmp);
  REQUIRE(r.exit_code == 0);
  CHECK(nlohmann::json::parse(r.out) == j);
  CHECK(j.at("engine") == "analytic");  // the chip file's default
  // --engine flit: the flit engine, named in the table and the JSON (same zero load, 3 cycles per hop).
  r = run_cli("noc --chip " + src + "/arch/chips/default-4x4.yaml --rates 0.1 --cycles 200 --engine flit --json", tmp);
  REQUIRE(r.exit_code == 0);
  const auto jf = nlohmann::json::parse(r.out);
  CHECK(jf.at("engine") == "flit");
  CHECK(jf.at("calibration").at("cycles_per_hop") == 3.0);
  // An existing folder is not overwritten; bad values are refused before any file is written.
  r = run_cli("noc --rates 0.1 --cycles 100 --out " + out, tmp);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("exists and is not an empty folder"));
  const std::string bad = tmp.file("bad");
  for (const std::string& args :
       {"--pattern transpose --chip " + src + "/tests/fixtures/tiny-3x2.yaml", std::string("--pattern diagonal"),
        std::string("--rates 0.1,0"), std::string("--rates 1.5"), std::string("--rates 0.1,x"), std::string("--engine cycle"),
        std::string("--rate-steps 0")}) {
    r = run_cli("noc " + args + " --cycles 100 --out " + bad, tmp);
    INFO(args);
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::StartsWith("neurark: error: "));
    CHECK_FALSE(fs::exists(bad));
  }
  CHECK_THAT(r.err, Catch::Contains("--rate-steps: 0 is outside [1, 1000]"));
}

TEST_CASE("run --backend func: untimed, checked on every token, dynamic energy adding up", "[cli]") {
  neurark_test::TempDir tmp;
  const std::string src = neurark::test::source_dir();
  const std::string out = tmp.file("report");
  const std::string base = "run --model " + neurark::test::default_model_dir() + " --chip " + src +
                           "/arch/chips/default-4x4.yaml --prompt 'ROMEO: ' --max-new-tokens 6 --backend func";
  const Run r = run_cli(base + " --out " + out, tmp);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("func backend: untimed") && Catch::Contains("checked     12 tokens"));
  const auto j = nlohmann::json::parse(slurp(out + "/report.json"));
  CHECK(j.at("timed") == false);
  CHECK(j.at("tokens_per_s").is_null());
  CHECK(j.at("power_w").is_null());
  CHECK(j.at("cross_check").at("tokens_compared") == 12);
  CHECK_FALSE(j.at("energy_breakdown_j").contains("leakage"));  // untimed: no time to leak over
  double parts = j.at("network").at("energy_j").get<double>();
  for (const auto& c : j.at("per_core")) parts += c.at("energy_j").get<double>();
  CHECK(parts == Approx(j.at("energy_j").get<double>()).epsilon(1e-9));
  CHECK_THAT(slurp(out + "/report.md"), Catch::Contains("untimed"));
  // The systemc run of the same tokens counts the same work: equal dynamic energy per action.
  const Run s = run_cli("run --model " + neurark::test::default_model_dir() + " --chip " + src +
                            "/arch/chips/default-4x4.yaml --prompt 'ROMEO: ' --max-new-tokens 6 --out " + tmp.file("sc"),
                        tmp);
  REQUIRE(s.exit_code == 0);
  const auto k = nlohmann::json::parse(slurp(tmp.file("sc") + "/report.json"));
  for (const auto& [action, v] : j.at("energy_breakdown_j").items())
    CHECK(v.get<double>() == Approx(k.at("energy_breakdown_j").at(action).get<double>()).epsilon(1e-12));
  // Time needs the timed backend.
  const Run bad = run_cli(base + " --vcd 1,1 --out " + tmp.file("r2"), tmp);
  CHECK(bad.exit_code == 1);
  CHECK_THAT(bad.err, Catch::Contains("--vcd: needs --backend systemc"));
}

#ifdef NEURARK_HAVE_RTL
TEST_CASE("verify-rtl --json: every block compared on vectors, edge cases and the sample trace, no mismatch", "[cli][rtl]") {
  neurark_test::TempDir tmp;
  const std::string trace = neurark::test::source_dir() + "/traces/samples/events-core-1-1.jsonl";
  const Run r = run_cli("verify-rtl --json --vectors 2000 --trace " + trace, tmp);
  REQUIRE(r.exit_code == 0);
  const auto j = nlohmann::json::parse(r.out);
  CHECK(j.at("mismatches") == 0);
  std::map<std::string, int64_t> vectors;
  int64_t trace_vectors = 0;
  for (const auto& b : j.at("results")) {
    vectors[b.at("block").get<std::string>()] += b.at("vectors").get<int64_t>();
    CHECK(b.at("mismatches") == 0);
    if (b.at("source").get<std::string>().rfind("trace", 0) == 0) trace_vectors += b.at("vectors").get<int64_t>();
  }
  for (const char* block : {"lane_array", "requantize", "activation", "mlgru", "norm_helper", "event_out", "router", "mesh",
                            "neurocore"}) {
    INFO(block);
    CHECK(vectors[block] > 0);
  }
  CHECK(trace_vectors >= 2 * 509);  // the sample's 509 input events, replayed into the lane array and the neurocore
  // Bad requests are refused.
  const Run bad = run_cli("verify-rtl --block nonsense", tmp);
  CHECK(bad.exit_code == 1);
  CHECK_THAT(bad.err, Catch::Contains("--block nonsense: no such block; the blocks are lane_array"));
  // A trace recorded on a chip with other lanes is refused by name, not replayed against the
  // wrong datapath (it ran into "synapse SRAM is full" or passed silently).
  std::string other = slurp(trace);
  const std::string lanes16 = "\"lanes\":16";
  other.replace(other.find(lanes16), lanes16.size(), "\"lanes\":8");
  std::ofstream(tmp.file("other.jsonl"), std::ios::binary) << other;
  for (const char* block : {"lane_array", "neurocore"}) {
    const Run o = run_cli(std::string("verify-rtl --vectors 10 --block ") + block + " --trace " + tmp.file("other.jsonl"), tmp);
    INFO(block << ": " << o.err);
    CHECK(o.exit_code == 1);
    CHECK_THAT(o.err, Catch::Contains("was recorded on chip 'default-4x4' (8 lanes") && Catch::Contains("record the trace on a chip"));
  }
}

TEST_CASE("run --rtl-cores: the Verilated neurocore inside the SystemC model, same bits, its cycles reported", "[cli][rtl]") {
  neurark_test::TempDir tmp;
  const std::string src = neurark::test::source_dir();
  const std::string base = "run --model " + neurark::test::default_model_dir() + " --chip " + src +
                           "/arch/chips/default-4x4.yaml --prompt 'ROMEO: ' --max-new-tokens 4";
  const Run r = run_cli(base + " --rtl-cores 1,1 0,0 --out " + tmp.file("r"), tmp);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("rtl         2 neurocores on the Verilated RTL"));
  const auto j = nlohmann::json::parse(slurp(tmp.file("r") + "/report.json"));
  CHECK(j.at("cross_check").at("mismatches") == 0);
  CHECK(j.at("cross_check").at("tokens_compared") == 10);
  const auto& c = j.at("rtl_cosim");
  REQUIRE(c.at("cores").size() == 2);
  for (const auto& core : c.at("cores")) {
    CHECK(core.at("events").get<int64_t>() > 0);
    CHECK(core.at("accumulator_checks").get<int64_t>() >= 10);  // every token, every tile of the core
    CHECK(std::abs(core.at("difference_pct").get<double>()) <= 5.0);
  }
  CHECK(c.at("rtl_cycles").get<int64_t>() > 0);
  // The same run without co-simulation: the same timing (the model is calibrated to the RTL).
  const Run plain = run_cli(base + " --out " + tmp.file("p"), tmp);
  REQUIRE(plain.exit_code == 0);
  const auto k = nlohmann::json::parse(slurp(tmp.file("p") + "/report.json"));
  CHECK(k.at("rtl_cosim").is_null());
  CHECK(k.at("cycles_per_token") == j.at("cycles_per_token"));
  // Bad requests.
  Run bad = run_cli(base + " --rtl-cores 9,9 --out " + tmp.file("b"), tmp);
  CHECK(bad.exit_code == 1);
  CHECK_THAT(bad.err, Catch::Contains("--rtl-cores 9,9: outside the 4 x 4 mesh"));
  bad = run_cli(base + " --rtl-cores 3,3 --out " + tmp.file("b"), tmp);
  CHECK(bad.exit_code == 1);
  CHECK_THAT(bad.err, Catch::Contains("--rtl-cores 3,3: neurocore 15 holds no tiles"));
  bad = run_cli(base + " --backend func --rtl-cores all --out " + tmp.file("b"), tmp);
  CHECK(bad.exit_code == 1);
  CHECK_THAT(bad.err, Catch::Contains("--rtl-cores: needs --backend systemc"));
  // Sigma-delta events (docs/numerics.md §5b): every neurocore on the RTL, accumulators kept from
  // token to token through the readout, checked at every tile and token. The default chip with
  // 16 KB of state memory (8 KB cannot hold the sent codes and accumulators).
  std::string chip = slurp(src + "/arch/chips/default-4x4.yaml");
  for (const auto& [from, to] : {std::pair<std::string, std::string>{"state_memory_bytes: 8192", "state_memory_bytes: 16384"},
                                 {"../energy/", src + "/arch/energy/"}, {"../technology/", src + "/arch/technology/"}}) {
    const auto at = chip.find(from);
    REQUIRE(at != std::string::npos);
    chip.replace(at, from.size(), to);
  }
  std::ofstream(tmp.file("sd.yaml")) << chip;
  const std::string sd_base = "run --model " + neurark::test::default_model_dir() + " --chip " + tmp.file("sd.yaml") +
                              " --prompt 'ROMEO: ' --max-new-tokens 4 --event-encoding sigma_delta --event-threshold 1 "
                              "--no-synthesis --rtl-cores all";
  const Run sd = run_cli(sd_base + " --out " + tmp.file("sd"), tmp);
  INFO(sd.err);
  REQUIRE(sd.exit_code == 0);
  const auto s = nlohmann::json::parse(slurp(tmp.file("sd") + "/report.json"));
  CHECK(s.at("cross_check").at("mismatches") == 0);
  CHECK(s.at("cross_check").at("tokens_compared") == 10);
  CHECK(s.at("chip").at("parameters").at("neurocore").at("event_encoding") == "sigma_delta");
  for (const auto& core : s.at("rtl_cosim").at("cores")) CHECK(core.at("accumulator_checks").get<int64_t>() >= 10);
  bad = run_cli(sd_base + " --streams 2 --out " + tmp.file("b"), tmp);
  CHECK(bad.exit_code == 1);
  CHECK_THAT(bad.err, Catch::Contains("persistent accumulators are not swapped between streams yet"));
}

// Models built on demand for a non-default chip go to the build folder's cache (next to the CLI),
// not the user's.
namespace {
void use_build_rtl_cache() { ::setenv("NEURARK_RTL_CACHE", (fs::path(NEURARK_CLI).parent_path() / "rtl-cache").c_str(), 1); }
}  // namespace

TEST_CASE("verify-rtl --chip: every block at a non-default chip's parameters (tiny-3x2), no mismatch, and a chip the RTL cannot take is refused", "[cli][rtl]") {
  neurark_test::TempDir tmp;
  use_build_rtl_cache();
  const std::string chip = neurark::test::source_dir() + "/tests/fixtures/tiny-3x2.yaml";
  const Run r = run_cli("verify-rtl --json --vectors 1000 --chip " + chip, tmp);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto j = nlohmann::json::parse(r.out);
  CHECK(j.at("chip") == "tiny-3x2");
  CHECK(j.at("mismatches") == 0);
  std::map<std::string, int64_t> vectors;
  std::string sources;
  for (const auto& b : j.at("results")) {
    vectors[b.at("block").get<std::string>()] += b.at("vectors").get<int64_t>();
    sources += b.at("source").get<std::string>() + "\n";
  }
  for (const char* block : {"lane_array", "requantize", "activation", "mlgru", "norm_helper", "event_out", "router", "mesh",
                            "neurocore"}) {
    INFO(block);
    CHECK(vectors[block] > 0);
  }
  CHECK_THAT(sources, Catch::Contains("mesh3x2 zero-load latency, every pair (1 cycles local, 2.00 cycles/hop)"));
  CHECK_THAT(sources, Catch::Contains("latency min/avg/max 1/1.00/1 cycles"));  // the router's own latency: 1
  CHECK(sources.find("mesh4x4") == std::string::npos);
  // A chip the RTL cannot take: refused naming the parameter, its value and what the RTL takes.
  std::string text = slurp(chip);
  text.replace(text.find("lanes: 4"), 8, "lanes: 6");
  std::ofstream(tmp.file("lanes6.yaml")) << text;
  const Run bad = run_cli("verify-rtl --chip " + tmp.file("lanes6.yaml"), tmp);
  CHECK(bad.exit_code == 1);
  CHECK_THAT(bad.err, Catch::Contains("the RTL cannot take chip 'tiny-3x2': neurocore.lanes is 6; the RTL takes a power of "
                                      "two from 4 to 1024 (lane_array)"));
  CHECK(bad.out.empty());
  // Only the blocks asked for count: the requantizer has no chip parameter.
  CHECK(run_cli("verify-rtl --vectors 20 --block requantize --chip " + tmp.file("lanes6.yaml"), tmp).exit_code == 0);
  // A damaged cache entry (its model.so truncated) is rebuilt, not loaded: the entry the first run
  // used, as it named it (the cache may also hold entries of older RTL sources with the same
  // parameters).
  const std::string cache = std::getenv("NEURARK_RTL_CACHE");
  fs::path entry;
  std::istringstream lines(r.err);
  for (std::string l; std::getline(lines, l);)  // "rtl: built the lane_array model (...) ... into DIR" or "... from the cache DIR"
    if (const std::size_t at = l.find(cache + "/lane_array-");
        entry.empty() && at != std::string::npos && l.find("NumLanes=4 NumRows=8 SramBytes=64 SramPortBits=16") != std::string::npos)
      entry = l.substr(at, l.find(' ', at) - at);
  INFO(entry.string());
  REQUIRE(fs::exists(entry / "model.so"));
  fs::resize_file(entry / "model.so", 1000);
  const Run again = run_cli("verify-rtl --vectors 20 --block lane_array --chip " + chip, tmp);
  CHECK(again.exit_code == 0);
  CHECK_THAT(again.err, Catch::Contains("rtl: built the lane_array model (NumLanes=4 NumRows=8"));
}

TEST_CASE("run --rtl-cores on a non-default chip (tiny-3x2, the tiny model): the RTL built for it, accumulators equal, cycles equal, and a chip the RTL cannot take refused naming the parameter", "[cli][rtl]") {
  neurark_test::TempDir tmp;
  use_build_rtl_cache();
  const std::string src = neurark::test::source_dir();
  const std::string base = "run --model " + src + "/tests/fixtures/tiny --prompt \"$(printf '\\001\\002\\005\\007')\" "
                           "--max-new-tokens 3 --rtl-cores all --chip ";
  const Run r = run_cli(base + src + "/tests/fixtures/tiny-3x2.yaml --out " + tmp.file("r"), tmp);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("neurocores on the Verilated RTL"));
  const auto j = nlohmann::json::parse(slurp(tmp.file("r") + "/report.json"));
  CHECK(j.at("cross_check").at("mismatches") == 0);
  const auto& c = j.at("rtl_cosim");
  REQUIRE(c.at("cores").size() >= 2);
  for (const auto& core : c.at("cores")) {
    CHECK(core.at("events").get<int64_t>() > 0);
    CHECK(core.at("accumulator_checks").get<int64_t>() > 0);
    CHECK(core.at("rtl_cycles") == core.at("model_cycles"));  // arch::event_accumulate_cycles is the RTL's rule
    CHECK_THAT(core.at("implementation").get<std::string>(), Catch::Contains("rtl nrk_neurocore (4 lanes, 8 accumulators"));
  }
  CHECK(c.at("difference_pct").get<double>() == 0.0);
  // A chip the RTL cannot take: refused before anything runs, nothing written.
  std::string text = slurp(src + "/tests/fixtures/tiny-3x2.yaml");
  text.replace(text.find("sram_port_bits: 16"), 18, "sram_port_bits: 24");
  std::ofstream(tmp.file("port24.yaml")) << text;
  const Run bad = run_cli(base + tmp.file("port24.yaml") + " --out " + tmp.file("b"), tmp);
  CHECK(bad.exit_code == 1);
  CHECK_THAT(bad.err, Catch::Contains("--rtl-cores (--chip " + tmp.file("port24.yaml") +
                                      "): the RTL neurocore cannot take chip 'tiny-3x2': "
                                      "neurocore.sram_port_bits is 24 (with 4 lanes); the RTL takes a power of two"));
  CHECK_FALSE(fs::exists(tmp.file("b")));
}
#endif

TEST_CASE("sparsity: a point per event mode, the dense one equal to eval, a report folder with its plot, bad options exit 1",
          "[cli][events]") {
  neurark_test::TempDir tmp;
  const std::string model = neurark::test::default_model_dir(), text = neurark::test::heldout_path();
  const std::string out = tmp.file("sp"), chip = neurark::test::source_dir() + "/arch/chips/default-4x4.yaml";
  const Run r = run_cli("sparsity --model " + model + " --chip " + chip + " --text " + text + " --max-bytes 120 --thresholds 0,3 --backend func "
                        "--no-weight-encodings --json --out " + out, tmp);
  REQUIRE(r.exit_code == 0);
  const nlohmann::json j = nlohmann::json::parse(r.out);
  REQUIRE(j.at("points").size() == 4);  // absolute 0, 3; sigma_delta 0, 3
  const nlohmann::json& dense = j.at("points")[0];
  CHECK(dense.at("encoding") == "absolute");
  CHECK(dense.at("threshold") == 0);
  // Independently: the integer reference's bpb of the same bytes (the chip's is the same integers).
  const Run e = run_cli("eval --model " + model + " --text " + text + " --max-bytes 120 --json", tmp);
  REQUIRE(e.exit_code == 0);
  CHECK(dense.at("bpb").get<double>() == nlohmann::json::parse(e.out).at("bpb").get<double>());
  const nlohmann::json& t3 = j.at("points")[1];
  CHECK(t3.at("activation_sparsity").get<double>() > dense.at("activation_sparsity").get<double>() + 0.1);
  CHECK(t3.at("events_per_token").get<double>() < dense.at("events_per_token").get<double>());
  CHECK(t3.at("dynamic_energy_per_token_j").get<double>() < dense.at("dynamic_energy_per_token_j").get<double>());
  // Sigma-delta's state does not fit the default chip's 8 KB per neurocore: said, not an error.
  CHECK_FALSE(j.at("points")[2].at("fits").get<bool>());
  CHECK_THAT(j.at("points")[2].at("reason").get<std::string>(), Catch::Contains("sigma-delta events' sent codes"));
  CHECK(fs::exists(out + "/sparsity.json"));
  CHECK_THAT(slurp(out + "/sparsity.svg"), Catch::Contains("<polyline") && Catch::Contains("sigma_delta events: do not fit the chip"));
  CHECK_THAT(slurp(out + "/sparsity.md"), Catch::Contains("| absolute | 3 |"));
  for (const auto& [args, msg] : std::vector<std::pair<std::string, std::string>>{
           {"--thresholds 2,1", "--thresholds: 1 after 2, expected ascending values"},
           {"--thresholds 0,x", "--thresholds 0,x: 'x' is not a threshold"},
           {"--thresholds 300", "is not a threshold, expected integers from 0 to 254"},
           {"--encodings absolute,delta", "'delta' is not an event encoding"},
           {"--backend int", "--backend int: expected a chip backend"},
           {"--model " + model, "--model: a checkpoint folder is given twice"}}) {
    INFO(args);
    const Run bad = run_cli("sparsity --model " + model + " --chip " + chip + " --text " + text + " --max-bytes 50 " + args + " --out " +
                            tmp.file("bad"), tmp);
    CHECK(bad.exit_code == 1);
    CHECK_THAT(bad.err, Catch::Contains(msg));
    CHECK_FALSE(fs::exists(tmp.file("bad")));
  }
  // Two models: a curve each, bpb against the first one's dense point.
  const std::string sparse = neurark::test::source_dir() + "/models/zoo/shakespeare-d256-l4-sparse";
  const Run two = run_cli("sparsity --model " + model + " --model " + sparse + " --chip " + chip + " --text " + text +
                          " --max-bytes 120 --thresholds 0,9 --encodings absolute --backend func --no-weight-encodings --json", tmp);
  REQUIRE(two.exit_code == 0);
  const nlohmann::json k = nlohmann::json::parse(two.out);
  REQUIRE(k.at("points").size() == 4);
  CHECK(k.at("models").size() == 2);
  CHECK(k.at("points")[2].at("model") == sparse);
  CHECK(k.at("points")[0].at("bpb") == dense.at("bpb"));
  const double sparse0 = k.at("points")[2].at("bpb").get<double>();
  CHECK(k.at("points")[2].at("bpb_vs_dense").get<double>() == Approx(sparse0 / dense.at("bpb").get<double>() - 1.0));
}
