#include "config/spelling.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <utility>

namespace kiln {

size_t edit_distance(const std::string& a, const std::string& b) {
  auto lower = [](char c) { return std::tolower(static_cast<unsigned char>(c)); };
  std::vector<size_t> row(b.size() + 1);  // distances from a[0..i) to every prefix of b
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({above + 1, row[j - 1] + 1, diagonal + (lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string did_you_mean(const std::string& word, const std::vector<std::string>& known) {
  const std::vector<std::string> best = closest_names(word, known, 1);
  if (best.empty()) return "";
  // A third of the word may be wrong (at least 2 letters): 'plugin', 'precision', 'Device' are typos;
  // 'gpu' → 'cpu' is a fair guess too, while 'tuning' is no typo of 'device'.
  if (edit_distance(word, best.front()) > std::max<size_t>(2, word.size() / 3)) return "";
  return " — did you mean '" + best.front() + "'?";
}

std::vector<std::string> closest_names(const std::string& word, const std::vector<std::string>& known, size_t count) {
  std::vector<std::pair<size_t, std::string>> ranked;
  ranked.reserve(known.size());
  for (const std::string& name : known) ranked.emplace_back(edit_distance(word, name), name);
  std::sort(ranked.begin(), ranked.end());
  ranked.erase(std::unique(ranked.begin(), ranked.end()), ranked.end());
  std::vector<std::string> names;
  for (size_t i = 0; i < ranked.size() && i < count; ++i) names.push_back(ranked[i].second);
  return names;
}

}  // namespace kiln
