// Seeded random inputs for a model's inputs whose data the user did not give.
#ifndef KILN_CLI_RANDOM_INPUTS_HPP
#define KILN_CLI_RANDOM_INPUTS_HPP

#include <cstdint>

#include "ir/graph.hpp"

namespace kiln::cli {

// A tensor of `value`'s dtype and shape (unknown dims become 1): floats uniform in [-1, 1), integers in
// [0, 10), booleans fair coins. Same seed, same data.
Tensor random_input(const Value& value, uint64_t seed);

}  // namespace kiln::cli

#endif  // KILN_CLI_RANDOM_INPUTS_HPP
