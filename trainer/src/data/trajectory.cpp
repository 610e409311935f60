#include "data/trajectory.h"

#include <algorithm>
#include <cmath>

#include "data/config_fields.h"
#include "neurokin/error.h"
#include "neurokin/json_util.h"
#include "neurokin/kinematics.h"

namespace neurokin::data {

namespace ju = json_util;
using nlohmann::json;

namespace {
// random streams of their own (dataset.cpp uses 1-4, feasibility.cpp 11-13)
enum TrajectoryStream : std::uint64_t { kPerturbStream = 21 };
}  // namespace

TrajectoryConfig trajectory_config_from_json(const json& j, const std::string& where) {
  TrajectoryConfig c;
  {
    ju::Fields f(j, where);
    read_sampling_fields(f, c.n, c.seed, c.sampling);
    f.integer("per_point", c.per_point, 1, 100000);
    f.number("perturbation", c.perturbation, 0, M_PI, true);
    f.number("perturbation_min", c.perturbation_min, 0, M_PI);
    read_split_fields(f, c.val_share, c.test_share);
  }
  if (c.perturbation_min >= c.perturbation)
    throw_expected(where + ".perturbation_min",
                   "0 or less than perturbation = " + std::to_string(c.perturbation),
                   std::to_string(c.perturbation_min));
  check_split_shares(c.val_share, c.test_share, where);
  if (c.n < c.per_point)
    throw_expected(where + ".n", "at least per_point = " + std::to_string(c.per_point) + " samples",
                   std::to_string(c.n));
  return c;
}

json trajectory_config_to_json(const TrajectoryConfig& c) {
  return {{"n", c.n},
          {"seed", c.seed},
          {"sampling", sampling_name(c.sampling)},
          {"per_point", c.per_point},
          {"perturbation", c.perturbation},
          {"perturbation_min", c.perturbation_min},
          {"val_share", c.val_share},
          {"test_share", c.test_share}};
}

TrajectoryData make_trajectory_data(const Arm& arm, const TrajectoryConfig& c) {
  TrajectoryData d;
  d.task_size = task_size(arm.task);
  d.dof = arm.dof();
  d.config = c;
  const std::int64_t points = c.n / c.per_point;
  d.n = points * c.per_point;
  d.targets.resize(d.n * d.task_size);
  d.current.resize(d.n * d.dof);
  d.next.resize(d.n * d.dof);
  const JointSampler sample(arm, c.sampling, points, c.seed);
  double mean_step = 0;
  for (std::int64_t p = 0; p < points; ++p) {
    const JointVec q_next = sample(p);
    const TaskVec x = task_vector(arm, fk(arm, q_next));
    Rng rng = stream_rng(c.seed, kPerturbStream, static_cast<std::uint64_t>(p));
    for (int k = 0; k < c.per_point; ++k) {
      const std::int64_t i = p * c.per_point + k;
      for (int t = 0; t < d.task_size; ++t)
        d.targets[i * d.task_size + t] = static_cast<float>(x[t]);
      // the sample's scale: seed 004's fixed one, or log-uniform down to perturbation_min
      const double scale = c.perturbation_min > 0
                               ? c.perturbation_min * std::pow(c.perturbation / c.perturbation_min,
                                                               rng.uniform(0, 1))
                               : c.perturbation;
      for (int j = 0; j < d.dof; ++j) {
        const Joint& joint = arm.joints[j];
        const double q =
            std::clamp(q_next[j] + rng.uniform(-scale, scale), joint.lower, joint.upper);
        d.current[i * d.dof + j] = static_cast<float>(q);
        d.next[i * d.dof + j] = static_cast<float>(q_next[j]);
        mean_step += std::abs(q_next[j] - q) / (double(d.n) * d.dof);
      }
    }
  }
  // the split over points, so a target never appears in two parts; then each point's samples
  const Split by_point = make_split(points, c.seed, c.val_share, c.test_share);
  d.split.train = by_point.train * c.per_point;
  d.split.val = by_point.val * c.per_point;
  d.split.test = by_point.test * c.per_point;
  d.split.order.reserve(d.n);
  for (std::uint32_t p : by_point.order)
    for (int k = 0; k < c.per_point; ++k)
      d.split.order.push_back(static_cast<std::uint32_t>(p * c.per_point + k));
  d.report = {
      {"config", trajectory_config_to_json(c)},
      {"n", d.n},
      {"points", points},
      {"mean_joint_step_rad", mean_step},
      {"split", {{"train", d.split.train}, {"validation", d.split.val}, {"test", d.split.test}}}};
  return d;
}

}  // namespace neurokin::data
