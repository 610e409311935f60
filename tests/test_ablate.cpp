// the ablation studies: each variant's config differs from the base exactly where the study
// says; `neurokin ablate` at a tiny scale writes its table, SVGs, JSON and job file, resumes by
// skipping finished runs, and names a bad study or arm; the plots (gnuplot scripts and SVGs)
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "ablate/study.h"
#include "neurokin/error.h"
#include "neurokin/json_util.h"
#include "report/plot.h"
#include "train/config.h"

using namespace neurokin;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) { return json_util::read_file(p.string(), "test output"); }

// the JSON pointers at which two configs differ (json::diff), as "/loss/fk_position"
std::set<std::string> changed_paths(const json& a, const json& b) {
  std::set<std::string> paths;
  for (const auto& op : json::diff(a, b)) paths.insert(op["path"].get<std::string>());
  return paths;
}

struct Run {
  int code = -1;
  std::string out, err;
};

// `neurokin args` in a fresh directory of its own
struct Dir {
  fs::path path =
      fs::temp_directory_path() / ("neurokin_test_ablate_" + std::to_string(::getpid()));
  Dir() {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~Dir() { fs::remove_all(path); }
  Run run(const std::string& args) const {
    const std::string cmd =
        "cd '" + path.string() + "' && '" NEUROKIN_CLI "' " + args + " > .out 2> .err";
    const int status = std::system(cmd.c_str());
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(path / ".out"),
            slurp(path / ".err")};
  }
};

}  // namespace

TEST_CASE("each variant differs from the base config exactly where its study says") {
  const std::map<std::string, std::map<std::string, std::set<std::string>>> expected{
      {"fk-weight",
       {{"mse-only", {"/loss/fk_position"}},
        {"fk-only", {"/loss/joint_mse"}},
        {"lambda-5", {"/loss/fk_position"}},
        {"lambda-1", {}},
        {"lambda-0", {"/loss/fk_position"}},
        {"curriculum", {"/loss/curriculum"}}}},
      {"seed001",
       {{"full", {}},
        {"no-hard-mining", {"/loss/hard_mining"}},
        {"fixed-weights", {"/loss/adaptive"}},
        {"no-refinement", {}},
        {"no-gating", {"/network/hidden/-", "/network/gated_blocks"}}}}};  // hidden layers appended
  for (const auto& name : ablate::study_names()) {
    const ablate::Study st = ablate::find_study(name, "");
    const json base = train::config_to_json(train::config_from_json(st.base));
    for (const auto& v : st.variants) {
      INFO(name << " / " << v.name);
      const json cfg =
          train::config_to_json(train::config_from_json(ablate::variant_config(st, v)));
      const auto& want = expected.at(name);
      if (want.count(v.name))
        CHECK(changed_paths(base, cfg) == want.at(v.name));
      else
        CHECK(changed_paths(base, cfg) ==
              std::set<std::string>{"/loss/fk_position"});  // lambda 2, 0.5, 0.1
    }
  }
  const ablate::Study fk = ablate::find_study("fk-weight", "kr6");
  CHECK(fk.base["task"] == "position");  // kr6 positioned only
  CHECK(fk.base["epochs"] == 100);       // the curriculum's length
  CHECK(ablate::variant_config(fk, fk.variants[2])["loss"]["fk_position"] == 5);
  CHECK(ablate::find_study("seed001", "puma3").refine_iterations > 0);
  const ablate::Study s1 = ablate::find_study("seed001", "puma3");
  CHECK_FALSE(s1.variants[3].refine);  // no-refinement
  // each gated block replaced by a dense layer of the same width
  CHECK(ablate::variant_config(s1, s1.variants[4])["network"]["hidden"] ==
        json::array({256, 256, 256, 256, 256}));
  CHECK(s1.base["network"]["gated_blocks"] == 4);
}

TEST_CASE("a scaled study: data, epochs and targets shrink, nothing else") {
  const ablate::Study st = ablate::find_study("fk-weight", "kr6");
  const ablate::Study small = ablate::scaled(st, 0.01);
  CHECK(small.base["data"]["n"] == 500);
  CHECK(small.base["epochs"] == 2);  // at least 2
  CHECK(small.eval_n == 100);
  CHECK(changed_paths(st.base, small.base) == std::set<std::string>{"/data/n", "/epochs"});
  CHECK_THROWS_WITH(ablate::scaled(st, 0), Catch::Contains("--scale: expected a number in (0, 1]"));
}

TEST_CASE("a bad study or arm name is an error naming the valid ones") {
  CHECK_THROWS_WITH(ablate::find_study("fk", "kr6"),
                    Catch::Contains("--study: expected one of fk-weight, seed001, got \"fk\""));
  CHECK_THROWS_WITH(ablate::find_study("fk-weight", "puma3"),
                    Catch::Contains("study 'fk-weight' is on arm kr6, got --arm puma3"));
  Dir d;
  const Run r = d.run("ablate --study nope --arm kr6 --out o");
  CHECK(r.code == 1);
  CHECK(r.err.find("--study: expected one of fk-weight, seed001") != std::string::npos);
  const Run a = d.run("ablate --study seed001 --arm kr6 --out o");
  CHECK(a.code == 1);
  CHECK(a.err.find("is on arm puma3, got --arm kr6") != std::string::npos);
  CHECK_FALSE(fs::exists(d.path / "o"));  // nothing written before the names are checked
}

TEST_CASE("config.task: kr6 trained on its position only, a bad task is named") {
  json j = ablate::find_study("fk-weight", "kr6").base;
  const train::TrainConfig c = train::config_from_json(j);
  const Arm arm = train::config_arm(c);
  CHECK(arm.task == TaskKind::kPosition);
  CHECK(arm.dof() == 6);
  j["task"] = "xyz";
  CHECK_THROWS_WITH(train::config_from_json(j),
                    Catch::Contains("config.task: expected one of planar_xy"));
}

TEST_CASE(
    "a tiny study end to end: table, SVGs, JSON, job file, a second run skips finished runs") {
  Dir d;
  const Run r = d.run(
      "ablate --study seed001 --arm puma3 --out s1 --scale 0.005 --set 'network.hidden=[16]' "
      "--set network.gated_blocks=1");
  INFO(r.err);
  REQUIRE(r.code == 0);
  const fs::path out = d.path / "s1";
  const json res = json::parse(slurp(out / "results.json"));
  REQUIRE(res["variants"].size() == 5);
  std::vector<std::string> names;
  for (const auto& v : res["variants"]) names.push_back(v["name"]);
  CHECK(names == std::vector<std::string>{"full", "no-hard-mining", "fixed-weights",
                                          "no-refinement", "no-gating"});
  // no-refinement is the full model without the refinement; the others are refined
  const json& full = res["variants"][0];
  const json& bare = res["variants"][3];
  CHECK(bare["run"] == "full");
  CHECK(bare["network"] == full["network"]);
  CHECK(bare["result"]["position_mean_mm"] == full["network"]["position_mean_mm"]);
  CHECK(full["refine_iterations"] == 3);
  CHECK(bare["refine_iterations"] == 0);
  CHECK(full["result"]["position_mean_mm"].get<double>() <
        full["network"]["position_mean_mm"].get<double>());
  CHECK(res["variants"][4]["config"]["network"]["gated_blocks"] == 0);
  CHECK(full["config"]["network"]["gated_blocks"] == 1);  // --set reached the base

  // the table: a header, a rule and one row per variant, in order
  const std::string md = slurp(out / "README.md");
  std::istringstream lines(md);
  std::vector<std::string> rows;
  for (std::string l; std::getline(lines, l);)
    if (l.rfind("| ", 0) == 0) rows.push_back(l);
  REQUIRE(rows.size() == 6);
  CHECK(rows[0].find("| variant | RMSE (mm) |") == 0);
  CHECK(rows[2].find("without hard mining") != std::string::npos);
  CHECK(rows[4].find("without refinement") != std::string::npos);
  CHECK(md.find("same training run as \"full\"") != std::string::npos);
  for (const char* svg : {"errors.svg", "curves.svg"}) {
    const std::string s = slurp(out / svg);
    CHECK(s.find("<svg") != std::string::npos);
    CHECK(s.find(">no-hard-mining</text>") != std::string::npos);  // the legend names each series
    CHECK(s.find("</svg>") != std::string::npos);
  }
  // four runs (no-refinement shares full's), each an independent command
  const std::string jobs = slurp(out / "jobs.txt");
  CHECK(std::count(jobs.begin(), jobs.end(), '\n') == 4);
  CHECK(jobs.find(
            "neurokin train --config s1/configs/no-gating.json --out s1/runs/no-gating --quiet") !=
        std::string::npos);
  CHECK(r.err.find("[4/4] no-gating: training") != std::string::npos);

  // again: nothing trains, the figures are the same; a removed model is trained again
  fs::remove(out / "runs" / "fixed-weights.json");
  fs::remove(out / "runs" / "fixed-weights.ckpt");
  const Run again = d.run(
      "ablate --study seed001 --arm puma3 --out s1 --scale 0.005 --set 'network.hidden=[16]' "
      "--set network.gated_blocks=1");
  INFO(again.err);
  REQUIRE(again.code == 0);
  CHECK(again.err.find("[1/4] full: done before, skipped") != std::string::npos);
  CHECK(again.err.find("[3/4] fixed-weights: training") != std::string::npos);
  CHECK(again.err.find("[4/4] no-gating: done before, skipped") != std::string::npos);
  const json res2 = json::parse(slurp(out / "results.json"));
  CHECK(res2["variants"][0]["network"] == full["network"]);
  CHECK(res2["variants"][2]["network"] ==
        res["variants"][2]["network"]);  // training is deterministic
}

TEST_CASE(
    "fk-weight at a tiny scale: lambda 0 is MSE only's run, --plan writes configs and jobs only") {
  Dir d;
  const Run r = d.run(
      "ablate --study fk-weight --arm kr6 --out fk --scale 0.01 --set 'network.hidden=[32,32]'");
  INFO(r.err);
  REQUIRE(r.code == 0);
  const json res = json::parse(slurp(d.path / "fk" / "results.json"));
  REQUIRE(res["variants"].size() == 9);
  CHECK(res["variants"][7]["name"] == "lambda-0");
  CHECK(res["variants"][7]["run"] == "mse-only");
  CHECK(res["variants"][7]["result"] == res["variants"][0]["result"]);
  CHECK(res["variants"][8]["config"]["loss"]["curriculum"] == true);
  CHECK(res["arm"] == "kr6");
  const std::string jobs = slurp(d.path / "fk" / "jobs.txt");
  CHECK(std::count(jobs.begin(), jobs.end(), '\n') == 8);
  // --plan writes the configs and jobs only
  const Run p = d.run("ablate --study fk-weight --arm kr6 --out plan --plan");
  CHECK(p.code == 0);
  CHECK(fs::exists(d.path / "plan" / "jobs.txt"));
  CHECK(json::parse(slurp(d.path / "plan" / "configs" / "lambda-5.json"))["loss"]["fk_position"] ==
        5);
  CHECK_FALSE(fs::exists(d.path / "plan" / "results.json"));
}

// the number of occurrences of `what` in s
std::size_t count(const std::string& s, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
  return n;
}

TEST_CASE("plots: gnuplot scripts with inline data, quoted text, gaps, errors named") {
  report::LinePanel c;
  c.title = "a < b & 'c' `rm -rf x` @m";
  c.log_y = true;
  c.series = {{"one", {1, 2, 3, 4}, {1, 0, 10, 100}},
              {"two", {1, 2}, {5, 6}, true}};  // y = 0: a gap on a log axis
  const std::string gp = report::gnuplot_script({"figure", {report::panel(c)}});
  // text in single quotes (no backquote or macro substitution), a quote doubled
  CHECK(gp.find("set title 'a < b & ''c'' `rm -rf x` @m'") != std::string::npos);
  CHECK(gp.find("$L0_0 << EOD\n1 1\n\n3 10\n4 100\nEOD\n") !=
        std::string::npos);  // broken at the zero
  CHECK(gp.find("title 'two'") != std::string::npos);
  CHECK(gp.find("set logscale y") != std::string::npos);
  c.series[0].y.pop_back();
  CHECK_THROWS_WITH(report::gnuplot_script({"f", {report::panel(c)}}),
                    Catch::Contains("expected as many y as x values, got 3 and 4"));
  c.series = {{"zero", {1, 2}, {0, 0}}};
  CHECK_THROWS_WITH(report::gnuplot_script({"f", {report::panel(c)}}),
                    Catch::Contains("no drawable point"));
  CHECK_THROWS_WITH(report::gnuplot_script({"f", {}}),
                    Catch::Contains("expected at least one panel"));
  report::HistogramPanel h{"h", "x", "n", false, false, {0, 1, 2}, {"a"}, {{3}}};
  CHECK_THROWS_WITH(report::gnuplot_script({"f", {report::panel(h)}}),
                    Catch::Contains("expected 2 counts (one per bin), got 1"));
  report::HeatmapPanel m;
  m.title = "m", m.nx = 2, m.ny = 2, m.values = {1, 2, 3};
  CHECK_THROWS_WITH(report::gnuplot_script({"f", {report::panel(m)}}),
                    Catch::Contains("expected 2 x 2 values, got 3"));
}

TEST_CASE("plots: gnuplot draws every kind of panel as SVG, and without gnuplot nothing is written") {
  REQUIRE(report::find_gnuplot());  // scripts/bootstrap.sh installs gnuplot-nox
  const fs::path dir = fs::temp_directory_path() / ("neurokin-plot-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  report::LinePanel l{"curves", "epoch", "mm", false, true, {{"val & mean", {1, 2, 3}, {3, 2, 1}}}};
  report::HistogramPanel h{"errors", "mm",         "targets",       true,
                           false,    {0.1, 1, 10}, {"all", "some"}, {{5, 7}, {1, 2}}};
  report::HeatmapPanel m;
  m.title = "heat", m.value_label = "share (%)", m.nx = 2, m.ny = 2, m.values = {1, NAN, 3, 4},
  m.labels = true;
  m.x_names = {"p", "q"};
  const fs::path file = dir / "f.svg";
  REQUIRE(report::write_svg(file.string(),
                            {"a figure", {report::panel(l), report::panel(h), report::panel(m)}}));
  const std::string svg = slurp(file);
  CHECK(svg.find("<svg") != std::string::npos);
  CHECK(svg.find("width=\"1680\" height=\"420\"") != std::string::npos);  // three panels of 560
  CHECK(svg.find("</svg>") != std::string::npos);
  for (const char* text : {">a figure</text>", ">val &amp; mean</text>", ">some</text>",
                           ">share (%)</text>", ">q</text>"})
    CHECK(svg.find(text) != std::string::npos);
  CHECK(count(svg, "<path") > 10);
  // a gnuplot that is not there: false, and no file
  ::setenv("NEUROKIN_GNUPLOT", (dir / "no-gnuplot").c_str(), 1);
  CHECK_FALSE(report::write_svg((dir / "g.svg").string(), {"x", {report::panel(l)}}));
  CHECK_FALSE(fs::exists(dir / "g.svg"));
  ::unsetenv("NEUROKIN_GNUPLOT");
  fs::remove_all(dir);
}
