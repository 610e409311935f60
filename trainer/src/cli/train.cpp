// neurokin train: a config (arm, data, network, losses, schedule) -> NAME.json (the core's
// model format, with the config, metrics, curves and report in its metadata), NAME.onnx,
// NAME.report.json, NAME.log.csv (every epoch), NAME.ckpt (the last finished epoch) and the
// plots NAME.curves.svg, NAME.errors.svg, NAME.heatmap.svg (cli/model_report.h).
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <memory>

#include "cli/commands.h"
#include "cli/model_report.h"
#include "cli/training.h"
#include "data/dataset.h"
#include "data/feasibility.h"
#include "export/onnx_export.h"
#include "io/atomic_file.h"
#include "neurokin/json_util.h"
#include "report/plot.h"
#include "train/clustered.h"
#include "train/trainer.h"

namespace neurokin::cli {
namespace {

struct TrainArgs {
  std::string config;
  std::string out;
  bool resume = false;
  std::vector<std::string> sets;
  int epochs = 0, threads = -1;
  long long n = 0;
  std::string cache;
  std::string init;
  bool quiet = false;
};

// the IK dataset of the config, made or loaded from the cache
train::Samples ik_samples(const Arm& arm, const train::TrainConfig& cfg, const std::string& cache) {
  const data::DataConfig dc = data::data_config_from_json(cfg.data, "config.data");
  std::string why;
  data::Dataset d = cache.empty() ? data::make_dataset(arm, dc, cfg.threads)
                                  : data::load_or_make_dataset(arm, dc, cache, cfg.threads, &why);
  fmt::print(stderr, "data: {} samples of {} ({} train / {} validation / {} test), {}\n", d.n,
             arm.name, d.split.train, d.split.val, d.split.test,
             cache.empty() ? "made"
             : why.empty() ? "loaded from " + cache
                           : "made (" + why + ")");
  if (!d.report.branches.empty()) fmt::print(stderr, "{}", data::format_branch_report(d.report));
  return train::to_samples(std::move(d));
}

// the feasibility dataset of the config: reachable and confirmed unreachable poses, labelled
train::Samples feasibility_samples(const Arm& arm, const train::TrainConfig& cfg) {
  const data::FeasibilityConfig fc = data::feasibility_config_from_json(cfg.data, "config.data");
  data::FeasibilityData d = data::make_feasibility_data(arm, fc, cfg.threads);
  fmt::print(stderr,
             "data: {} poses of {} ({} reachable, {} unreachable inside the reach ball, {} "
             "outside; {} train / "
             "{} validation / {} test); pose and per-sample labels agree on {:.2f}% of the "
             "reachable poses\n",
             d.n, arm.name, fc.reachable, d.report["unreachable_inside"].get<long>(),
             d.report["unreachable_outside"].get<long>(), d.split.train, d.split.val, d.split.test,
             d.report["label_agreement"].get<double>() * 100);
  return train::to_samples(std::move(d));
}

// the trajectory dataset of the config: next joints, current joints around them, targets
train::Samples trajectory_samples(const Arm& arm, const train::TrainConfig& cfg) {
  const data::TrajectoryConfig tc = data::trajectory_config_from_json(cfg.data, "config.data");
  data::TrajectoryData d = data::make_trajectory_data(arm, tc);
  fmt::print(stderr,
             "data: {} samples of {} ({} next configurations x {} current joints within {} rad; {} train / {} "
             "validation / {} test)\n",
             d.n, arm.name, d.n / tc.per_point, tc.per_point, tc.perturbation, d.split.train, d.split.val,
             d.split.test);
  return train::to_samples(std::move(d));
}

// the model, its ONNX twin and its report: all three written to temporary files first, then
// published, so a full disk leaves the previous three as they were, not a mixed set
void publish_model_files(const std::string& out, const std::string& model_json, const std::string& onnx,
                         const std::string& report_json) {
  io::AtomicFile model_file(out + ".json"), onnx_file(out + ".onnx"), report_file(out + ".report.json");
  model_file.write(model_json);
  onnx_file.write(onnx);
  report_file.write(report_json);
  for (io::AtomicFile* f : {&model_file, &onnx_file, &report_file}) f->commit();
}

// k-means, one network per cluster, then the clustered model, its ONNX (every candidate) and a report
void write_clustered(const TrainFiles& files, const train::TrainConfig& cfg, const Arm& arm,
                     const train::Samples& samples, const train::TrainOptions& opt,
                     std::chrono::steady_clock::time_point t0) {
  ClusteredModel model = train::train_clustered(cfg, arm, samples, opt);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  model.metadata["command"] = files.command;
  model.metadata["wall_seconds"] = seconds;
  const std::string name = std::filesystem::path(files.out).filename().string();
  std::size_t parameters = 0;
  for (const Cluster& c : model.clusters) parameters += c.model.net.parameter_count();
  const nlohmann::json report = {{"model", name + ".json"},
                                 {"onnx", name + ".onnx"},
                                 {"arm", arm.name},
                                 {"clusters", model.k()},
                                 {"parameters", parameters},
                                 {"metrics", model.metadata["metrics"]},
                                 {"kmeans", model.metadata["kmeans"]},
                                 {"members", model.metadata["members"]},
                                 {"data", model.metadata["data"]},
                                 {"config", model.metadata["config"]},
                                 {"command", model.metadata["command"]},
                                 {"wall_seconds", seconds}};
  publish_model_files(files.out, clustered_model_to_json(model).dump() + "\n",
                      onnx_export::export_clustered(model, name), report.dump(2) + "\n");
  const auto& test = model.metadata["metrics"]["test"];
  fmt::print("{}: {} clusters; the FK-consistent answer on the test split: position error mean {:.3f} mm, p95 {:.3f} mm, "
             "max {:.3f} mm, {:.2f}% within 5 mm; orientation mean {:.3f} deg; {:.2f} distinct good solutions per "
             "target ({} samples); {:.0f} s\nwrote {}.json, {}.onnx, {}.report.json, {}.c<k>.log.csv\n",
             name, model.k(), test["position_mean_mm"].get<double>(), test["position_p95_mm"].get<double>(),
             test["position_max_mm"].get<double>(), test["position_within_5mm_share"].get<double>() * 100,
             test["orientation_mean_deg"].get<double>(), test["distinct_solutions_mean"].get<double>(),
             test["n"].get<long>(), seconds, files.out, files.out, files.out, files.out);
}

void run_train(const TrainArgs& args) {
  nlohmann::json j = json_util::parse(json_util::read_file(args.config, "config file"),
                                      "config file '" + args.config + "'");
  // flags override fields: --epochs, --threads, --n, then every --set in order
  if (args.epochs > 0) j["epochs"] = args.epochs;
  if (args.threads >= 0) j["threads"] = args.threads;
  if (args.n > 0 && j.value("kind", "ik") == "feasibility") {
    // both counts scaled to n poses in all, in the config's ratio (default 400,000 : 160,000)
    auto& dj = j["data"];
    const double r = dj.value("reachable", 400000.0), u = dj.value("unreachable", 160000.0);
    dj["reachable"] = std::max(1LL, std::llround(args.n * r / (r + u)));
    dj["unreachable"] = args.n - dj["reachable"].get<long long>();
  } else if (args.n > 0) {
    j["data"]["n"] = args.n;
  }
  if (!args.init.empty()) j["init"] = args.init;
  for (const auto& s : args.sets) train::apply_override(j, s);
  TrainFiles files;
  files.out = args.out;
  files.cache = args.cache;
  files.resume = args.resume;
  files.quiet = args.quiet;
  files.command = "neurokin train --config " + args.config + " --out " + args.out;
  if (j.value("kind", "ik") == "ik_clustered") {
    train_to_files(j, files);
    return;  // the clustered model's summary is printed as it is written
  }
  const Model model = train_to_files(j, files);

  const std::string name = std::filesystem::path(args.out).filename().string();
  const auto& test = model.metadata["metrics"]["test"];
  const double seconds = model.metadata["wall_seconds"];
  if (model.kind == ModelKind::kFeasibility) {
    fmt::print(
        "{}: test accuracy {:.4f}%, binary reachable/unreachable accuracy {:.4f}% ({} errors) ({} "
        "samples); {:.0f} s\nwrote {}.json, {}.onnx, {}.report.json, {}.log.csv\n",
        name, test["accuracy"].get<double>() * 100, test["binary_accuracy"].get<double>() * 100,
        test["binary_errors"].get<long>(), test["n"].get<long>(), seconds, args.out, args.out,
        args.out, args.out);
    return;
  }
  fmt::print(
      "{}: test position error mean {:.3f} mm, p95 {:.3f} mm, max {:.3f} mm; orientation mean "
      "{:.3f} deg "
      "({} samples); {:.0f} s\nwrote {}.json, {}.onnx, {}.report.json, {}.log.csv\n",
      name, test["position_mean_mm"].get<double>(), test["position_p95_mm"].get<double>(),
      test["position_max_mm"].get<double>(), test["orientation_mean_deg"].get<double>(),
      test["n"].get<long>(), seconds, args.out, args.out, args.out, args.out);
}

}  // namespace

Model train_to_files(const nlohmann::json& config, const TrainFiles& files) {
  const auto t0 = std::chrono::steady_clock::now();
  const train::TrainConfig cfg = train::config_from_json(config);
  const Arm arm = train::config_arm(cfg);
  if (!cfg.init.empty())
    load_model(cfg.init);  // a missing or broken file fails before the data are made
  const bool classifier = cfg.kind == "feasibility", trajectory = cfg.kind == "trajectory";
  if ((classifier || trajectory) && !files.cache.empty())
    throw Error("--cache: " + cfg.kind + " datasets are not cached yet (drop --cache)");

  const std::filesystem::path out(files.out);
  if (out.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(out.parent_path(), ec);
    if (ec)
      throw Error(fmt::format("{}: cannot create the directory: {}", out.parent_path().string(),
                              ec.message()));
  }
  // an output directory that takes no file fails now, not after the training
  io::check_writable(files.out + ".json");
  const auto t_data = std::chrono::steady_clock::now();
  const train::Samples samples = classifier   ? feasibility_samples(arm, cfg)
                                 : trajectory ? trajectory_samples(arm, cfg)
                                              : ik_samples(arm, cfg, files.cache);
  fmt::print(stderr, "data made or loaded in {:.1f} s\n",
             std::chrono::duration<double>(std::chrono::steady_clock::now() - t_data).count());

  train::TrainOptions opt;
  opt.out = files.out;
  opt.resume = files.resume;
  opt.progress = !files.quiet;
  if (cfg.kind == "ik_clustered") {
    write_clustered(files, cfg, arm, samples, opt, t0);
    return {};
  }
  Model model = train::train_model(cfg, arm, samples, opt);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  model.metadata["command"] = files.command;
  model.metadata["wall_seconds"] = seconds;
  // the report block on fresh targets: what `neurokin report` computes for this model
  model.metadata["report"] = compute_report(model, cfg.threads);

  const std::string name = out.filename().string();
  nlohmann::json report = {{"model", name + ".json"},
                           {"onnx", name + ".onnx"},
                           {"arm", arm.name},
                           {"task", task_name(arm.task)},
                           {"parameters", model.net.parameter_count()},
                           {"metrics", model.metadata["metrics"]},
                           {"data", model.metadata["data"]},
                           {"config", model.metadata["config"]},
                           {"command", model.metadata["command"]},
                           {"wall_seconds", seconds}};
  publish_model_files(files.out, model_to_json(model).dump() + "\n", onnx_export::export_model(model, name),
                      report.dump(2) + "\n");
  // the plots of the curves and the report next to the model; without gnuplot, a note
  if (write_report_plots(model, files.out).empty())
    fmt::print(stderr, "{}\n", report::gnuplot_missing_note());
  return model;
}

void add_train_command(CLI::App& app) {
  auto args = std::make_shared<TrainArgs>();
  CLI::App* cmd = app.add_subcommand(
      "train", "Train an IK, trajectory or feasibility network with oneDNN from a config file");
  cmd->footer(
      "Writes OUT.json (model + config, metrics, per-epoch curves and report), OUT.onnx,\n"
      "OUT.report.json, OUT.log.csv, the plots OUT.curves.svg, OUT.errors.svg and OUT.heatmap.svg\n"
      "(drawn by gnuplot; skipped with a note without it) and OUT.ckpt (the last finished epoch;\n"
      "--resume continues from it to the same result as an uninterrupted run). Ctrl-C stops\n"
      "between two batches and keeps the checkpoint.\n\n"
      "A config with \"kind\": \"feasibility\" trains the 4-class feasibility classifier "
      "(cross-entropy)\n"
      "on reachable and confirmed unreachable poses (trainer/src/data/feasibility.h).\n"
      "\"kind\": \"ik_clustered\" clusters the sampled joints with k-means (config.clusters) and trains\n"
      "one network per cluster (OUT.c<k>.log.csv); the answer is chosen by FK consistency.\n"
      "\"kind\": \"trajectory\" trains (target, current joints) -> next joints on seed 004's perturbation\n"
      "data (trainer/src/data/trajectory.h); `neurokin track` follows paths with it.\n\n"
      "Example: neurokin train --config models/configs/planar2-ik.json --out models/planar2/ik\n"
      "         neurokin train --config models/configs/kr6-feasibility.json --out "
      "models/kr6/feasibility");
  cmd->add_option("--config", args->config, "training config (JSON)")
      ->required()
      ->type_name("FILE");
  cmd->add_option("--out", args->out, "output prefix, e.g. models/kr6/ik")
      ->required()
      ->type_name("PREFIX");
  cmd->add_flag("--resume", args->resume, "continue from OUT.ckpt");
  cmd->add_option("--init", args->init,
                  "fine-tune: start from this trained model's weights (same arm and network shape; "
                  "sets config init)")
      ->type_name("MODEL.json");
  cmd->add_option("--set", args->sets,
                  "override a config field: --set loss.fk_position=2 (repeatable)")
      ->type_name("KEY=VALUE");
  cmd->add_option("--epochs", args->epochs, "override epochs")->check(CLI::Range(1, 1000000));
  cmd->add_option("--threads", args->threads, "oneDNN/OpenMP threads (0: all)")
      ->check(CLI::Range(0, 1024));
  cmd->add_option("--n", args->n,
                  "override data.n (samples in all; feasibility: reachable + unreachable)")
      ->check(CLI::Range(10LL, 1LL << 31));
  cmd->add_option("--cache", args->cache,
                  "dataset cache file (reused when arm and data config match)")
      ->type_name("FILE");
  cmd->add_flag("--quiet", args->quiet, "no live progress line, one line per epoch");
  cmd->callback([args] { run_train(*args); });
}

}  // namespace neurokin::cli
