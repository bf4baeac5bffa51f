#include "plugin/tuning_cache.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "util/error.hpp"

namespace kiln {

namespace {

const char* const kHeader = "# kiln timing cache v1: KEY<tab>VALUE per line";

// Tabs and line breaks would break the one-entry-per-line format; kernels never need them.
std::string sanitized(std::string text) {
  for (char& c : text)
    if (c == '\t' || c == '\n' || c == '\r') c = ' ';
  return text;
}

}  // namespace

TuningCache::TuningCache(std::string path) : path_(std::move(path)) {
  std::ifstream in(path_);
  if (!in) return;  // a first build creates it
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty() || line[0] == '#') continue;
    const size_t tab = line.find('\t');
    if (tab == std::string::npos || tab == 0)
      throw Error(path_ + ":" + std::to_string(number) + ": malformed timing-cache entry (expected KEY<tab>VALUE); " +
                  "delete the file to rebuild it");
    entries_[line.substr(0, tab)] = line.substr(tab + 1);
  }
}

std::optional<std::string> TuningCache::get(const std::string& key) const {
  auto it = entries_.find(sanitized(key));
  if (it == entries_.end()) return std::nullopt;
  ++hits_;
  return it->second;
}

void TuningCache::put(const std::string& key, const std::string& value) {
  entries_[sanitized(key)] = sanitized(value);
  ++stores_;
}

void TuningCache::save() const {
  if (path_.empty() || stores_ == 0) return;
  const std::string temporary = path_ + ".tmp";
  std::error_code ignored;  // a missing folder is made; a failure shows when the file cannot be written
  std::filesystem::create_directories(std::filesystem::path(path_).parent_path(), ignored);
  {
    std::ofstream out(temporary, std::ios::trunc);
    if (!out) throw Error(path_ + ": cannot write the timing cache");
    out << kHeader << '\n';
    for (const auto& [key, value] : entries_) out << key << '\t' << value << '\n';
    if (!out) throw Error(path_ + ": cannot write the timing cache");
  }
  std::error_code error;
  std::filesystem::rename(temporary, path_, error);
  if (error) throw Error(path_ + ": cannot replace the timing cache: " + error.message());
}

}  // namespace kiln
