// The closed-form IK solvers behind solve_ik_analytic (ik.h) and the branches they name.
// An arm opts in with "analytic": "<solver>" in its JSON; has_analytic_ik checks that the
// joint data really has the structure the solver assumes, so a solver never runs on a
// geometry it does not fit. Every solver returns each branch whose joints fit the limits;
// a joint spanning more than 2 pi (kr6's a4, a6) is given as its representative within the
// limits nearest 0 (the other representative is the same pose).
//
//  - "planar2r" (planar2): elbow_up (q2 < 0), elbow_down.
//  - "puma_position" (puma3): shoulder_{front,back}_elbow_{up,down}.
//  - "omx_position_pitch" (omx4): base joint about z, then three parallel joints about y in
//    the plane it turns; links between them are any vectors in that plane (omx4's joint-3
//    offset (0.024, 0, 0.128)). Task (x, y, z, pitch), pitch = q2 + q3 + q4.
//      base_front: the plane turned towards the target; base_back: q1 + pi, reaching
//        backwards over the shoulder;
//      elbow_up / elbow_down: the elbow (joint 3) above / below the shoulder-wrist line,
//        seen with the target in front (the sign of the turn between the two links).
//    omx4's limits admit two of the four: base_front_elbow_up and base_back_elbow_down
//    (the links are in line at q3 = -atan2(0.128, 0.024) = -0.441 pi, below q3's -0.3 pi).
//  - "spherical_wrist" (kr6): a 6R arm whose last three axes meet in one point (Pieper 1968):
//    base about z, two parallel joints about y (shoulder and elbow offsets in their plane,
//    e.g. kr6's 0.025 shoulder and 0.035 elbow offsets), then a wrist with a4 || a6 and
//    a4 perpendicular to a5. The wrist centre fixes q1..q3, R_36 = R_03^T R_06 fixes q4..q6.
//      shoulder_front / shoulder_back: the wrist centre in front of / behind the base axis;
//      elbow_up / elbow_down: as for omx4;
//      wrist_noflip / wrist_flip: sin(q5 + offset5) > 0 / < 0 (the flip is q4 + pi, -q5, q6 + pi);
//    names join the three: "shoulder_front_elbow_up_wrist_noflip", ... (8 branches). At the
//    wrist singularity (q5 = 0) only q4 + q6 is determined: q4 = 0 is returned.
#pragma once

#include <string>
#include <vector>

#include "neurokin/arm.h"

namespace neurokin {

// every branch name the arm's closed-form solver can return, in a fixed order; empty when
// has_analytic_ik(arm) is false
std::vector<std::string> analytic_branch_names(const Arm& arm);

}  // namespace neurokin
