#include "data/feasibility.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>
#include <functional>
#include <mutex>
#include <nanoflann.hpp>
#include <thread>

#include "neurokin/conditioning.h"
#include "neurokin/error.h"
#include "neurokin/ik.h"
#include "neurokin/json_util.h"
#include "neurokin/kinematics.h"
#include "neurokin/random.h"

namespace neurokin::data {

namespace ju = json_util;
using nlohmann::json;

namespace {

// random streams of this dataset (the IK dataset's are 1-4)
enum FeasibilityStream : std::uint64_t { kReachStream = 11, kCandidateStream, kIkStream };

// body(begin, end) over [0, n) in chunks on `threads` threads; the first exception is rethrown
void parallel_for(std::int64_t n, int threads,
                  const std::function<void(std::int64_t, std::int64_t)>& body) {
  constexpr std::int64_t kChunk = 1024;
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::atomic<std::int64_t> next{0};
  std::exception_ptr error;
  std::mutex mutex;
  const auto work = [&] {
    try {
      for (std::int64_t begin; (begin = next.fetch_add(kChunk)) < n;)
        body(begin, std::min(n, begin + kChunk));
    } catch (...) {
      next = n;
      std::lock_guard<std::mutex> lock(mutex);
      if (!error) error = std::current_exception();
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
}

int position_size(TaskKind t) { return t == TaskKind::kPlanarXY ? 2 : 3; }

// a pose whose position is uniform in the shell r in [r0, r1] radii around the reach centre
// (a disc for planar arms) and whose orientation part is uniform (pitch in [-pi, pi), or a
// uniform unit quaternion with w >= 0)
TaskVec random_pose(const Arm& arm, double r0, double r1, Rng& rng) {
  const int ps = position_size(arm.task);
  TaskVec x(task_size(arm.task));
  Eigen::Vector3d dir = Eigen::Vector3d::Zero();
  do {
    for (int i = 0; i < ps; ++i) dir[i] = rng.normal();
  } while (dir.norm() < 1e-9);
  dir.normalize();
  // uniform in volume (area for a disc) between r0 and r1
  const double u = rng.uniform();
  const double r = ps == 2 ? std::sqrt(r0 * r0 + u * (r1 * r1 - r0 * r0))
                           : std::cbrt(r0 * r0 * r0 + u * (r1 * r1 * r1 - r0 * r0 * r0));
  const Eigen::Vector3d p = arm.reach_centre_W + r * arm.reach_radius * dir;
  for (int i = 0; i < ps; ++i) x[i] = p[i];
  if (arm.task == TaskKind::kPositionPitch) x[3] = rng.uniform(-M_PI, M_PI);
  if (arm.task == TaskKind::kPose) {
    Eigen::Vector4d q(rng.normal(), rng.normal(), rng.normal(), rng.normal());
    q.normalize();
    if (q[3] < 0) q = -q;
    x.segment<4>(3) = q;
  }
  return x;
}

// the KD-tree's view of a row-major float array of kd points (nanoflann's dataset adaptor)
struct Cloud {
  const std::vector<float>& pts;
  int dim;
  std::size_t kdtree_get_point_count() const { return pts.size() / dim; }
  float kdtree_get_pt(std::size_t i, std::size_t d) const { return pts[i * dim + d]; }
  template <class Box>
  bool kdtree_get_bbox(Box&) const {
    return false;
  }
};
using KdTree = nanoflann::KDTreeSingleIndexAdaptor<nanoflann::L2_Simple_Adaptor<float, Cloud>,
                                                   Cloud, -1, std::uint32_t>;

std::vector<float> kd_points(const Arm& arm, const std::vector<float>& targets) {
  const int ts = task_size(arm.task);
  std::vector<float> out;
  for (std::size_t r = 0; r < targets.size() / ts; ++r) {
    const std::vector<float> p = kd_point(arm, &targets[r * ts]);
    out.insert(out.end(), p.begin(), p.end());
  }
  return out;
}

}  // namespace

FeasibilityConfig feasibility_config_from_json(const json& j, const std::string& where) {
  FeasibilityConfig c;
  if (!j.is_object()) throw_expected(where, "an object", j.dump());
  ju::Fields f(j, where);
  double reachable = static_cast<double>(c.reachable),
         unreachable = static_cast<double>(c.unreachable);
  f.number("reachable", reachable, 1, 1e9);
  f.number("unreachable", unreachable, 0, 1e9);
  c.reachable = std::llround(reachable);
  c.unreachable = std::llround(unreachable);
  f.number("inside_share", c.inside_share, 0, 1);
  double seed = static_cast<double>(c.seed);
  f.number("seed", seed, 0, 9007199254740992.0);
  c.seed = static_cast<std::uint64_t>(seed);
  f.integer("ik_starts", c.ik_starts, 1, 1000);
  f.number("kd_radius", c.kd_radius, 0, 10);
  f.number("outside_max", c.outside_max, 1, 100, true, false);
  f.number("val_share", c.val_share, 0, 1, false, true);
  f.number("test_share", c.test_share, 0, 1, false, true);
  if (c.val_share + c.test_share >= 1)
    throw_expected(where + ".val_share + test_share", "less than 1",
                   std::to_string(c.val_share + c.test_share));
  return c;
}

json feasibility_config_to_json(const FeasibilityConfig& c) {
  return json{{"reachable", c.reachable},       {"unreachable", c.unreachable},
              {"inside_share", c.inside_share}, {"seed", c.seed},
              {"ik_starts", c.ik_starts},       {"kd_radius", c.kd_radius},
              {"outside_max", c.outside_max},   {"val_share", c.val_share},
              {"test_share", c.test_share}};
}

int pose_label(const Arm& arm, const Eigen::Ref<const Eigen::VectorXd>& target, int ik_starts,
               const JointVec* q_known) {
  IkOptions opt;
  opt.time_budget_ms = 0;  // iterations, not the clock, bound the work: reproducible
  opt.seed = 0x5eed;
  const PoseFeasibility p = classify_pose(arm, target, ik_starts, opt);
  double kappa = p.solutions > 0 ? p.inverse_condition : -1;
  if (q_known) kappa = std::max(kappa, conditioning(arm, *q_known).inverse_condition);
  return kappa < 0 ? 0 : static_cast<int>(classify_configuration(arm, kappa));
}

std::vector<float> kd_point(const Arm& arm, const float* target) {
  const int ts = task_size(arm.task), ps = position_size(arm.task);
  std::vector<float> p(target, target + ts);
  for (int i = 0; i < ps; ++i)
    p[i] = static_cast<float>((target[i] - arm.reach_centre_W[i]) / arm.reach_radius);
  if (arm.task == TaskKind::kPositionPitch) p[3] = static_cast<float>(target[3] / M_PI);
  return p;
}

std::vector<std::uint8_t> far_from(const Arm& arm, const std::vector<float>& reference,
                                   const std::vector<float>& queries, double radius, int threads) {
  const int ts = task_size(arm.task);
  const std::vector<float> ref = kd_points(arm, reference), q = kd_points(arm, queries);
  const std::size_t nq = queries.size() / ts;
  std::vector<std::uint8_t> far(nq, 1);
  if (ref.empty()) return far;
  const Cloud cloud{ref, ts};
  const KdTree tree(ts, cloud, nanoflann::KDTreeSingleIndexAdaptorParams(16));
  const float r2 = static_cast<float>(radius * radius);
  // queries on a built tree only read it: safe from many threads
  parallel_for(static_cast<std::int64_t>(nq), threads, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t i = b; i < e; ++i) {
      std::uint32_t idx = 0;
      float d2 = 0;
      tree.knnSearch(&q[i * ts], 1, &idx, &d2);
      far[i] = d2 > r2;
    }
  });
  return far;
}

FeasibilityData make_feasibility_data(const Arm& arm, const FeasibilityConfig& c, int threads) {
  if (!arm.conditioning.valid())
    throw Error("arm '" + arm.name + "': no conditioning thresholds (run `neurokin calibrate`)");
  const int ts = task_size(arm.task);
  FeasibilityData d;
  d.arm = arm.name;
  d.task_size = ts;
  d.config = c;
  const std::int64_t nr = c.reachable, nu = c.unreachable;
  const std::int64_t n_inside = std::llround(nu * c.inside_share);
  d.n = nr + nu;
  d.targets.resize(static_cast<std::size_t>(d.n) * ts);
  d.label.assign(d.n, 0);
  d.sample_label.assign(d.n, 0);
  d.source.assign(d.n, PoseSource::kReachable);

  // reachable poses: uniform joint samples through the FK, labelled twice
  parallel_for(nr, threads, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t i = b; i < e; ++i) {
      Rng rng = stream_rng(c.seed, kReachStream, i);
      const JointVec q = sample_joints(arm, rng);
      const TaskVec x = task_vector(arm, fk(arm, q));
      for (int k = 0; k < ts; ++k) d.targets[i * ts + k] = static_cast<float>(x[k]);
      const TaskVec xf = Eigen::Map<const Eigen::VectorXf>(&d.targets[i * ts], ts).cast<double>();
      d.sample_label[i] = static_cast<std::int8_t>(
          classify_configuration(arm, conditioning(arm, q).inverse_condition));
      d.label[i] = static_cast<std::int8_t>(pose_label(arm, xf, c.ik_starts, &q));
    }
  });
  const std::vector<float> reachable(d.targets.begin(), d.targets.begin() + nr * ts);

  // inside poses: candidates in index order, kept when far from every reachable sample and no
  // IK solution exists; drawn in rounds until enough are kept (the order makes it deterministic)
  std::int64_t kept = 0, drawn = 0, kd_rejected = 0, ik_rejected = 0;
  while (kept < n_inside) {
    const std::int64_t round = std::max<std::int64_t>(4096, 2 * (n_inside - kept));
    // an arm that reaches its whole ball (planar2) has no unreachable pose inside it: the
    // shortfall is made up with outside poses, and the report says so
    if (drawn > 20 * std::max<std::int64_t>(n_inside, 5000)) break;
    std::vector<float> cand(static_cast<std::size_t>(round) * ts);
    for (std::int64_t k = 0; k < round; ++k) {
      Rng rng = stream_rng(c.seed, kCandidateStream, 2 * (drawn + k));
      const TaskVec x = random_pose(arm, 0.0, 1.0, rng);
      for (int j = 0; j < ts; ++j) cand[k * ts + j] = static_cast<float>(x[j]);
    }
    std::vector<std::uint8_t> ok = far_from(arm, reachable, cand, c.kd_radius, threads);
    std::vector<std::uint8_t> kd_ok = ok;
    parallel_for(round, threads, [&](std::int64_t b, std::int64_t e) {
      for (std::int64_t k = b; k < e; ++k)
        if (ok[k]) {
          const TaskVec x = Eigen::Map<const Eigen::VectorXf>(&cand[k * ts], ts).cast<double>();
          ok[k] = pose_label(arm, x, c.ik_starts) == 0;
        }
    });
    for (std::int64_t k = 0; k < round && kept < n_inside; ++k) {
      kd_rejected += !kd_ok[k];
      ik_rejected += kd_ok[k] && !ok[k];
      if (!ok[k]) continue;
      const std::int64_t i = nr + kept++;
      std::copy_n(&cand[k * ts], ts, &d.targets[i * ts]);
      d.source[i] = PoseSource::kInside;
    }
    drawn += round;
  }

  // outside poses: beyond the reach ball, unreachable by construction (and the inside shortfall)
  const std::int64_t n_outside = nu - kept;
  for (std::int64_t k = 0; k < n_outside; ++k) {
    Rng rng = stream_rng(c.seed, kCandidateStream, 2 * k + 1);
    const TaskVec x = random_pose(arm, 1.0, c.outside_max, rng);
    const std::int64_t i = nr + kept + k;
    for (int j = 0; j < ts; ++j) d.targets[i * ts + j] = static_cast<float>(x[j]);
    d.source[i] = PoseSource::kOutside;
  }

  d.split = make_split(d.n, c.seed, c.val_share, c.test_share);

  // the report: class shares of both labels and how often they agree on reachable poses
  std::array<std::int64_t, 4> pose_counts{}, sample_counts{};
  std::int64_t agree = 0;
  for (std::int64_t i = 0; i < d.n; ++i) {
    ++pose_counts[d.label[i]];
    if (i < nr) {
      ++sample_counts[d.sample_label[i]];
      agree += d.label[i] == d.sample_label[i];
    }
  }
  json classes = json::object();
  for (int k = 0; k < 4; ++k)
    classes[feasibility_name(static_cast<Feasibility>(k))] = {
        {"pose_label", pose_counts[k]}, {"sample_label", k == 0 ? nu : sample_counts[k]}};
  d.report = {
      {"config", feasibility_config_to_json(c)},
      {"n", d.n},
      {"reachable", nr},
      {"unreachable_inside", kept},
      {"inside_shortfall", n_inside - kept},
      {"unreachable_outside", n_outside},
      {"inside_candidates",
       {{"checked", kd_rejected + ik_rejected + n_inside},
        {"rejected_by_kd_tree", kd_rejected},
        {"rejected_by_ik", ik_rejected}}},
      {"classes", classes},
      {"label_agreement", nr ? double(agree) / nr : 0.0},
      {"split", {{"train", d.split.train}, {"validation", d.split.val}, {"test", d.split.test}}}};
  return d;
}

}  // namespace neurokin::data
