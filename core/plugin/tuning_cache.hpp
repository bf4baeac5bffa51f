// The timing cache (`tuning: {cache: FILE}`): what kernels measured while they were created, keyed by
// everything the measurement depends on (kernel, shapes, dtypes, layouts, device), so a later build on the same
// kind of device skips the timing. A text file, one entry per line: KEY <tab> VALUE, after a header line.
#ifndef KILN_CORE_TUNING_CACHE_HPP
#define KILN_CORE_TUNING_CACHE_HPP

#include <map>
#include <optional>
#include <string>

namespace kiln {

class TuningCache {
 public:
  TuningCache() = default;
  // Reads `path` when it exists (a missing file is an empty cache); throws kiln::Error naming the file and line
  // of a malformed entry.
  explicit TuningCache(std::string path);

  std::optional<std::string> get(const std::string& key) const;
  void put(const std::string& key, const std::string& value);
  // Writes every entry back to the file (atomically: a temporary file renamed over it). No-op without a path or
  // when nothing changed.
  void save() const;

  size_t size() const { return entries_.size(); }
  size_t hits() const { return hits_; }
  size_t stores() const { return stores_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::map<std::string, std::string> entries_;
  mutable size_t hits_ = 0;
  size_t stores_ = 0;
};

}  // namespace kiln

#endif  // KILN_CORE_TUNING_CACHE_HPP
