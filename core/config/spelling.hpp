// Typo help for error messages: "unknown key 'plugin' — did you mean 'plugins'?".
#ifndef KILN_CORE_SPELLING_HPP
#define KILN_CORE_SPELLING_HPP

#include <cstddef>
#include <string>
#include <vector>

namespace kiln {

// Levenshtein distance, ignoring letter case (a user who writes 'CPU' meant 'cpu').
size_t edit_distance(const std::string& a, const std::string& b);

// " — did you mean 'x'?" when the closest of `known` is near enough to be a typo of `word`; "" otherwise.
std::string did_you_mean(const std::string& word, const std::vector<std::string>& known);

// Up to `count` entries of `known`, closest to `word` first (ties in alphabetical order).
std::vector<std::string> closest_names(const std::string& word, const std::vector<std::string>& known, size_t count);

}  // namespace kiln

#endif  // KILN_CORE_SPELLING_HPP
