// neurokin ablate: one of the seeds' ablation studies (src/ablate/study.h) run end to end.
// Each variant's config is the study's base with the variant's overrides; variants whose
// configs are equal share one training run. The runs are listed as independent
// `neurokin train` commands in OUT/jobs.txt, trained here one after the other unless their
// model already exists (so a killed study resumes, and runs made elsewhere from jobs.txt are
// used), evaluated on fresh targets with the eval code, and reported in OUT/README.md (table
// and reading), OUT/results.json (every figure), OUT/errors.svg and OUT/curves.svg.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <memory>
#include <optional>

#include "ablate/study.h"
#include "cli/commands.h"
#include "cli/eval_ik.h"
#include "cli/training.h"
#include "io/atomic_file.h"
#include "neurokin/error.h"
#include "neurokin/json_util.h"
#include "report/plot.h"
#include "train/config.h"

namespace neurokin::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct AblateArgs {
  std::string study, arm, out;
  double scale = 1;
  int threads = 1;
  bool plan = false;
  std::vector<std::string> sets;
};

constexpr std::uint64_t kEvalSeed = 20261121;  // `neurokin eval`'s: not a training seed

// one training run: the variants whose configs are equal share it
struct Run {
  std::string name;  // the first variant's
  json config;
  std::string prefix() const { return "runs/" + name; }
};

struct Plan {
  std::vector<Run> runs;
  std::vector<int> run_of;  // per variant
};

Plan plan_runs(const ablate::Study& st) {
  Plan p;
  for (const auto& v : st.variants) {
    const json cfg = train::config_to_json(train::config_from_json(ablate::variant_config(st, v)));
    const auto same =
        std::find_if(p.runs.begin(), p.runs.end(), [&](const Run& r) { return r.config == cfg; });
    const int index = static_cast<int>(same - p.runs.begin());
    if (same == p.runs.end()) p.runs.push_back({v.name, cfg});
    p.run_of.push_back(index);
  }
  return p;
}

std::string train_command(const fs::path& out, const Run& r) {
  return fmt::format("neurokin train --config {} --out {} --quiet",
                     (out / "configs" / (r.name + ".json")).string(), (out / r.prefix()).string());
}

// the run's model when it exists and was trained from its config, else nothing
std::optional<Model> finished(const fs::path& out, const Run& r) {
  const fs::path file = out / (r.prefix() + ".json");
  if (!fs::exists(file)) return std::nullopt;
  Model m = load_model(file.string());
  if (m.metadata.value("config", json()) != r.config) {
    fmt::print(stderr, "{}: trained from another config, trained again\n", file.string());
    return std::nullopt;
  }
  return m;
}

// mean, rmse and percentiles of position errors (m), in mm, as train::to_json(ErrorStats) names
// them
json error_summary(const std::vector<double>& e) {
  double sum = 0, ss = 0;
  for (double v : e) sum += v, ss += v * v;
  const double n = std::max<double>(1, e.size());
  return {{"n", e.size()},
          {"position_mean_mm", sum / n * 1e3},
          {"position_rmse_mm", std::sqrt(ss / n) * 1e3},
          {"position_p50_mm", train::percentile(e, 50) * 1e3},
          {"position_p95_mm", train::percentile(e, 95) * 1e3},
          {"position_p99_mm", train::percentile(e, 99) * 1e3},
          {"position_max_mm", train::percentile(e, 100) * 1e3}};
}

// a variant's figures on fresh targets: the network alone, its focus path, and after the
// study's refinement when the variant has it; "result" is what the variant stands for.
// `errors` receives the per-target position errors of the result (m)
json evaluate_variant(const ablate::Study& st, const ablate::Variant& v, const Model& m,
                      int threads, std::vector<double>& errors) {
  const train::Samples s = fresh_targets(m.arm, m.metadata, st.eval_n, kEvalSeed, false, threads);
  json out{{"name", v.name},
           {"label", v.label},
           {"overrides", v.overrides},
           {"parameters", m.net.parameter_count()},
           {"training_seconds", m.metadata.value("training_seconds", 0.0)}};
  out["network"] = train::to_json(train::evaluate(m, s, s.test, &errors));
  if (training_data_config(m.metadata).focus) {
    const train::Samples f =
        fresh_targets(m.arm, m.metadata, std::max<long long>(st.eval_n / 10, 50), kEvalSeed + 1, true, threads);
    out["focus_path"] = train::to_json(train::evaluate(m, f, f.test));
  }
  out["result"] = error_summary(errors);
  out["refine_iterations"] = 0;
  if (st.refine_iterations > 0 && v.refine) {
    // a few DLS iterations from the network's answer, no restarts (seed 001's refinement)
    IkOptions opt;
    opt.max_iterations = st.refine_iterations;
    opt.max_restarts = 0;
    opt.time_budget_ms = 0;
    Workspace ws(m.net);
    const RefineStats r =
        refine_all(m.arm, s, opt, [&](std::size_t k) { return network_start(m, ws, s, k); });
    errors = r.position_error_m;
    out["result"] = error_summary(errors);
    out["result"]["solved_share"] = r.success;
    out["refine_iterations"] = st.refine_iterations;
  }
  return out;
}

std::string cell(const json& variant, const ablate::Column& c) {
  const json::json_pointer p(c.pointer);
  if (!variant.contains(p) || !variant.at(p).is_number()) return "-";
  return fmt::format("{:.{}f}", variant.at(p).get<double>() * c.scale, c.digits);
}

std::string markdown_table(const ablate::Study& st, const json& variants) {
  std::string t = "| variant |", rule = "|---|";
  for (const auto& c : st.columns) t += " " + c.header + " |", rule += "---:|";
  t += "\n" + rule + "\n";
  for (const auto& v : variants) {
    t += "| " + v["label"].get<std::string>() + " |";
    for (const auto& c : st.columns) t += " " + cell(v, c) + " |";
    t += "\n";
  }
  return t;
}

// the share of targets per log-spaced error bin, one series per variant, over the range of all
report::LinePanel error_chart(const ablate::Study& st,
                              const std::vector<std::vector<double>>& errors) {
  double lo = INFINITY, hi = 0;
  for (const auto& e : errors)
    for (double v : e)
      if (v > 0) lo = std::min(lo, v * 1e3), hi = std::max(hi, v * 1e3);
  if (!(hi > 0)) lo = 1e-3, hi = 1;  // every error exactly 0: any range shows it
  lo = std::max(lo, hi * 1e-6);
  constexpr int kBins = 40;
  const double step = std::log10(hi / lo) / kBins;
  report::LinePanel c;
  c.title = st.title + ": position error on fresh targets";
  c.x_label = "position error (mm, log bins)";
  c.y_label = "share of targets per bin";
  c.log_x = true;
  for (std::size_t k = 0; k < errors.size(); ++k) {
    report::Series s;
    s.name = st.variants[k].name;
    std::vector<double> share(kBins, 0.0);
    for (double v : errors[k]) {
      const int b = static_cast<int>(std::floor(std::log10(std::max(v * 1e3, lo) / lo) / step));
      share[std::clamp(b, 0, kBins - 1)] += 1.0 / std::max<std::size_t>(1, errors[k].size());
    }
    for (int b = 0; b < kBins; ++b)
      s.x.push_back(lo * std::pow(10.0, (b + 0.5) * step)), s.y.push_back(share[b]);
    c.series.push_back(std::move(s));
  }
  return c;
}

// the validation mean position error per epoch, one series per training run
report::LinePanel curve_chart(const ablate::Study& st, const Plan& plan,
                              const std::vector<Model>& models) {
  report::LinePanel c;
  c.title = st.title + ": training curves";
  c.x_label = "epoch";
  c.y_label = "validation mean position error (mm)";
  c.log_y = true;
  for (std::size_t r = 0; r < plan.runs.size(); ++r) {
    const json& curves = models[r].metadata.at("curves");
    report::Series s;
    s.name = plan.runs[r].name;
    s.x = curves.at("epoch").get<std::vector<double>>();
    s.y = curves.at("val_mean_mm").get<std::vector<double>>();
    c.series.push_back(std::move(s));
  }
  return c;
}

// generated sentences: the best and worst variant on the first column, and the shared runs
std::string reading(const ablate::Study& st, const Plan& plan, const json& variants) {
  const ablate::Column& c = st.columns.front();
  const json::json_pointer p(c.pointer);
  std::size_t best = 0, worst = 0;
  for (std::size_t k = 0; k < variants.size(); ++k) {
    if (variants[k].at(p) < variants[best].at(p)) best = k;
    if (variants[k].at(p) > variants[worst].at(p)) worst = k;
  }
  std::string s =
      fmt::format("Lowest {}: {} ({}). Highest: {} ({}).", c.header,
                  variants[best]["label"].get<std::string>(), cell(variants[best], c),
                  variants[worst]["label"].get<std::string>(), cell(variants[worst], c));
  for (std::size_t k = 0; k < st.variants.size(); ++k)
    if (plan.runs[plan.run_of[k]].name != st.variants[k].name)
      s += fmt::format(" \"{}\" is the same training run as \"{}\" (equal configs){}.",
                       st.variants[k].name, plan.runs[plan.run_of[k]].name,
                       st.variants[k].refine ? "" : ", evaluated without refinement");
  return s + "\n";
}

void run_ablate(const AblateArgs& args) {
  ablate::Study st = ablate::scaled(ablate::find_study(args.study, args.arm), args.scale);
  st.base["threads"] = args.threads;
  for (const auto& s : args.sets) train::apply_override(st.base, s);
  const fs::path out(args.out);
  fs::create_directories(out / "configs");
  fs::create_directories(out / "runs");

  // every run's config and its command, so that the runs can be made anywhere
  const Plan plan = plan_runs(st);
  std::string jobs;
  for (const Run& r : plan.runs) {
    io::write_file_atomic((out / "configs" / (r.name + ".json")).string(), r.config.dump(2) + "\n");
    jobs += train_command(out, r) + "\n";
  }
  io::write_file_atomic((out / "jobs.txt").string(), jobs);
  const std::string command =
      fmt::format("neurokin ablate --study {} --arm {} --out {}{}{}", st.name, st.arm, args.out,
                  args.scale != 1 ? fmt::format(" --scale {}", args.scale) : "",
                  args.threads != 1 ? fmt::format(" --threads {}", args.threads) : "");
  if (args.plan) {
    fmt::print("{}: {} variants in {} training runs; wrote {}/configs/*.json and {}/jobs.txt\n",
               st.name, st.variants.size(), plan.runs.size(), args.out, args.out);
    return;
  }

  std::vector<Model> models;
  for (std::size_t k = 0; k < plan.runs.size(); ++k) {
    const Run& r = plan.runs[k];
    if (auto m = finished(out, r)) {
      fmt::print(stderr, "[{}/{}] {}: done before, skipped\n", k + 1, plan.runs.size(), r.name);
      models.push_back(std::move(*m));
      continue;
    }
    fmt::print(stderr, "[{}/{}] {}: training\n", k + 1, plan.runs.size(), r.name);
    TrainFiles f;
    f.out = (out / r.prefix()).string();
    f.resume = fs::exists(f.out + ".ckpt");
    f.quiet = true;
    f.command = train_command(out, r);
    models.push_back(train_to_files(r.config, f));
  }

  json variants = json::array();
  std::vector<std::vector<double>> errors(st.variants.size());
  for (std::size_t k = 0; k < st.variants.size(); ++k) {
    json v = evaluate_variant(st, st.variants[k], models[plan.run_of[k]], args.threads, errors[k]);
    v["run"] = plan.runs[plan.run_of[k]].name;
    v["config"] = plan.runs[plan.run_of[k]].config;
    variants.push_back(std::move(v));
  }
  const json results{
      {"study", st.name},    {"arm", st.arm},          {"title", st.title},
      {"seed", st.seed},     {"command", command},     {"scale", args.scale},
      {"eval_n", st.eval_n}, {"eval_seed", kEvalSeed}, {"refine_iterations", st.refine_iterations},
      {"base", st.base},     {"variants", variants}};
  io::write_file_atomic((out / "results.json").string(), results.dump(2) + "\n");
  // the charts, drawn by gnuplot (report/plot.h); without it the study still reports
  const bool plotted =
      report::write_svg((out / "errors.svg").string(),
                        {"", {report::panel(error_chart(st, errors))}, 720, 420}) &&
      report::write_svg((out / "curves.svg").string(),
                        {"", {report::panel(curve_chart(st, plan, models))}, 720, 420});
  if (!plotted) fmt::print(stderr, "{}\n", report::gnuplot_missing_note());
  const std::string table = markdown_table(st, variants);
  const std::string md = fmt::format(
      "# {}\n\n`{}` (reproduces seed {}; {} fresh targets, seed {}{}).\n\n{}\n{}\n"
      "![position error distribution](errors.svg)\n\n![training curves](curves.svg)\n\n"
      "Every figure: `results.json`; each run's config: `configs/`; the runs as independent "
      "commands: "
      "`jobs.txt` (see docs/ablations.md).\n",
      st.title, command, st.seed, st.eval_n, kEvalSeed,
      st.refine_iterations
          ? fmt::format("; refinement: {} DLS iterations from the network's answer, no restarts",
                        st.refine_iterations)
          : "",
      table, reading(st, plan, variants));
  io::write_file_atomic((out / "README.md").string(), md);
  fmt::print("{}\n{}wrote {}/README.md, results.json, errors.svg, curves.svg\n", table,
             reading(st, plan, variants), args.out);
}

}  // namespace

void add_ablate_command(CLI::App& app) {
  auto args = std::make_shared<AblateArgs>();
  CLI::App* cmd = app.add_subcommand(
      "ablate", "Run one of the seeds' ablation studies: train, evaluate, report");
  cmd->footer(
      "Studies: fk-weight (kr6 positioned only: seed 000's A-4.4, lambda_fk and the curriculum),\n"
      "seed001 (puma3: seed 001 without hard mining, adaptive weights, refinement, gating).\n"
      "Writes OUT/configs/VARIANT.json and OUT/jobs.txt (one `neurokin train` per run), trains "
      "the\n"
      "runs whose model OUT/runs/VARIANT.json is missing (a killed study resumes; runs made\n"
      "elsewhere from jobs.txt are used), evaluates every variant on fresh targets and writes\n"
      "OUT/README.md (table, reading), OUT/results.json, OUT/errors.svg and OUT/curves.svg.\n\n"
      "Example: neurokin ablate --study fk-weight --arm kr6 --out docs/ablations/fk-weight\n"
      "         neurokin ablate --study seed001 --arm puma3 --out /tmp/s1 --scale 0.01");
  cmd->add_option("--study", args->study, "fk-weight or seed001")->required()->type_name("NAME");
  cmd->add_option("--arm", args->arm,
                  "the study's arm (checked): kr6 for fk-weight, puma3 for seed001")
      ->type_name("ARM");
  cmd->add_option("--out", args->out, "output folder")->required()->type_name("DIR");
  cmd->add_option("--scale", args->scale,
                  "data, epochs and evaluation targets times this (tests: 0.01)")
      ->check(CLI::Range(1e-6, 1.0))
      ->capture_default_str();
  cmd->add_option("--threads", args->threads, "oneDNN/OpenMP threads of each run (0: all)")
      ->check(CLI::Range(0, 1024))
      ->capture_default_str();
  cmd->add_option("--set", args->sets,
                  "override a field of the base config: --set seed=2 (repeatable)")
      ->type_name("KEY=VALUE");
  cmd->add_flag("--plan", args->plan, "only write the configs and jobs.txt");
  cmd->callback([args] { run_ablate(*args); });
}

}  // namespace neurokin::cli
