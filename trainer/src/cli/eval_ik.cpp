#include "cli/eval_ik.h"

#include <chrono>

namespace neurokin::cli {

using Clock = std::chrono::steady_clock;

data::DataConfig training_data_config(const nlohmann::json& metadata) {
  return training_config(metadata, data::data_config_from_json);
}

train::Samples fresh_targets(const Arm& arm, const nlohmann::json& metadata, long long n, std::uint64_t seed,
                             bool focus, int threads) {
  data::DataConfig dc = training_data_config(metadata);
  dc.n = n;
  dc.seed = seed;
  dc.sampling = data::Sampling::kUniform;
  if (focus) dc.focus->share = 0.999;
  else dc.focus.reset();
  data::Dataset d = data::make_dataset(arm, dc, threads);
  const std::vector<std::uint8_t> near_circle = d.focus;
  train::Samples s = train::to_samples(std::move(d));
  s.test.clear();
  for (std::size_t i = 0; i < s.size(); ++i)
    if (!focus || near_circle[i]) s.test.push_back(static_cast<int>(i));
  return s;
}

train::Samples fresh_steps(const Arm& arm, const nlohmann::json& metadata, long long n, std::uint64_t seed) {
  data::TrajectoryConfig tc = training_config(metadata, data::trajectory_config_from_json);
  tc.n = std::max<long long>(n, tc.per_point);
  tc.seed = seed;
  tc.val_share = tc.test_share = 0;
  train::Samples s = train::to_samples(data::make_trajectory_data(arm, tc));
  s.test = s.train;  // every row is fresh: another seed than training's
  return s;
}

Eigen::VectorXd network_start(const Model& m, Workspace& ws, const train::Samples& s, std::size_t k) {
  std::vector<float> q(m.arm.dof());
  predict(m.net, ws, &s.x[k * s.task_size], 1, q.data());
  return Eigen::Map<const Eigen::VectorXf>(q.data(), m.arm.dof()).cast<double>();
}

RefineStats refine_all(const Arm& arm, const train::Samples& s, IkOptions opt,
                       const std::function<Eigen::VectorXd(std::size_t)>& start) {
  RefineStats r;
  r.position_error_m.resize(s.size());
  const double n = static_cast<double>(s.size());
  for (size_t k = 0; k < s.size(); ++k) {
    const Eigen::VectorXd x = Eigen::Map<const Eigen::VectorXf>(&s.x[k * s.task_size], s.task_size).cast<double>();
    const Eigen::VectorXd q0 = start(k);
    const auto t0 = Clock::now();
    opt.seed = k;
    const IkResult res = solve_ik(arm, x, opt, q0);
    r.mean_us += std::chrono::duration<double, std::micro>(Clock::now() - t0).count() / n;
    r.solved += res.status == IkStatus::kConverged;
    r.mean_iterations += res.iterations / n;
    r.mean_pos_mm += res.position_error * 1e3 / n;
    r.position_error_m[k] = res.position_error;
    r.mean_rot_deg += res.orientation_error * 180 / M_PI / n;
  }
  r.success = s.size() ? r.solved / n : 0.0;  // a count, not a sum of 1 / n (exactly 1 when all)
  return r;
}

nlohmann::json to_json(const RefineStats& r) {
  return {{"success_rate", r.success},
          {"solved", r.solved},
          {"mean_iterations", r.mean_iterations},
          {"mean_us", r.mean_us},
          {"position_mean_mm", r.mean_pos_mm},
          {"orientation_mean_deg", r.mean_rot_deg}};
}

}  // namespace neurokin::cli
