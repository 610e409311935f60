// Shared test helpers: the four shipped arms and random reachable targets.
#pragma once

#include <string>
#include <vector>

#include "neurokin/arm.h"
#include "neurokin/kinematics.h"
#include "neurokin/random.h"

namespace neurokin::test {

inline const std::vector<std::string>& arm_names() {
  static const std::vector<std::string> names = {"planar2", "puma3", "omx4", "kr6"};
  return names;
}

inline Arm shipped_arm(const std::string& name) {
  return load_arm(std::string(NEUROKIN_SOURCE_DIR) + "/models/arms/" + name + ".json");
}

// a reachable target: the task vector of a random configuration within limits
inline TaskVec random_target(const Arm& arm, Rng& rng, JointVec* q_out = nullptr) {
  const JointVec q = sample_joints(arm, rng);
  if (q_out) *q_out = q;
  return task_vector(arm, fk(arm, q));
}

}  // namespace neurokin::test
