// neurokin bench train: the training engine's throughput (forward + backward + Adam on an MLP
// with an MSE loss) next to oneDNN's own f32 GEMM peak, measured in the same run.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <vector>

#include "cli/commands.h"
#include "neurokin/random.h"
#include "train/mlp.h"

namespace neurokin::cli {
namespace {

constexpr int kInputs = 7, kOutputs = 6;  // a pose (x, y, z, quaternion) -> 6 joints, as kr6
constexpr int kRounds = 10;      // training and peak timings alternate, so both see the same load
constexpr int kPeakRepeats = 2;  // 1024^3 GEMMs per round
constexpr int kPeakSize = 1024;

struct BenchTrainArgs {
  std::vector<int> hidden = {256, 256, 256, 256};
  int batch = 1024;
  int steps = 200;
  int warmup = 5;
  int threads = 0;
  std::uint64_t seed = 1;
  bool json = false;
};

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// a forward, the MSE gradient, a backward and an Adam step; returns the loss
double train_step(train::Mlp& mlp, const std::vector<float>& x, const std::vector<float>& t,
                  std::vector<float>& dy, int n) {
  const float* y = mlp.forward(x.data(), n, true);
  const std::size_t count = t.size();
  double loss = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const float e = y[i] - t[i];
    loss += static_cast<double>(e) * e;
    dy[i] = 2.0f * e / static_cast<float>(count);  // d mean(e^2) / dy
  }
  mlp.backward(dy.data());
  mlp.step(train::OptimizerConfig{}, 1e-3f);
  return loss / count;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t h = v.size() / 2;
  return v.size() % 2 ? v[h] : 0.5 * (v[h - 1] + v[h]);
}

std::string shape_text(const std::vector<int>& hidden) {
  std::string s = std::to_string(kInputs);
  for (int h : hidden) s += "-" + std::to_string(h);
  return s + "-" + std::to_string(kOutputs);
}

void run_bench_train(const BenchTrainArgs& args) {
  train::Architecture arch;
  arch.hidden = args.hidden;
  arch.activation = Activation::kRelu;
  const std::vector<Layer> layers = train::make_layers(arch, kInputs, kOutputs, args.seed);
  train::Mlp mlp(layers, args.batch, 0.0f, args.seed, args.threads);
  const int threads = train::thread_count(args.threads);

  // random inputs in [-1, 1) and targets: a throughput measurement, not a fit
  Rng rng(args.seed);
  std::vector<float> x(static_cast<std::size_t>(args.batch) * kInputs);
  std::vector<float> t(static_cast<std::size_t>(args.batch) * kOutputs), dy(t.size());
  for (float& v : x) v = static_cast<float>(rng.uniform(-1, 1));
  for (float& v : t) v = static_cast<float>(rng.uniform(-1, 1));

  // warm-up: builds the plan, faults the pages in, fills the caches
  for (int i = 0; i < args.warmup; ++i) train_step(mlp, x, t, dy, args.batch);

  // per round: the training steps' matmul rate, then the peak GEMM's
  const double flops_per_step = mlp.matmul_flops(args.batch);
  std::vector<double> train_gflops, peak_gflops;
  double loss = 0;
  for (int r = 0; r < kRounds; ++r) {
    const int steps = args.steps / kRounds + (r < args.steps % kRounds ? 1 : 0);
    const auto start = Clock::now();
    for (int i = 0; i < steps; ++i) loss = train_step(mlp, x, t, dy, args.batch);
    train_gflops.push_back(flops_per_step * steps / seconds_since(start) / 1e9);
    peak_gflops.push_back(train::peak_gemm_gflops(kPeakSize, args.threads, kPeakRepeats));
  }
  // medians: a burst of load from another process moves one round, not the result
  const double gflops = median(train_gflops), peak = median(peak_gflops);
  const double s_per_step = flops_per_step / (gflops * 1e9);
  if (args.json) {
    nlohmann::ordered_json j;
    j["network"] = shape_text(args.hidden);
    j["activation"] = "relu";
    j["parameters"] = mlp.parameter_count();
    j["batch"] = args.batch;
    j["steps"] = args.steps;
    j["threads"] = threads;
    j["ms_per_step"] = s_per_step * 1e3;
    j["samples_per_s"] = args.batch / s_per_step;
    j["flops_per_step"] = flops_per_step;
    j["gflops"] = gflops;
    j["peak_gflops"] = peak;
    j["peak_gemm"] = fmt::format("{0}x{0}x{0}", kPeakSize);
    j["fraction_of_peak"] = gflops / peak;
    j["rounds"] = kRounds;
    j["final_loss"] = loss;
    std::cout << j.dump(2) << '\n';
    return;
  }
  std::cout << fmt::format(
      "bench train: MLP {} (relu), {} parameters, batch {}, {} steps, {} thread{}\n"
      "  step (forward + backward + Adam)  {:.3f} ms, {:.0f} samples/s\n"
      "  matmul throughput                 {:.1f} GFLOP/s ({:.3f} GFLOP per step)\n"
      "  oneDNN f32 GEMM peak              {:.1f} GFLOP/s ({}x{}x{} matmul)\n"
      "  fraction of peak                  {:.2f}\n",
      shape_text(args.hidden), mlp.parameter_count(), args.batch, args.steps, threads,
      threads == 1 ? "" : "s", s_per_step * 1e3, args.batch / s_per_step, gflops,
      flops_per_step / 1e9, peak, kPeakSize, kPeakSize, kPeakSize, gflops / peak);
}

}  // namespace

void add_bench_command(CLI::App& app) {
  CLI::App* bench = app.add_subcommand("bench", "Measure the trainer's throughput");
  bench->require_subcommand(1);
  auto args = std::make_shared<BenchTrainArgs>();
  CLI::App* cmd = bench->add_subcommand(
      "train", "Forward + backward + Adam steps per second, against the f32 GEMM peak");
  cmd->footer(
      "Trains a 7-input, 6-output ReLU MLP with an MSE loss on random data. gflops counts the\n"
      "matmul flops (2 M N K per GEMM: forward, backward data, backward weights); peak_gflops\n"
      "is a oneDNN f32 1024x1024x1024 matmul timed in the same run with the same threads.\n"
      "The two alternate in 10 rounds (so both see the same machine load); the figures are\n"
      "the medians over the rounds.\n\n"
      "Example: neurokin bench train --hidden 256,256,256,256 --batch 1024 --steps 200 "
      "--threads 1 --json");
  cmd->add_option("--hidden", args->hidden, "hidden layer widths")
      ->delimiter(',')
      ->check(CLI::Range(1, 65536))
      ->capture_default_str();
  cmd->add_option("--batch", args->batch, "rows per step")
      ->check(CLI::Range(1, 1 << 20))
      ->capture_default_str();
  cmd->add_option("--steps", args->steps, "timed steps")
      ->check(CLI::Range(kRounds, 1'000'000))
      ->capture_default_str();
  cmd->add_option("--warmup", args->warmup, "untimed steps first")
      ->check(CLI::Range(0, 1'000'000))
      ->capture_default_str();
  cmd->add_option("--threads", args->threads, "OpenMP threads (0: the OpenMP default)")
      ->check(CLI::Range(0, 1024))
      ->capture_default_str();
  cmd->add_option("--seed", args->seed, "seed of the weights and the data")->capture_default_str();
  cmd->add_flag("--json", args->json, "print a JSON object instead of text");
  cmd->callback([args] { run_bench_train(*args); });
}

}  // namespace neurokin::cli
