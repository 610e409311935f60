// The model loader (model_from_json_text: what `neurokin predict/classify/eval/export/info`
// and the web page's `new Model(text)` run on a file or a link from anyone). An accepted
// model must write back to the JSON it reads bit for bit, and predict without a fault.
#include <cstring>
#include <vector>

#include "fuzz_check.h"
#include "neurokin/error.h"
#include "neurokin/model.h"

using namespace neurokin;

namespace {

// the network's outputs for a few fixed rows: zeros, ones, a ramp
std::vector<float> outputs(const Model& m) {
  const int n = m.net.input_size, rows = 3;
  std::vector<float> x(static_cast<std::size_t>(rows) * n);
  for (int i = 0; i < n; ++i) {
    x[i] = 0.0f;
    x[n + i] = 1.0f;
    x[2 * n + i] = 0.25f * static_cast<float>(i % 8) - 1.0f;
  }
  std::vector<float> y(static_cast<std::size_t>(rows) * m.net.output_size());
  Workspace ws(m.net);
  predict(m.net, ws, x.data(), rows, y.data());
  return y;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Model m;
  try {
    m = model_from_json_text(fuzz::as_text(data, size));
  } catch (const Error&) {
    return 0;  // refused with a message: what a bad file should get
  }
  FUZZ_CHECK(m.net.input_size == task_size(m.arm.task));
  const Model back = model_from_json(model_to_json(m));
  const std::vector<float> y = outputs(m), y_back = outputs(back);
  FUZZ_CHECK(y.size() == y_back.size());
  // NaN == NaN bitwise: compare the bits, not the values
  FUZZ_CHECK(std::memcmp(y.data(), y_back.data(), y.size() * sizeof(float)) == 0);
  return 0;
}
