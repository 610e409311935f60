#include "train/mlp_params.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "neurokin/error.h"

namespace neurokin::train {

namespace {

constexpr std::size_t kAlign = 16;    // floats: 64 bytes, so oneDNN sees aligned matrices
constexpr std::size_t kChunk = 4096;  // parameters per unit of parallel optimiser work
constexpr char kMagic[8] = {'N', 'K', 'M', 'L', 'P', 'S', 'T', '\0'};
constexpr std::uint32_t kVersion = 1;

std::size_t round_up(std::size_t n, std::size_t to) { return (n + to - 1) / to * to; }

std::string str(long long v) { return std::to_string(v); }

std::string layer_where(std::size_t i) { return "layers[" + str(static_cast<long long>(i)) + "]"; }

// FNV-1a (64 bit): catches a truncated or corrupted blob before it becomes weights
std::uint64_t fnv1a(const char* p, std::size_t n) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (std::size_t i = 0; i < n; ++i) h = (h ^ static_cast<unsigned char>(p[i])) * 0x100000001b3ULL;
  return h;
}

// a layer's parameter blocks in flat order: W, b, then Wg, bg for a gated block
struct Block {
  std::size_t LayerOffsets::*offset;
  bool weights;
};
constexpr Block kDenseBlocks[] = {{&LayerOffsets::w, true}, {&LayerOffsets::b, false}};
constexpr Block kGatedBlocks[] = {{&LayerOffsets::w, true},
                                  {&LayerOffsets::b, false},
                                  {&LayerOffsets::wg, true},
                                  {&LayerOffsets::bg, false}};

// the number of floats a block of a layer holds (weights out x in, biases out)
std::size_t block_size(const LayerShape& s, bool weights) {
  return static_cast<std::size_t>(s.out) * (weights ? s.in : 1);
}

// W / b / Wg / bg of a layer by block index, for copying in (const) and out
template <class L>
auto layer_block(L& l, std::size_t k) {
  switch (k) {
    case 0:
      return l.W.data();
    case 1:
      return l.b.data();
    case 2:
      return l.Wg.data();
    default:
      return l.bg.data();
  }
}

std::size_t block_count(Layer::Type t) {
  return t == Layer::Type::kDense ? 2 : t == Layer::Type::kGatedResidual ? 4 : 0;
}

const Block& block(Layer::Type t, std::size_t k) {
  return t == Layer::Type::kDense ? kDenseBlocks[k] : kGatedBlocks[k];
}

void check_unit_interval(float v, const char* where) {
  if (!(v >= 0.0f && v < 1.0f)) throw_expected(where, "a number in [0, 1)", std::to_string(v));
}

void check_non_negative(float v, const char* where) {
  if (!(v >= 0.0f && std::isfinite(v)))
    throw_expected(where, "a finite number >= 0", std::to_string(v));
}

// appends / reads plain values and float arrays in native byte order
class Writer {
 public:
  template <class T>
  void put(const T& v) {
    bytes_.append(reinterpret_cast<const char*>(&v), sizeof(T));
  }
  void put(const float* p, std::size_t n) {
    bytes_.append(reinterpret_cast<const char*>(p), n * sizeof(float));
  }
  std::string& bytes() { return bytes_; }

 private:
  std::string bytes_;
};

class Reader {
 public:
  explicit Reader(const std::string& blob) : blob_(blob) {}
  template <class T>
  T get() {
    T v;
    std::memcpy(&v, take(sizeof(T)), sizeof(T));
    return v;
  }
  void get(float* p, std::size_t n) { std::memcpy(p, take(n * sizeof(float)), n * sizeof(float)); }
  std::size_t position() const { return pos_; }

 private:
  const char* take(std::size_t n) {
    if (blob_.size() - pos_ < n)
      throw_expected("load_state: blob size",
                     "more than " + str(static_cast<long long>(pos_)) + " bytes",
                     str(static_cast<long long>(blob_.size())) + " (truncated)");
    const char* p = blob_.data() + pos_;
    pos_ += n;
    return p;
  }
  const std::string& blob_;
  std::size_t pos_ = 0;
};

}  // namespace

AlignedFloats::AlignedFloats(std::size_t n)
    : n_(n),
      p_(static_cast<float*>(
          std::aligned_alloc(64, round_up(std::max<std::size_t>(n, 1) * 4, 64)))) {
  if (!p_) throw std::bad_alloc();
  std::fill(p_.get(), p_.get() + n, 0.0f);
}

Parameters::Parameters(const std::vector<Layer>& layers) {
  // the layout: each block 64-byte aligned, chunked for the optimiser
  std::size_t end = 0;
  for (const Layer& l : layers) {
    shapes_.push_back({l.type, l.act, l.in, l.out});
    LayerOffsets off;
    for (std::size_t k = 0; k < block_count(l.type); ++k) {
      const Block& b = block(l.type, k);
      const std::size_t n = block_size(shapes_.back(), b.weights);
      off.*b.offset = end;
      for (std::size_t c = 0; c < n; c += kChunk)
        chunks_.push_back({end + c, std::min(kChunk, n - c), b.weights});
      count_ += n;
      end = round_up(end + n, kAlign);
    }
    offsets_.push_back(off);
  }
  partial_.resize(chunks_.size());
  value_ = AlignedFloats(end);
  grad_ = AlignedFloats(end);
  m_ = AlignedFloats(end);
  v_ = AlignedFloats(end);
  ema_ = AlignedFloats(end);

  // initial values, and the moving average starts at them
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const Layer& l = layers[i];
    for (std::size_t k = 0; k < block_count(l.type); ++k) {
      const Block& b = block(l.type, k);
      const float* src = layer_block(l, k);
      std::copy(src, src + block_size(shapes_[i], b.weights),
                value_.data() + offsets_[i].*b.offset);
    }
  }
  std::copy(value_.data(), value_.data() + end, ema_.data());
}

void Parameters::copy_out(const float* flat, std::vector<Layer>& layers, const char* what) const {
  const std::string where = std::string(what) + ": ";
  if (layers.size() != shapes_.size())
    throw_expected(where + "layers", str(static_cast<long long>(shapes_.size())) + " layers",
                   str(static_cast<long long>(layers.size())));
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const LayerShape& s = shapes_[i];
    Layer& l = layers[i];
    const std::string w = where + layer_where(i);
    if (l.type != s.type)
      throw_expected(w + ".type", layer_type_name(s.type), layer_type_name(l.type));
    if (l.in != s.in) throw_expected(w + ".in", str(s.in), str(l.in));
    if (l.out != s.out) throw_expected(w + ".out", str(s.out), str(l.out));
    if (s.type == Layer::Type::kActivation) continue;
    l.W.resize(s.out, s.in);
    l.b.resize(s.out);
    if (s.type == Layer::Type::kGatedResidual) {
      l.Wg.resize(s.out, s.in);
      l.bg.resize(s.out);
    }
    for (std::size_t k = 0; k < block_count(s.type); ++k) {
      const Block& b = block(s.type, k);
      const float* src = flat + offsets_[i].*b.offset;
      std::copy(src, src + block_size(s, b.weights), layer_block(l, k));
    }
  }
}

void Parameters::write(std::vector<Layer>& layers, bool ema) const {
  copy_out(ema ? ema_.data() : value_.data(), layers, "write_weights");
}

void Parameters::write_gradients(std::vector<Layer>& layers) const {
  copy_out(grad_.data(), layers, "write_gradients");
}

double Parameters::sum_of_squares() {
  const float* g = grad_.data();
  const long n = static_cast<long>(chunks_.size());
#pragma omp parallel for schedule(static)
  for (long c = 0; c < n; ++c) {
    // eight lanes so the compiler vectorises without reassociating
    double lane[8] = {};
    const float* p = g + chunks_[c].offset;
    const std::size_t size = chunks_[c].size;
    std::size_t i = 0;
    for (; i + 8 <= size; i += 8)
      for (int k = 0; k < 8; ++k) lane[k] += static_cast<double>(p[i + k]) * p[i + k];
    for (; i < size; ++i) lane[0] += static_cast<double>(p[i]) * p[i];
    double s = 0;
    for (double v : lane) s += v;
    partial_[c] = s;
  }
  // summed in chunk order: the same result for every thread count
  double total = 0;
  for (double s : partial_) total += s;
  return total;
}

float Parameters::adam_step(const OptimizerConfig& opt, float lr) {
  check_non_negative(lr, "step: lr");
  check_unit_interval(opt.beta1, "step: beta1");
  check_unit_interval(opt.beta2, "step: beta2");
  check_unit_interval(opt.ema_decay, "step: ema_decay");
  check_non_negative(opt.weight_decay, "step: weight_decay");
  check_non_negative(opt.clip_norm, "step: clip_norm");
  if (!(opt.eps > 0.0f)) throw_expected("step: eps", "a number > 0", std::to_string(opt.eps));

  const float norm = static_cast<float>(std::sqrt(sum_of_squares()));
  const long n_chunks = static_cast<long>(chunks_.size());
  if (!std::isfinite(norm)) {
    std::fill(grad_.data(), grad_.data() + grad_.size(), 0.0f);
    return norm;
  }
  ++steps_;
  // clipping scales the whole gradient (Pascanu et al. 2013); bias correction per Adam
  const float clip = opt.clip_norm > 0 && norm > opt.clip_norm ? opt.clip_norm / norm : 1.0f;
  const double t = static_cast<double>(steps_);
  const float step_size = static_cast<float>(lr / (1.0 - std::pow(opt.beta1, t)));
  const float inv_sqrt_bc2 = static_cast<float>(1.0 / std::sqrt(1.0 - std::pow(opt.beta2, t)));
  // the average warms up, (1 + t) / (10 + t), so early weights do not dominate it for long
  const float d = std::min(opt.ema_decay, static_cast<float>((1.0 + t) / (10.0 + t)));
  const float b1 = opt.beta1, b2 = opt.beta2, eps = opt.eps;
  const float decayed = 1.0f - lr * opt.weight_decay;
  float* value = value_.data();
  float* grad = grad_.data();
  float* m1 = m_.data();
  float* m2 = v_.data();
  float* ema = ema_.data();
#pragma omp parallel for schedule(static)
  for (long c = 0; c < n_chunks; ++c) {
    const std::size_t off = chunks_[c].offset, size = chunks_[c].size;
    const float keep = chunks_[c].decay ? decayed : 1.0f;
    float* __restrict p = value + off;
    float* __restrict g = grad + off;
    float* __restrict m = m1 + off;
    float* __restrict v = m2 + off;
    float* __restrict e = ema + off;
    for (std::size_t i = 0; i < size; ++i) {
      const float gi = g[i] * clip;
      m[i] = b1 * m[i] + (1.0f - b1) * gi;
      v[i] = b2 * v[i] + (1.0f - b2) * gi * gi;
      // AdamW: the decay multiplies the old weight, outside the adaptive step
      p[i] = p[i] * keep - step_size * m[i] / (std::sqrt(v[i]) * inv_sqrt_bc2 + eps);
      e[i] = d * e[i] + (1.0f - d) * p[i];
      g[i] = 0.0f;
    }
  }
  return norm;
}

std::string Parameters::save(std::uint64_t dropout_key, std::uint64_t dropout_counter) const {
  Writer w;
  w.put(kMagic);
  w.put(kVersion);
  w.put(static_cast<std::uint32_t>(shapes_.size()));
  for (const LayerShape& s : shapes_) {
    w.put(static_cast<std::int32_t>(s.type));
    w.put(static_cast<std::int32_t>(s.act));
    w.put(static_cast<std::int32_t>(s.in));
    w.put(static_cast<std::int32_t>(s.out));
  }
  w.put(static_cast<std::uint64_t>(count_));
  w.put(steps_);
  w.put(dropout_key);
  w.put(dropout_counter);
  // each array block by block, so the blob does not depend on the alignment padding
  for (const AlignedFloats* a : {&value_, &m_, &v_, &ema_})
    for (std::size_t i = 0; i < shapes_.size(); ++i)
      for (std::size_t k = 0; k < block_count(shapes_[i].type); ++k) {
        const Block& b = block(shapes_[i].type, k);
        w.put(a->data() + offsets_[i].*b.offset, block_size(shapes_[i], b.weights));
      }
  w.put(fnv1a(w.bytes().data(), w.bytes().size()));
  return std::move(w.bytes());
}

void Parameters::load(const std::string& blob, std::uint64_t& dropout_key,
                      std::uint64_t& dropout_counter) {
  Reader r(blob);
  char magic[sizeof kMagic];
  for (char& c : magic) c = r.get<char>();
  if (std::memcmp(magic, kMagic, sizeof kMagic) != 0)
    throw_expected("load_state: magic", "\"NKMLPST\" (a neurokin training state)",
                   "other bytes (not a training state)");
  const auto version = r.get<std::uint32_t>();
  if (version != kVersion) throw_expected("load_state: version", str(kVersion), str(version));
  const auto n_layers = r.get<std::uint32_t>();
  if (n_layers != shapes_.size())
    throw_expected("load_state: layers",
                   str(static_cast<long long>(shapes_.size())) + " (this network)", str(n_layers));
  for (std::size_t i = 0; i < shapes_.size(); ++i) {
    const LayerShape& s = shapes_[i];
    const std::string w = "load_state: " + layer_where(i);
    const auto type = r.get<std::int32_t>(), act = r.get<std::int32_t>();
    const auto in = r.get<std::int32_t>(), out = r.get<std::int32_t>();
    if (type != static_cast<std::int32_t>(s.type))
      throw_expected(
          w + ".type", std::string(layer_type_name(s.type)) + " (this network)",
          type >= 0 && type <= 2 ? layer_type_name(static_cast<Layer::Type>(type)) : str(type));
    if (s.type != Layer::Type::kDense && act != static_cast<std::int32_t>(s.act))
      throw_expected(
          w + ".activation", std::string(activation_name(s.act)) + " (this network)",
          act >= 0 && act <= 4 ? activation_name(static_cast<Activation>(act)) : str(act));
    if (in != s.in) throw_expected(w + ".in", str(s.in) + " (this network)", str(in));
    if (out != s.out) throw_expected(w + ".out", str(s.out) + " (this network)", str(out));
  }
  const auto count = r.get<std::uint64_t>();
  if (count != count_)
    throw_expected("load_state: parameters", str(static_cast<long long>(count_)),
                   str(static_cast<long long>(count)));
  const std::size_t expected = r.position() + 3 * 8 + 4 * count_ * sizeof(float) + 8;
  if (blob.size() != expected)
    throw_expected("load_state: blob size", str(static_cast<long long>(expected)) + " bytes",
                   str(static_cast<long long>(blob.size())));
  std::uint64_t stored;
  std::memcpy(&stored, blob.data() + blob.size() - 8, 8);
  if (stored != fnv1a(blob.data(), blob.size() - 8))
    throw_expected("load_state: checksum", "the blob's FNV-1a checksum",
                   "a different one (corrupted)");

  // the header matched: nothing can fail from here, so the state is replaced whole or not at all
  steps_ = r.get<std::uint64_t>();
  dropout_key = r.get<std::uint64_t>();
  dropout_counter = r.get<std::uint64_t>();
  for (AlignedFloats* a : {&value_, &m_, &v_, &ema_})
    for (std::size_t i = 0; i < shapes_.size(); ++i)
      for (std::size_t k = 0; k < block_count(shapes_[i].type); ++k) {
        const Block& b = block(shapes_[i].type, k);
        r.get(a->data() + offsets_[i].*b.offset, block_size(shapes_[i], b.weights));
      }
  std::fill(grad_.data(), grad_.data() + grad_.size(), 0.0f);
}

}  // namespace neurokin::train
