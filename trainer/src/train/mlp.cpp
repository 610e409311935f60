// The training engine on oneDNN (f32, CPU). Each layer becomes a few primitives: matmul for
// dense layers (forward, backward data, backward weights and bias, the weights read in place
// from the flat parameter array in the core's row-major out x in layout), eltwise for
// activations (relu, tanh and sigmoid after a dense layer run as its eltwise post-op, and their
// backward reads the kept output), binary mul / add for dropout and the gated block's product
// and residual.
//
// Primitives and their memories are built once per batch size n into a Plan (forward steps,
// backward steps), cached, and replayed: the steady state only executes. Training keeps every
// activation for backward; inference runs in separate ping-pong buffers, so an evaluation
// between a training forward and its backward changes nothing.
#include "train/mlp.h"

#include <omp.h>

#include <algorithm>
#include <cassert>
#include <chrono>
#include <cmath>
#include <functional>
#include <oneapi/dnnl/dnnl.hpp>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

#include "neurokin/error.h"
#include "train/mlp_params.h"

namespace neurokin::train {

namespace {

using dnnl::memory;
using Tag = memory::format_tag;
using Type = Layer::Type;

constexpr std::size_t kMaxPlans = 8;  // batch sizes kept built (training and inference)
constexpr int kMaxBatch = 1 << 22;

std::string str(long long v) { return std::to_string(v); }

// sets the OpenMP thread count for the span of one call and restores the caller's after it
class ThreadScope {
 public:
  explicit ThreadScope(int threads) : saved_(omp_get_max_threads()), set_(threads > 0) {
    if (set_) omp_set_num_threads(threads);
  }
  ~ThreadScope() {
    if (set_) omp_set_num_threads(saved_);
  }
  ThreadScope(const ThreadScope&) = delete;
  ThreadScope& operator=(const ThreadScope&) = delete;

 private:
  int saved_;
  bool set_;
};

// a rows x cols f32 matrix; Tag::ba is the same numbers read transposed (column-major)
memory::desc matrix_desc(memory::dim rows, memory::dim cols, Tag tag = Tag::ab) {
  return memory::desc({rows, cols}, memory::data_type::f32, tag);
}

// the eltwise algorithm of an activation: swish with alpha 1 is silu, linear 1 x + 0 the
// identity; relu, tanh and sigmoid have derivatives in terms of their output, so their backward
// reads the kept output instead of recomputing exp / tanh
dnnl::algorithm eltwise_algorithm(Activation a) {
  using A = dnnl::algorithm;
  switch (a) {
    case Activation::kRelu:
      return A::eltwise_relu_use_dst_for_bwd;
    case Activation::kSilu:
      return A::eltwise_swish;
    case Activation::kTanh:
      return A::eltwise_tanh_use_dst_for_bwd;
    case Activation::kSigmoid:
      return A::eltwise_logistic_use_dst_for_bwd;
    case Activation::kIdentity:
      break;
  }
  return A::eltwise_linear;
}
float eltwise_alpha(Activation a) {
  return a == Activation::kSilu || a == Activation::kIdentity ? 1.0f : 0.0f;
}
bool backward_uses_dst(Activation a) {
  return a == Activation::kRelu || a == Activation::kTanh || a == Activation::kSigmoid;
}

// splitmix64's finaliser (Steele, Lea & Flood 2014): a bijection with full avalanche
constexpr std::uint64_t kGolden = 0x9e3779b97f4a7c15ULL;
std::uint64_t mix(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// inverted dropout (Srivastava et al. 2014): each entry 0 with probability p, else 1 / (1 - p).
// Counter-based: entry pair i of a stream is mix(stream + (i + 1) golden), so every thread count
// draws the same mask and the generator's whole state is one counter
void fill_dropout_mask(float* mask, std::size_t count, std::uint64_t stream, float p) {
  const float scale = 1.0f / (1.0f - p);
  const auto threshold = static_cast<std::uint64_t>(std::ldexp(static_cast<double>(p), 32));
  const auto keep = [&](std::uint64_t bits) { return bits < threshold ? 0.0f : scale; };
  const long pairs = static_cast<long>(count / 2);
#pragma omp parallel for schedule(static)
  for (long i = 0; i < pairs; ++i) {
    const std::uint64_t h = mix(stream + static_cast<std::uint64_t>(i + 1) * kGolden);
    mask[2 * i] = keep(h & 0xffffffffULL);
    mask[2 * i + 1] = keep(h >> 32);
  }
  if (count % 2) mask[count - 1] = keep(mix(stream + (pairs + 1) * kGolden) & 0xffffffffULL);
}

// one primitive with its arguments bound once, or a plain function (a dropout mask)
struct Step {
  dnnl::primitive primitive;
  std::unordered_map<int, memory> args;
  std::function<void()> fn;
};

// a dense map's parameters and shape: y = x W^T + b, W out x in
struct Dense {
  std::size_t w, b;
  int in, out;
};

// the buffers one layer reads and writes in one mode; -1: unused
struct NodeBuffers {
  int src = -1, dst = -1;
  int act_out = -1;                                 // an activation's output before dropout
  int v = -1, g = -1, av = -1, ag = -1, prod = -1;  // gated: pre-activations, activations, product
  int mask = -1;                                    // dropout mask (training)
};

struct Node {
  LayerShape shape;
  LayerOffsets off;
  bool dropout = false;  // after this activation / on this gated branch, in training
  bool need_dx = true;   // false for the first layer: nobody needs dL/dx of the input
  // a dense layer computes the activation after it as a post-op (one pass over the output
  // fewer); that activation's node then only does dropout and backward
  std::optional<Activation> post_op;
  bool fused = false;
  NodeBuffers train, infer;
  Dense value() const { return {off.w, off.b, shape.in, shape.out}; }
  Dense gate() const { return {off.wg, off.bg, shape.in, shape.out}; }
};

// everything built for one batch size and mode
struct Plan {
  int n = 0;
  bool training = false;
  std::uint64_t last_used = 0;
  std::vector<Step> forward, backward;
  const float* output = nullptr;
};

}  // namespace

struct Mlp::Impl {
  Impl(const std::vector<Layer>& layers, int max_batch, float dropout, std::uint64_t seed,
       int threads);

  int add_buffer(int width);
  Plan& plan(int n, bool training);
  std::unique_ptr<Plan> build(int n, bool training);
  void run(const std::vector<Step>& steps);

  // primitive builders over n rows
  memory view(int buffer, int width, int n, Tag tag = Tag::ab);
  memory params(std::size_t offset, int rows, int cols, Tag tag = Tag::ab);
  memory grads(std::size_t offset, int rows, int cols);
  Step matmul(const memory& src, const memory& weights, const memory& dst, bool accumulate,
              const memory* bias = nullptr, std::optional<Activation> post_op = {});
  Step eltwise_forward(Activation a, const memory& src, const memory& dst);
  Step eltwise_backward(Activation a, const memory& src, const memory& dst, const memory& diff_dst,
                        const memory& diff_src);
  Step binary(dnnl::algorithm alg, const memory& a, const memory& b, const memory& dst);
  Step dropout_mask(int buffer, std::size_t count, int site);
  void dense_forward(const Dense& d, int x, int y, int n, std::vector<Step>& out,
                     std::optional<Activation> post_op = {});
  void dense_backward(const Dense& d, int x, int dy, int dx, bool accumulate_dx, int n,
                      std::vector<Step>& out);
  void build_node(std::size_t i, int n, bool training, std::vector<Step>& fwd,
                  std::vector<Step>& bwd);

  int threads, max_batch;
  float dropout;
  Parameters parameters;
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};

  std::vector<Node> nodes;
  std::vector<AlignedFloats> buffers;  // max_batch x widths[i] floats each
  std::vector<int> widths;
  int train_in = -1, infer_in = -1, ones = -1;
  int grad[2] = {-1, -1};                             // backward ping-pong
  int dp = -1, dva = -1, dgs = -1, dv = -1, dg = -1;  // gated backward temporaries

  std::uint64_t dropout_key, dropout_counter = 0;
  std::vector<std::unique_ptr<Plan>> plans;
  std::uint64_t clock = 0;
  const Plan* backward_plan = nullptr;  // the last training forward's
};

Mlp::Impl::Impl(const std::vector<Layer>& layers, int max_batch_, float dropout_,
                std::uint64_t seed, int threads_)
    : threads(threads_),
      max_batch(max_batch_),
      dropout(dropout_),
      parameters(layers),
      dropout_key(mix(seed)) {
  int max_width = layers.front().in, gated_width = 0;
  for (const Layer& l : layers) {
    max_width = std::max(max_width, l.out);
    if (l.type == Type::kGatedResidual) gated_width = std::max(gated_width, l.out);
  }
  train_in = add_buffer(layers.front().in);
  infer_in = add_buffer(layers.front().in);
  const int ping = add_buffer(max_width), pong = add_buffer(max_width);
  grad[0] = add_buffer(max_width);
  grad[1] = add_buffer(max_width);
  ones = add_buffer(1);
  std::fill(buffers[ones].data(), buffers[ones].data() + max_batch, 1.0f);
  NodeBuffers gated_infer;  // shared by every gated block in inference
  if (gated_width > 0) {
    for (int* b : {&dp, &dva, &dgs, &dv, &dg}) *b = add_buffer(gated_width);
    for (int* b :
         {&gated_infer.v, &gated_infer.g, &gated_infer.av, &gated_infer.ag, &gated_infer.prod})
      *b = add_buffer(gated_width);
  }

  // training keeps each layer's output (and what its backward reads); inference ping-pongs
  int train_x = train_in, infer_x = infer_in;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    Node node;
    node.shape = parameters.shapes()[i];
    node.off = parameters.offsets(i);
    node.need_dx = i > 0;
    const int w = node.shape.out;
    NodeBuffers& t = node.train;
    NodeBuffers& f = node.infer;
    t.src = train_x;
    f.src = infer_x;
    // fused after a dense layer: the activation's output is that layer's output buffer
    node.fused = node.shape.type == Type::kActivation && i > 0 &&
                 nodes.back().shape.type == Type::kDense && backward_uses_dst(node.shape.act);
    if (node.fused) nodes.back().post_op = node.shape.act;
    if (node.shape.type == Type::kActivation) {
      node.dropout = dropout > 0 && i + 1 < layers.size();
    } else if (node.shape.type == Type::kGatedResidual) {
      node.dropout = dropout > 0;
      for (int* b : {&t.v, &t.g, &t.av, &t.ag, &t.prod}) *b = add_buffer(w);
      const int f_src = f.src;
      f = gated_infer;
      f.src = f_src;
    }
    if (node.dropout) {
      t.mask = add_buffer(w);
      if (node.shape.type == Type::kActivation) t.act_out = node.fused ? t.src : add_buffer(w);
    }
    t.dst = node.fused && !node.dropout ? t.src : add_buffer(w);
    f.dst = node.fused ? f.src : f.src == ping ? pong : ping;
    train_x = t.dst;
    infer_x = f.dst;
    nodes.push_back(node);
  }
}

int Mlp::Impl::add_buffer(int width) {
  buffers.emplace_back(static_cast<std::size_t>(max_batch) * width);
  widths.push_back(width);
  return static_cast<int>(buffers.size()) - 1;
}

Plan& Mlp::Impl::plan(int n, bool training) {
  ++clock;
  for (auto& p : plans) {
    if (p->n == n && p->training == training) {
      p->last_used = clock;
      return *p;
    }
  }
  // a new batch size: make room by dropping the least recently used plan backward does not need
  if (plans.size() >= kMaxPlans) {
    auto victim = plans.end();
    for (auto it = plans.begin(); it != plans.end(); ++it)
      if (it->get() != backward_plan &&
          (victim == plans.end() || (*it)->last_used < (*victim)->last_used))
        victim = it;
    plans.erase(victim);
  }
  plans.push_back(build(n, training));
  plans.back()->last_used = clock;
  return *plans.back();
}

memory Mlp::Impl::view(int buffer, int width, int n, Tag tag) {
  assert(width <= widths[buffer] && n <= max_batch);
  // tag ba reads the n x width rows as a width x n matrix (dW = dY^T X without a transpose)
  const memory::desc md = tag == Tag::ab ? matrix_desc(n, width) : matrix_desc(width, n, Tag::ba);
  return memory(md, engine, buffers[buffer].data());
}

memory Mlp::Impl::params(std::size_t offset, int rows, int cols, Tag tag) {
  return memory(matrix_desc(rows, cols, tag), engine, parameters.value() + offset);
}

memory Mlp::Impl::grads(std::size_t offset, int rows, int cols) {
  return memory(matrix_desc(rows, cols), engine, parameters.grad() + offset);
}

Step Mlp::Impl::matmul(const memory& src, const memory& weights, const memory& dst, bool accumulate,
                       const memory* bias, std::optional<Activation> post_op) {
  // the sum post-op adds the product to dst: gradients accumulate without a separate pass;
  // an eltwise post-op applies the next layer's activation while the output is in registers
  dnnl::post_ops ops;
  if (accumulate) ops.append_sum(1.0f);
  if (post_op) ops.append_eltwise(1.0f, eltwise_algorithm(*post_op), eltwise_alpha(*post_op), 0.0f);
  dnnl::primitive_attr attr;
  attr.set_post_ops(ops);
  const dnnl::matmul::desc desc =
      bias
          ? dnnl::matmul::desc(src.get_desc(), weights.get_desc(), bias->get_desc(), dst.get_desc())
          : dnnl::matmul::desc(src.get_desc(), weights.get_desc(), dst.get_desc());
  Step s;
  s.primitive = dnnl::matmul(dnnl::matmul::primitive_desc(desc, attr, engine));
  s.args = {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_DST, dst}};
  if (bias) s.args[DNNL_ARG_BIAS] = *bias;
  return s;
}

Step Mlp::Impl::eltwise_forward(Activation a, const memory& src, const memory& dst) {
  // forward_training: the kind of forward whose backward we build next
  const dnnl::eltwise_forward::desc desc(dnnl::prop_kind::forward_training, eltwise_algorithm(a),
                                         src.get_desc(), eltwise_alpha(a));
  Step s;
  s.primitive = dnnl::eltwise_forward(dnnl::eltwise_forward::primitive_desc(desc, engine));
  s.args = {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}};
  return s;
}

Step Mlp::Impl::eltwise_backward(Activation a, const memory& src, const memory& dst,
                                 const memory& diff_dst, const memory& diff_src) {
  // the backward primitive descriptor needs its forward's as a hint
  const dnnl::eltwise_forward::primitive_desc hint(
      dnnl::eltwise_forward::desc(dnnl::prop_kind::forward_training, eltwise_algorithm(a),
                                  src.get_desc(), eltwise_alpha(a)),
      engine);
  const dnnl::eltwise_backward::desc desc(eltwise_algorithm(a), diff_dst.get_desc(), src.get_desc(),
                                          eltwise_alpha(a));
  Step s;
  s.primitive = dnnl::eltwise_backward(dnnl::eltwise_backward::primitive_desc(desc, engine, hint));
  s.args = {{backward_uses_dst(a) ? DNNL_ARG_DST : DNNL_ARG_SRC, backward_uses_dst(a) ? dst : src},
            {DNNL_ARG_DIFF_DST, diff_dst},
            {DNNL_ARG_DIFF_SRC, diff_src}};
  return s;
}

Step Mlp::Impl::binary(dnnl::algorithm alg, const memory& a, const memory& b, const memory& dst) {
  // elementwise over same-shape operands; dst may be a (in place)
  const dnnl::binary::desc desc(alg, a.get_desc(), b.get_desc(), dst.get_desc());
  Step s;
  s.primitive = dnnl::binary(dnnl::binary::primitive_desc(desc, engine));
  s.args = {{DNNL_ARG_SRC_0, a}, {DNNL_ARG_SRC_1, b}, {DNNL_ARG_DST, dst}};
  return s;
}

Step Mlp::Impl::dropout_mask(int buffer, std::size_t count, int site) {
  // one stream per (training forward, layer): the counter at run time picks the forward
  Step s;
  float* mask = buffers[buffer].data();
  s.fn = [this, mask, count, site] {
    const std::uint64_t stream_id =
        dropout_counter * static_cast<std::uint64_t>(kMaxLayers) + static_cast<std::uint64_t>(site);
    fill_dropout_mask(mask, count, mix(dropout_key ^ stream_id), dropout);
  };
  return s;
}

void Mlp::Impl::dense_forward(const Dense& d, int x, int y, int n, std::vector<Step>& out,
                              std::optional<Activation> post_op) {
  // y = x W^T + b: W (out x in, row-major) read as the in x out matrix W^T in place
  const memory bias = params(d.b, 1, d.out);
  out.push_back(matmul(view(x, d.in, n), params(d.w, d.in, d.out, Tag::ba), view(y, d.out, n),
                       false, &bias, post_op));
}

void Mlp::Impl::dense_backward(const Dense& d, int x, int dy, int dx, bool accumulate_dx, int n,
                               std::vector<Step>& out) {
  // dW += dY^T X and db += 1^T dY (the bias gradient as a GEMV against a row of ones)
  out.push_back(
      matmul(view(dy, d.out, n, Tag::ba), view(x, d.in, n), grads(d.w, d.out, d.in), true));
  const memory row_of_ones(matrix_desc(1, n), engine, buffers[ones].data());
  out.push_back(matmul(row_of_ones, view(dy, d.out, n), grads(d.b, 1, d.out), true));
  // dX (+)= dY W
  if (dx >= 0)
    out.push_back(
        matmul(view(dy, d.out, n), params(d.w, d.out, d.in), view(dx, d.in, n), accumulate_dx));
}

void Mlp::Impl::build_node(std::size_t i, int n, bool training, std::vector<Step>& fwd,
                           std::vector<Step>& bwd) {
  using dnnl::algorithm;
  const Node& node = nodes[i];
  const NodeBuffers& b = training ? node.train : node.infer;
  const bool drop = training && node.dropout;
  const int w = node.shape.out;
  const auto v = [&](int buffer) { return view(buffer, w, n); };
  // the gradient ping-pong: the last layer's dL/dy is in grad[0]
  const int dy = grad[(nodes.size() - 1 - i) % 2];
  const int dx = node.need_dx ? grad[(nodes.size() - i) % 2] : -1;
  const Activation act = node.shape.act;

  switch (node.shape.type) {
    case Type::kDense:
      dense_forward(node.value(), b.src, b.dst, n, fwd, node.post_op);
      if (training) dense_backward(node.value(), b.src, dy, dx, false, n, bwd);
      return;

    case Type::kActivation: {
      // y = drop(act(x)): the activation's own output is kept apart when dropout follows
      const int out = drop ? b.act_out : b.dst;
      if (!node.fused) fwd.push_back(eltwise_forward(act, v(b.src), v(out)));
      if (drop) {
        fwd.push_back(dropout_mask(b.mask, static_cast<std::size_t>(n) * w, static_cast<int>(i)));
        fwd.push_back(binary(algorithm::binary_mul, v(out), v(b.mask), v(b.dst)));
      }
      if (!training || dx < 0) return;
      // dL/d act = dL/dy * mask (in place), then through the activation
      if (drop) bwd.push_back(binary(algorithm::binary_mul, v(dy), v(b.mask), v(dy)));
      bwd.push_back(eltwise_backward(act, v(b.src), v(out), v(dy), v(dx)));
      return;
    }

    case Type::kGatedResidual: {
      // y = x + drop(act(Wv x + bv) * sigmoid(Wg x + bg)) (seed 001)
      dense_forward(node.value(), b.src, b.v, n, fwd);
      dense_forward(node.gate(), b.src, b.g, n, fwd);
      fwd.push_back(eltwise_forward(act, v(b.v), v(b.av)));
      fwd.push_back(eltwise_forward(Activation::kSigmoid, v(b.g), v(b.ag)));
      fwd.push_back(binary(algorithm::binary_mul, v(b.av), v(b.ag), v(b.prod)));
      if (drop) {
        fwd.push_back(dropout_mask(b.mask, static_cast<std::size_t>(n) * w, static_cast<int>(i)));
        fwd.push_back(binary(algorithm::binary_mul, v(b.prod), v(b.mask), v(b.prod)));
      }
      fwd.push_back(binary(algorithm::binary_add, v(b.src), v(b.prod), v(b.dst)));
      if (!training) return;
      // through the product: d av = dp * ag, d ag = dp * av, with dp = dy * mask
      const int d_prod = drop ? dp : dy;
      if (drop) bwd.push_back(binary(algorithm::binary_mul, v(dy), v(b.mask), v(dp)));
      bwd.push_back(binary(algorithm::binary_mul, v(d_prod), v(b.ag), v(dva)));
      bwd.push_back(binary(algorithm::binary_mul, v(d_prod), v(b.av), v(dgs)));
      // through the activations to the pre-activations
      bwd.push_back(eltwise_backward(act, v(b.v), v(b.av), v(dva), v(dv)));
      bwd.push_back(eltwise_backward(Activation::kSigmoid, v(b.g), v(b.ag), v(dgs), v(dg)));
      // both branches' weights, and dx = dV Wv + dG Wg + dy (the residual)
      dense_backward(node.value(), b.src, dv, dx, false, n, bwd);
      dense_backward(node.gate(), b.src, dg, dx, true, n, bwd);
      if (dx >= 0) bwd.push_back(binary(algorithm::binary_add, v(dx), v(dy), v(dx)));
      return;
    }
  }
}

std::unique_ptr<Plan> Mlp::Impl::build(int n, bool training) {
  auto plan = std::make_unique<Plan>();
  plan->n = n;
  plan->training = training;
  // backward runs the layers in reverse: collect each layer's steps, then concatenate
  std::vector<std::vector<Step>> backward(nodes.size());
  for (std::size_t i = 0; i < nodes.size(); ++i)
    build_node(i, n, training, plan->forward, backward[i]);
  for (auto it = backward.rbegin(); it != backward.rend(); ++it)
    for (Step& s : *it) plan->backward.push_back(std::move(s));
  const Node& last = nodes.back();
  plan->output = buffers[training ? last.train.dst : last.infer.dst].data();
  return plan;
}

void Mlp::Impl::run(const std::vector<Step>& steps) {
  for (const Step& s : steps) {
    if (s.fn) {
      // a plain function reads what the primitives before it wrote
      stream.wait();
      s.fn();
    } else {
      s.primitive.execute(stream, s.args);
    }
  }
  stream.wait();
}

// ---- the public interface ----

namespace {

// the layers as a network with identity normalisation, for the core's shape and value checks
void check_layers(const std::vector<Layer>& layers) {
  Network net;
  net.input_size = layers.empty() ? 1 : layers.front().in;
  net.layers = layers;
  if (net.input_size < 1 || net.input_size > kMaxWidth) net.input_size = 1;
  net.in_mean = Eigen::VectorXf::Zero(net.input_size);
  net.in_std = Eigen::VectorXf::Ones(net.input_size);
  net.out_mean = Eigen::VectorXf::Zero(std::max(1, net.net_outputs()));
  net.out_std = Eigen::VectorXf::Ones(std::max(1, net.net_outputs()));
  check_network(net, "Mlp");
}

}  // namespace

Mlp::Mlp(const std::vector<Layer>& layers, int max_batch, float dropout, std::uint64_t seed,
         int threads) {
  check_layers(layers);
  if (max_batch < 1 || max_batch > kMaxBatch)
    throw_expected("Mlp: max_batch", "1 to " + str(kMaxBatch), str(max_batch));
  if (!(dropout >= 0.0f && dropout < 1.0f))
    throw_expected("Mlp: dropout", "a number in [0, 1)", std::to_string(dropout));
  impl_ = std::make_unique<Impl>(layers, max_batch, dropout, seed, threads);
}

Mlp::~Mlp() = default;

int Mlp::input_width() const { return impl_->parameters.shapes().front().in; }
int Mlp::output_width() const { return impl_->parameters.shapes().back().out; }
std::size_t Mlp::parameter_count() const { return impl_->parameters.count(); }
int Mlp::max_batch() const { return impl_->max_batch; }
std::uint64_t Mlp::steps() const { return impl_->parameters.steps(); }

double Mlp::matmul_flops(int n) const {
  double flops = 0;
  for (const Node& node : impl_->nodes) {
    const double gemms = node.shape.type == Type::kDense           ? 1
                         : node.shape.type == Type::kGatedResidual ? 2
                                                                   : 0;
    // forward and backward weights always, backward data when dL/dx is needed
    flops += gemms * (node.need_dx ? 3 : 2) * 2.0 * n * node.shape.in * node.shape.out;
  }
  return flops;
}

const float* Mlp::forward(const float* x, int n, bool training) {
  Impl& m = *impl_;
  if (n < 1 || n > m.max_batch)
    throw_expected("Mlp::forward: n", "1 to " + str(m.max_batch) + " (max_batch)", str(n));
  ThreadScope scope(m.threads);
  const Plan& plan = m.plan(n, training);
  std::copy(x, x + static_cast<std::size_t>(n) * input_width(),
            m.buffers[training ? m.train_in : m.infer_in].data());
  if (training) {
    ++m.dropout_counter;
    m.backward_plan = &plan;
  }
  m.run(plan.forward);
  return plan.output;
}

void Mlp::backward(const float* dy) {
  Impl& m = *impl_;
  if (!m.backward_plan)
    throw_expected("Mlp::backward", "a training forward before it", "none since the start or load");
  ThreadScope scope(m.threads);
  std::copy(dy, dy + static_cast<std::size_t>(m.backward_plan->n) * output_width(),
            m.buffers[m.grad[0]].data());
  m.run(m.backward_plan->backward);
}

float Mlp::step(const OptimizerConfig& opt, float lr) {
  ThreadScope scope(impl_->threads);
  return impl_->parameters.adam_step(opt, lr);
}

void Mlp::write_weights(std::vector<Layer>& layers, bool ema) const {
  impl_->parameters.write(layers, ema);
}

void Mlp::write_gradients(std::vector<Layer>& layers) const {
  impl_->parameters.write_gradients(layers);
}

std::string Mlp::save_state() const {
  return impl_->parameters.save(impl_->dropout_key, impl_->dropout_counter);
}

void Mlp::load_state(const std::string& blob) {
  impl_->parameters.load(blob, impl_->dropout_key, impl_->dropout_counter);
  impl_->backward_plan = nullptr;  // its activations came from other weights
}

int thread_count(int threads) { return threads > 0 ? threads : omp_get_max_threads(); }

double peak_gemm_gflops(int size, int threads, int repeats) {
  if (size < 1 || repeats < 1)
    throw_expected("peak_gemm_gflops", "size and repeats >= 1", str(size) + " and " + str(repeats));
  ThreadScope scope(threads);
  dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  dnnl::stream stream(engine);
  // C = A B on plain row-major matrices: the same primitive kind and layouts as training
  const memory::desc md = matrix_desc(size, size);
  memory a(md, engine), b(md, engine), c(md, engine);
  const std::size_t count = static_cast<std::size_t>(size) * size;
  std::fill_n(static_cast<float*>(a.get_data_handle()), count, 0.5f);
  std::fill_n(static_cast<float*>(b.get_data_handle()), count, 0.25f);
  const dnnl::matmul gemm(dnnl::matmul::primitive_desc(dnnl::matmul::desc(md, md, md), engine));
  const std::unordered_map<int, memory> args = {
      {DNNL_ARG_SRC, a}, {DNNL_ARG_WEIGHTS, b}, {DNNL_ARG_DST, c}};
  // one untimed run: first-touch page faults and cold caches are not throughput
  gemm.execute(stream, args);
  stream.wait();
  const auto start = std::chrono::steady_clock::now();
  for (int r = 0; r < repeats; ++r) gemm.execute(stream, args);
  stream.wait();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return 2.0 * size * size * static_cast<double>(size) * repeats / seconds / 1e9;
}

}  // namespace neurokin::train
