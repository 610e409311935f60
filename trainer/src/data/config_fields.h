// The fields every joint-space dataset config shares (the ik dataset's and the trajectory
// dataset's): n, seed, sampling, and the split shares. Read with the caller's json_util::Fields,
// so unknown fields are still refused in one place.
#pragma once

#include <cstdint>
#include <string>

#include "data/dataset.h"
#include "neurokin/json_util.h"

namespace neurokin::data {

// n (1 to 2^31 - 1), seed (0 to 2^53), sampling ("uniform" or "lhs"), each left as given when
// absent; errors name the field under f's path
void read_sampling_fields(json_util::Fields& f, std::int64_t& n, std::uint64_t& seed, Sampling& sampling);
// val_share and test_share, each in [0, 1)
void read_split_fields(json_util::Fields& f, double& val_share, double& test_share);
// Error "<where>.val_share + test_share: expected less than 1 ..." when nothing would train
void check_split_shares(double val_share, double test_share, const std::string& where);

}  // namespace neurokin::data
