#include "data/feasibility.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>
#include <functional>
#include <memory>
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

// the kd points of a pose's images (the same pose): the quaternion's -q, the pitch +-2 pi
std::vector<std::vector<float>> kd_images(const Arm& arm, const float* target) {
  std::vector<std::vector<float>> out{kd_point(arm, target)};
  if (arm.task == TaskKind::kPose) {
    std::vector<float> p = out[0];
    for (int k = 3; k < 7; ++k) p[k] = -p[k];
    out.push_back(p);
  } else if (arm.task == TaskKind::kPositionPitch) {
    for (float turn : {-2.0f, 2.0f}) {
      std::vector<float> p = out[0];
      p[3] += turn;
      out.push_back(p);
    }
  }
  return out;
}

// a KD-tree over every image of a set of poses, answering with the pose's row
class KdIndex {
 public:
  KdIndex(const Arm& arm, const std::vector<float>& targets)
      : dim_(task_size(arm.task)), cloud_{points_, dim_} {
    for (std::size_t r = 0; r < targets.size() / dim_; ++r)
      for (const auto& p : kd_images(arm, &targets[r * dim_])) {
        points_.insert(points_.end(), p.begin(), p.end());
        rows_.push_back(static_cast<std::uint32_t>(r));
      }
    if (!rows_.empty()) {
      tree_ = std::make_unique<KdTree>(dim_, cloud_, nanoflann::KDTreeSingleIndexAdaptorParams(16));
      tree_->buildIndex();
    }
  }
  bool empty() const { return rows_.empty(); }
  // the k nearest distinct poses to a kd point (fewer when the set is smaller), nearest first,
  // as (row, distance); queries only read the tree: safe from many threads
  std::vector<std::pair<std::uint32_t, float>> nearest(const float* p, int k) const {
    std::vector<std::pair<std::uint32_t, float>> out;
    if (!tree_) return out;
    // each pose has up to 3 images: ask for enough neighbours to see k distinct poses
    const std::size_t want = std::min<std::size_t>(rows_.size(), 3 * k);
    std::vector<std::uint32_t> idx(want);
    std::vector<float> d2(want);
    const std::size_t got = tree_->knnSearch(p, want, idx.data(), d2.data());
    for (std::size_t i = 0; i < got && static_cast<int>(out.size()) < k; ++i) {
      const std::uint32_t row = rows_[idx[i]];
      if (std::none_of(out.begin(), out.end(), [&](const auto& e) { return e.first == row; }))
        out.emplace_back(row, std::sqrt(d2[i]));
    }
    return out;
  }

 private:
  int dim_;
  std::vector<float> points_;
  std::vector<std::uint32_t> rows_;
  Cloud cloud_;
  std::unique_ptr<KdTree> tree_;
};

// the closed-form solutions of a pose ignoring the joint limits (each joint's representative
// nearest 0), as starts for the margin DLS, which clamps them into the limits: a pose that is
// out of reach because of a limit is usually nearest the reachable set there. None when the
// arm has no closed form or the pose is out of reach even without limits
std::vector<JointVec> branches_ignoring_limits(const Arm& arm, const TaskVec& x) {
  std::vector<JointVec> out;
  if (!has_analytic_ik(arm)) return out;
  Arm free = arm;
  for (Joint& j : free.joints) j.lower = -4 * M_PI, j.upper = 4 * M_PI;
  const AnalyticSolutions sols = solve_ik_analytic(free, x);
  for (int k = 0; k < sols.count; ++k) out.push_back(sols.sol[k].q);
  return out;
}

// the distance from a pose to the reachable set, as far as DLS sees it: from each start, a
// damped least-squares descent on the pose error within the limits, its rotation weighed as in
// the kd metric (|q1 - q2| ~ angle / 2 for a pose, pitch / pi), and the kd distance of where it
// ends. Stops early at a distance <= stop. An upper bound on the true distance (a descent can
// end in a local minimum): more starts, a tighter bound.
double distance_to_reachable(const Arm& arm, const float* target,
                             const std::vector<JointVec>& starts, double stop) {
  const int ts = task_size(arm.task);
  IkOptions opt;
  opt.time_budget_ms = 0;  // iterations bound the work: reproducible
  opt.max_restarts = 0;
  opt.max_iterations = 100;
  opt.tol_pos = 1e-7 * arm.reach_radius;
  opt.tol_rot = opt.tol_pos / (arm.reach_radius * (arm.task == TaskKind::kPose ? 0.5 : 1.0 / M_PI));
  const TaskVec x = Eigen::Map<const Eigen::VectorXf>(target, ts).cast<double>();
  double best = INFINITY;
  std::vector<float> reached(ts);
  for (const JointVec& q0 : starts) {
    // the solver gives up when the cost falls slowly, as it does on the way to a stretched
    // (singular) arm: descents are chained, each from where the last ended, while they gain
    JointVec q = q0;
    double d = INFINITY;
    for (int descent = 0; descent < 8; ++descent) {
      const IkResult r = solve_ik(arm, x, opt, q);
      const TaskVec t = task_vector(arm, fk(arm, r.q));
      for (int k = 0; k < ts; ++k) reached[k] = static_cast<float>(t[k]);
      const double dr = kd_distance(arm, target, reached.data());
      q = r.q;
      if (dr > 0.999 * d || dr <= stop) {
        d = std::min(d, dr);
        break;
      }
      d = dr;
    }
    best = std::min(best, d);
    if (best <= stop) break;
  }
  return best;
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
  f.integer("margin_starts", c.margin_starts, 1, 64);
  f.number("outside_max", c.outside_max, 1, 100, true, false);
  if (c.outside_max <= 1 + c.kd_radius)
    throw_expected(where + ".outside_max", "more than 1 + kd_radius = " + std::to_string(1 + c.kd_radius),
                   std::to_string(c.outside_max));
  f.number("val_share", c.val_share, 0, 1, false, true);
  f.number("test_share", c.test_share, 0, 1, false, true);
  f.string("label", c.label);
  if (c.label != "pose" && c.label != "sample")
    throw_expected(where + ".label", "\"pose\" or \"sample\"", "\"" + c.label + "\"");
  if (c.val_share + c.test_share >= 1)
    throw_expected(where + ".val_share + test_share", "less than 1",
                   std::to_string(c.val_share + c.test_share));
  return c;
}

json feasibility_config_to_json(const FeasibilityConfig& c) {
  return json{{"reachable", c.reachable},       {"unreachable", c.unreachable},
              {"inside_share", c.inside_share}, {"seed", c.seed},
              {"ik_starts", c.ik_starts},       {"kd_radius", c.kd_radius},
              {"margin_starts", c.margin_starts}, {"outside_max", c.outside_max},
              {"val_share", c.val_share},       {"test_share", c.test_share},
              {"label", c.label}};
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

double kd_distance(const Arm& arm, const float* a, const float* b) {
  const std::vector<float> pa = kd_point(arm, a);
  double best = INFINITY;
  for (const auto& pb : kd_images(arm, b)) {
    double d2 = 0;
    for (std::size_t k = 0; k < pa.size(); ++k) d2 += double(pa[k] - pb[k]) * (pa[k] - pb[k]);
    best = std::min(best, d2);
  }
  return std::sqrt(best);
}

std::vector<std::uint8_t> far_from(const Arm& arm, const std::vector<float>& reference,
                                   const std::vector<float>& queries, double radius, int threads) {
  const int ts = task_size(arm.task);
  const std::size_t nq = queries.size() / ts;
  std::vector<std::uint8_t> far(nq, 1);
  const KdIndex index(arm, reference);
  if (index.empty()) return far;
  parallel_for(static_cast<std::int64_t>(nq), threads, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t i = b; i < e; ++i)
      far[i] = index.nearest(kd_point(arm, &queries[i * ts]).data(), 1)[0].second > radius;
  });
  return far;
}

FeasibilityData make_feasibility_data(const Arm& arm, const FeasibilityConfig& c, int threads) {
  if (!arm.conditioning.valid())
    throw Error("arm '" + arm.name + "': no conditioning thresholds (run `neurokin calibrate`)");
  const int ts = task_size(arm.task), dof = arm.dof();
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
  d.margin.assign(d.n, 0.0f);

  // reachable poses: uniform joint samples through the FK, labelled twice; their joints start
  // the margin DLS below
  std::vector<double> joints(static_cast<std::size_t>(nr) * dof);
  parallel_for(nr, threads, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t i = b; i < e; ++i) {
      Rng rng = stream_rng(c.seed, kReachStream, i);
      const JointVec q = sample_joints(arm, rng);
      std::copy_n(q.data(), dof, &joints[i * dof]);
      const TaskVec x = task_vector(arm, fk(arm, q));
      for (int k = 0; k < ts; ++k) d.targets[i * ts + k] = static_cast<float>(x[k]);
      const TaskVec xf = Eigen::Map<const Eigen::VectorXf>(&d.targets[i * ts], ts).cast<double>();
      d.sample_label[i] = static_cast<std::int8_t>(
          classify_configuration(arm, conditioning(arm, q).inverse_condition));
      d.label[i] = static_cast<std::int8_t>(pose_label(arm, xf, c.ik_starts, &q));
    }
  });
  const KdIndex reachable(arm, std::vector<float>(d.targets.begin(), d.targets.begin() + nr * ts));

  // inside poses: candidates in index order, kept when (1) far from every reachable sample,
  // (2) no IK solution exists and (3) the margin DLS stays farther than kd_radius; drawn in
  // rounds until enough are kept (the order makes it deterministic)
  enum Verdict : std::uint8_t { kKept, kNearSample, kReachableByIk, kWithinMargin };
  std::int64_t kept = 0, drawn = 0;
  std::array<std::int64_t, 4> verdicts{};
  while (kept < n_inside) {
    const std::int64_t round = std::max<std::int64_t>(4096, 2 * (n_inside - kept));
    // an arm that reaches its whole ball (planar2) has no unreachable pose inside it: the
    // shortfall is made up with outside poses, and the report says so
    if (drawn > 20 * std::max<std::int64_t>(n_inside, 5000)) break;
    std::vector<float> cand(static_cast<std::size_t>(round) * ts), dist(round, 0.0f);
    std::vector<Verdict> verdict(round, kKept);
    parallel_for(round, threads, [&](std::int64_t b, std::int64_t e) {
      for (std::int64_t k = b; k < e; ++k) {
        Rng rng = stream_rng(c.seed, kCandidateStream, 2 * (drawn + k));
        const TaskVec x = random_pose(arm, 0.0, 1.0, rng);
        float* xk = &cand[k * ts];
        for (int j = 0; j < ts; ++j) xk[j] = static_cast<float>(x[j]);
        const auto near = reachable.nearest(kd_point(arm, xk).data(), c.margin_starts);
        if (!near.empty() && near[0].second <= c.kd_radius) {
          verdict[k] = kNearSample;
          continue;
        }
        const TaskVec xf = Eigen::Map<const Eigen::VectorXf>(xk, ts).cast<double>();
        if (pose_label(arm, xf, c.ik_starts) != 0) {
          verdict[k] = kReachableByIk;
          continue;
        }
        std::vector<JointVec> starts = branches_ignoring_limits(arm, xf);
        for (const auto& [row, dist_kd] : near)
          starts.push_back(Eigen::Map<const Eigen::VectorXd>(&joints[row * dof], dof));
        dist[k] = static_cast<float>(distance_to_reachable(arm, xk, starts, c.kd_radius));
        if (dist[k] <= c.kd_radius) verdict[k] = kWithinMargin;
      }
    });
    for (std::int64_t k = 0; k < round && kept < n_inside; ++k) {
      ++verdicts[verdict[k]];
      if (verdict[k] != kKept) continue;
      const std::int64_t i = nr + kept++;
      std::copy_n(&cand[k * ts], ts, &d.targets[i * ts]);
      d.source[i] = PoseSource::kInside;
      d.margin[i] = dist[k];
    }
    drawn += round;
  }

  // outside poses: at least kd_radius beyond the reach ball, unreachable by construction with
  // the margin (and the inside shortfall)
  const std::int64_t n_outside = nu - kept;
  for (std::int64_t k = 0; k < n_outside; ++k) {
    Rng rng = stream_rng(c.seed, kCandidateStream, 2 * k + 1);
    const TaskVec x = random_pose(arm, 1.0 + c.kd_radius, c.outside_max, rng);
    const std::int64_t i = nr + kept + k;
    for (int j = 0; j < ts; ++j) d.targets[i * ts + j] = static_cast<float>(x[j]);
    d.source[i] = PoseSource::kOutside;
    const Eigen::Vector3d p = position_size(arm.task) == 2
                                  ? Eigen::Vector3d(x[0], x[1], arm.reach_centre_W.z())
                                  : Eigen::Vector3d(x.head<3>());
    d.margin[i] = static_cast<float>((p - arm.reach_centre_W).norm() / arm.reach_radius - 1.0);
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
       {{"checked", verdicts[kKept] + verdicts[kNearSample] + verdicts[kReachableByIk] +
                        verdicts[kWithinMargin]},
        {"rejected_by_kd_tree", verdicts[kNearSample]},
        {"rejected_by_ik", verdicts[kReachableByIk]},
        {"rejected_by_margin", verdicts[kWithinMargin]}}},
      {"classes", classes},
      {"label_agreement", nr ? double(agree) / nr : 0.0},
      {"split", {{"train", d.split.train}, {"validation", d.split.val}, {"test", d.split.test}}}};
  return d;
}

}  // namespace neurokin::data
