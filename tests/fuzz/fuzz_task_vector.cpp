// Targets from outside into the core: a row of `neurokin ik/predict/classify --in`, or the
// `target=` of a shared link, which the web page splits in JS and hands to the wasm core
// (web/src/state.js parseHash, then Arm.classifyPose / Model.predict). The first byte picks
// one of the four shipped arms (with its shipped model), the rest are the raw doubles of the
// target, so every value reaches the core: NaN, infinities, denormals, 1e308, -0.
// What the core accepts (check_task_vector) then goes where the CLI and the page send it:
// the network, the refinement from its prediction, the closed-form solver, the classifier.
#include <cstring>
#include <vector>

#include "fuzz_check.h"
#include "neurokin/conditioning.h"
#include "neurokin/error.h"
#include "neurokin/ik.h"
#include "neurokin/kinematics.h"
#include "neurokin/model.h"

using namespace neurokin;

namespace {

const char* const kArms[] = {"planar2", "puma3", "omx4", "kr6"};
std::vector<Model> g_models;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  for (const char* arm : kArms)
    g_models.push_back(
        load_model(std::string(NEUROKIN_SOURCE_DIR) + "/models/" + arm + "/ik.json"));
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const Model& m = g_models[data[0] % g_models.size()];
  const Arm& arm = m.arm;
  const std::size_t n = (size - 1) / sizeof(double);
  Eigen::VectorXd x(static_cast<Eigen::Index>(n));
  if (n > 0) std::memcpy(x.data(), data + 1, n * sizeof(double));
  try {
    check_task_vector(arm, x, "target");
  } catch (const Error&) {
    return 0;
  }
  // the network takes float32: predict_one refuses a target beyond its range (1e300 m)
  Workspace ws(m.net);
  Eigen::VectorXd q_net = arm.mid();
  try {
    q_net = predict_one(m, ws, x);
  } catch (const Error&) {
  }
  IkOptions opt;
  opt.max_iterations = 10;
  opt.max_restarts = 1;
  opt.time_budget_ms = 0;
  const IkResult r = solve_ik(arm, x, opt, q_net);
  FUZZ_CHECK(within_limits(arm, r.q, 1e-9));
  task_error(arm, fk(arm, r.q), x);
  solve_ik_analytic(arm, x);
  classify_pose(arm, x, 1, opt);
  return 0;
}
