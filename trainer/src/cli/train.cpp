// neurokin train: a config (arm, data, network, losses, schedule) -> NAME.json (the core's
// model format, with the config, metrics and curves in its metadata), NAME.onnx,
// NAME.report.json, NAME.log.csv (every epoch) and NAME.ckpt (the last finished epoch).
#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <memory>

#include "cli/commands.h"
#include "data/dataset.h"
#include "export/onnx_export.h"
#include "io/atomic_file.h"
#include "neurokin/json_util.h"
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
  bool quiet = false;
};

void run_train(const TrainArgs& args) {
  const auto t0 = std::chrono::steady_clock::now();
  nlohmann::json j = json_util::parse(json_util::read_file(args.config, "config file"),
                                      "config file '" + args.config + "'");
  // flags override fields: --epochs, --threads, --n, then every --set in order
  if (args.epochs > 0) j["epochs"] = args.epochs;
  if (args.threads >= 0) j["threads"] = args.threads;
  if (args.n > 0) j["data"]["n"] = args.n;
  for (const auto& s : args.sets) train::apply_override(j, s);
  const train::TrainConfig cfg = train::config_from_json(j);
  const Arm arm = load_arm(cfg.arm);
  const data::DataConfig dc = data::data_config_from_json(cfg.data, "config.data");

  const std::filesystem::path out(args.out);
  if (out.has_parent_path()) std::filesystem::create_directories(out.parent_path());
  std::string why;
  const auto t_data = std::chrono::steady_clock::now();
  data::Dataset d = args.cache.empty() ? data::make_dataset(arm, dc, cfg.threads)
                                       : data::load_or_make_dataset(arm, dc, args.cache, cfg.threads, &why);
  fmt::print(stderr, "data: {} samples of {} ({} train / {} validation / {} test), {} in {:.1f} s\n", d.n,
             arm.name, d.split.train, d.split.val, d.split.test,
             args.cache.empty() || !why.empty() ? "made" : "loaded from " + args.cache,
             std::chrono::duration<double>(std::chrono::steady_clock::now() - t_data).count());
  if (!d.report.branches.empty()) fmt::print(stderr, "{}", data::format_branch_report(d.report));
  const train::Samples samples = train::to_samples(std::move(d));

  train::TrainOptions opt;
  opt.out = args.out;
  opt.resume = args.resume;
  opt.progress = !args.quiet;
  Model model = train::train_model(cfg, arm, samples, opt);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  model.metadata["command"] = "neurokin train --config " + args.config + " --out " + args.out;
  model.metadata["wall_seconds"] = seconds;

  // the model, its ONNX twin and a report, each written atomically
  const std::string name = out.filename().string();
  io::write_file_atomic(args.out + ".json", model_to_json(model).dump() + "\n");
  onnx_export::write_onnx(args.out + ".onnx", model, name);
  nlohmann::json report = {{"model", name + ".json"},
                           {"onnx", name + ".onnx"},
                           {"arm", arm.name},
                           {"parameters", model.net.parameter_count()},
                           {"metrics", model.metadata["metrics"]},
                           {"data", model.metadata["data"]},
                           {"config", model.metadata["config"]},
                           {"command", model.metadata["command"]},
                           {"wall_seconds", seconds}};
  io::write_file_atomic(args.out + ".report.json", report.dump(2) + "\n");
  const auto& test = model.metadata["metrics"]["test"];
  fmt::print("{}: test position error mean {:.3f} mm, p95 {:.3f} mm, max {:.3f} mm; orientation mean {:.3f} deg "
             "({} samples); {:.0f} s\nwrote {}.json, {}.onnx, {}.report.json, {}.log.csv\n",
             name, test["position_mean_mm"].get<double>(), test["position_p95_mm"].get<double>(),
             test["position_max_mm"].get<double>(), test["orientation_mean_deg"].get<double>(),
             test["n"].get<long>(), seconds, args.out, args.out, args.out, args.out);
}

}  // namespace

void add_train_command(CLI::App& app) {
  auto args = std::make_shared<TrainArgs>();
  CLI::App* cmd = app.add_subcommand("train", "Train an IK network with oneDNN from a config file");
  cmd->footer(
      "Writes OUT.json (model + config, metrics and per-epoch curves), OUT.onnx, OUT.report.json,\n"
      "OUT.log.csv and OUT.ckpt (the last finished epoch; --resume continues from it to the same\n"
      "result as an uninterrupted run). Ctrl-C stops between two batches and keeps the checkpoint.\n\n"
      "Example: neurokin train --config models/configs/planar2-ik.json --out models/planar2/ik");
  cmd->add_option("--config", args->config, "training config (JSON)")->required()->type_name("FILE");
  cmd->add_option("--out", args->out, "output prefix, e.g. models/kr6/ik")->required()->type_name("PREFIX");
  cmd->add_flag("--resume", args->resume, "continue from OUT.ckpt");
  cmd->add_option("--set", args->sets, "override a config field: --set loss.fk_position=2 (repeatable)")
      ->type_name("KEY=VALUE");
  cmd->add_option("--epochs", args->epochs, "override epochs")->check(CLI::Range(1, 1000000));
  cmd->add_option("--threads", args->threads, "oneDNN/OpenMP threads (0: all)")->check(CLI::Range(0, 1024));
  cmd->add_option("--n", args->n, "override data.n (samples in all)")->check(CLI::Range(10LL, 1LL << 31));
  cmd->add_option("--cache", args->cache, "dataset cache file (reused when arm and data config match)")
      ->type_name("FILE");
  cmd->add_flag("--quiet", args->quiet, "no live progress line, one line per epoch");
  cmd->callback([args] { run_train(*args); });
}

}  // namespace neurokin::cli
