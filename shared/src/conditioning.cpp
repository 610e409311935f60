#include "neurokin/conditioning.h"

#include <Eigen/SVD>
#include <algorithm>
#include <cmath>
#include <vector>

#include "neurokin/error.h"
#include "neurokin/random.h"

namespace neurokin {

Conditioning conditioning(const Arm& arm, const JointsRef& q) {
  TaskJacobian J;
  task_jacobian(arm, q, J);
  const Eigen::JacobiSVD<TaskJacobian> svd(J);
  const auto& s = svd.singularValues();  // descending
  Conditioning c;
  // yoshikawa's measure is the product of the singular values (sqrt det(J J^T) when m <= n)
  c.manipulability = s.prod();
  c.inverse_condition = s[0] > 0 ? s[s.size() - 1] / s[0] : 0.0;
  return c;
}

const char* feasibility_name(Feasibility f) {
  switch (f) {
    case Feasibility::kUnreachable:
      return "unreachable";
    case Feasibility::kNearSingular:
      return "near_singular";
    case Feasibility::kAdequate:
      return "adequate";
    case Feasibility::kHighManipulability:
      return "high_manipulability";
  }
  return "?";
}

Feasibility classify_configuration(const Arm& arm, double inverse_condition) {
  if (!arm.conditioning.valid())
    throw Error("arm '" + arm.name + "': no conditioning thresholds (run `neurokin calibrate`)");
  if (inverse_condition < arm.conditioning.p20) return Feasibility::kNearSingular;
  if (inverse_condition < arm.conditioning.p80) return Feasibility::kAdequate;
  return Feasibility::kHighManipulability;
}

ConditioningThresholds compute_thresholds(const Arm& arm, int samples, std::uint64_t seed) {
  if (samples < 10)
    throw_expected("compute_thresholds samples", "at least 10", std::to_string(samples));
  Rng rng(seed);
  std::vector<double> k(samples);
  for (double& v : k) v = conditioning(arm, sample_joints(arm, rng)).inverse_condition;
  std::sort(k.begin(), k.end());
  // linear interpolation between order statistics (the numpy default)
  const auto percentile = [&](double p) {
    const double pos = p / 100.0 * (samples - 1);
    const int i = static_cast<int>(std::floor(pos));
    const double f = pos - i;
    return i + 1 < samples ? k[i] * (1 - f) + k[i + 1] * f : k[i];
  };
  ConditioningThresholds t;
  t.p20 = percentile(20);
  t.p80 = percentile(80);
  t.samples = samples;
  t.seed = static_cast<unsigned>(seed);
  return t;
}

PoseFeasibility classify_pose(const Arm& arm, const JointsRef& target, int starts,
                              const IkOptions& opt) {
  check_task_vector(arm, target, "classify_pose target");
  PoseFeasibility best;
  best.inverse_condition = -1;
  // keep the best-conditioned of the distinct solutions
  std::array<JointVec, 16> found;
  const auto consider = [&](const JointVec& q) {
    for (int k = 0; k < std::min(best.solutions, 16); ++k)
      if ((found[k] - q).cwiseAbs().maxCoeff() < 1e-3) return;
    if (best.solutions < 16) found[best.solutions] = q;
    ++best.solutions;
    const double kappa = conditioning(arm, q).inverse_condition;
    if (kappa > best.inverse_condition) {
      best.inverse_condition = kappa;
      best.q = q;
    }
  };
  if (has_analytic_ik(arm)) {
    const AnalyticSolutions sols = solve_ik_analytic(arm, target);
    for (int i = 0; i < sols.count; ++i) consider(sols.sol[i].q);
  } else {
    IkOptions o = opt;
    o.max_restarts = 0;
    Rng rng(opt.seed);
    for (int s = 0; s < starts; ++s) {
      const JointVec q0 = s == 0 ? JointVec(arm.mid()) : sample_joints(arm, rng);
      const IkResult r = solve_ik(arm, target, o, q0);
      if (r.status == IkStatus::kUnreachable) break;
      if (r.status == IkStatus::kConverged) consider(r.q);
    }
  }
  if (best.solutions == 0) {
    best.inverse_condition = 0;
    best.cls = Feasibility::kUnreachable;
    return best;
  }
  best.cls = classify_configuration(arm, best.inverse_condition);
  return best;
}

}  // namespace neurokin
