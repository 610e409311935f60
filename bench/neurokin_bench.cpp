// Time per call of the core's kinematics and IK on every arm (Google Benchmark).
//   build/native/bin/neurokin_bench [--benchmark_filter=kr6] [--benchmark_format=json]
// Inputs are pools of random joint configurations within limits (fixed seed), cycled so the
// branch predictor cannot learn one configuration. IK targets are reachable by construction
// (the task vector of fk(q) for a random q), so every failure is the solver's.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "neurokin/arm.h"
#include "neurokin/ik.h"
#include "neurokin/kinematics.h"
#include "neurokin/random.h"

namespace {

constexpr std::size_t kPool = 1024;  // power of two: the index wraps with a mask
constexpr std::uint64_t kSeed = 1;
constexpr double kWarmNoise = 0.1;  // rad: a start near the answer, as after a network's guess

// one arm and its inputs; lives until the benchmarks have run
struct ArmCase {
  neurokin::Arm arm;
  std::vector<Eigen::VectorXd> q;       // random joints within limits
  std::vector<neurokin::TaskVec> x;     // task vector of fk(q[i])
  std::vector<Eigen::VectorXd> q_warm;  // q[i] plus uniform noise, clamped to the limits
};

std::unique_ptr<ArmCase> make_case(const std::string& name) {
  auto c = std::make_unique<ArmCase>();
  c->arm = neurokin::load_arm(name);
  neurokin::Rng rng(kSeed);
  const Eigen::VectorXd lo = c->arm.lower(), hi = c->arm.upper();
  for (std::size_t i = 0; i < kPool; ++i) {
    const Eigen::VectorXd q = neurokin::sample_joints(c->arm, rng);
    Eigen::VectorXd warm = q;
    for (int j = 0; j < warm.size(); ++j) {
      warm(j) = std::clamp(warm(j) + rng.uniform(-kWarmNoise, kWarmNoise), lo(j), hi(j));
    }
    c->q.push_back(q);
    c->x.push_back(neurokin::task_vector(c->arm, neurokin::fk(c->arm, q)));
    c->q_warm.push_back(warm);
  }
  return c;
}

void bm_fk(benchmark::State& state, const ArmCase* c) {
  std::size_t i = 0;
  for (auto _ : state) {
    Eigen::Isometry3d X_WT = neurokin::fk(c->arm, c->q[i++ & (kPool - 1)]);
    benchmark::DoNotOptimize(X_WT);
  }
}

void bm_jacobian(benchmark::State& state, const ArmCase* c) {
  neurokin::Jacobian6 J_W;
  std::size_t i = 0;
  for (auto _ : state) {
    neurokin::jacobian(c->arm, c->q[i++ & (kPool - 1)], J_W);
    benchmark::DoNotOptimize(J_W.data());
    benchmark::ClobberMemory();
  }
}

void bm_task_jacobian(benchmark::State& state, const ArmCase* c) {
  neurokin::TaskJacobian J;
  std::size_t i = 0;
  for (auto _ : state) {
    neurokin::task_jacobian(c->arm, c->q[i++ & (kPool - 1)], J);
    benchmark::DoNotOptimize(J.data());
    benchmark::ClobberMemory();
  }
}

// solve_ik with its defaults (tol_pos 1e-5 m, tol_rot 1e-4 rad, 5 ms budget, random restarts);
// cold starts from the middle of the limits, warm ones from q_warm
void bm_solve_ik(benchmark::State& state, const ArmCase* c, bool warm) {
  const neurokin::IkOptions opt;
  std::int64_t calls = 0, converged = 0, iterations = 0, restarts = 0;
  std::size_t i = 0;
  for (auto _ : state) {
    const std::size_t k = i++ & (kPool - 1);
    const neurokin::IkResult r = warm ? neurokin::solve_ik(c->arm, c->x[k], opt, c->q_warm[k])
                                      : neurokin::solve_ik(c->arm, c->x[k], opt);
    benchmark::DoNotOptimize(r.q.data());
    ++calls;
    converged += r.status == neurokin::IkStatus::kConverged;
    iterations += r.iterations;
    restarts += r.restarts;
  }
  const double n = static_cast<double>(std::max<std::int64_t>(calls, 1));
  state.counters["converged"] = converged / n;
  state.counters["iterations"] = iterations / n;
  state.counters["restarts"] = restarts / n;
}

void bm_solve_ik_analytic(benchmark::State& state, const ArmCase* c) {
  std::int64_t calls = 0, solutions = 0;
  std::size_t i = 0;
  for (auto _ : state) {
    const neurokin::AnalyticSolutions s =
        neurokin::solve_ik_analytic(c->arm, c->x[i++ & (kPool - 1)]);
    benchmark::DoNotOptimize(s.count);
    ++calls;
    solutions += s.count;
  }
  state.counters["solutions"] = static_cast<double>(solutions) / std::max<std::int64_t>(calls, 1);
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;

  // one case per arm, registered as <what>/<arm> so --benchmark_filter=kr6 picks an arm
  std::vector<std::unique_ptr<ArmCase>> cases;
  for (const char* name : {"planar2", "puma3", "omx4", "kr6"}) {
    cases.push_back(make_case(name));
    const ArmCase* c = cases.back().get();
    const std::string arm = name;
    benchmark::RegisterBenchmark(("fk/" + arm).c_str(), bm_fk, c);
    benchmark::RegisterBenchmark(("jacobian/" + arm).c_str(), bm_jacobian, c);
    benchmark::RegisterBenchmark(("task_jacobian/" + arm).c_str(), bm_task_jacobian, c);
    benchmark::RegisterBenchmark(("solve_ik_cold/" + arm).c_str(), bm_solve_ik, c, false)
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(("solve_ik_warm/" + arm).c_str(), bm_solve_ik, c, true)
        ->Unit(benchmark::kMicrosecond);
    if (neurokin::has_analytic_ik(c->arm)) {
      benchmark::RegisterBenchmark(("solve_ik_analytic/" + arm).c_str(), bm_solve_ik_analytic, c);
    }
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
