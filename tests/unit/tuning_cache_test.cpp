// The timing cache file: what kernels measured survives a round trip, a missing file is an empty cache, a
// malformed line is an error naming file:line, and keys and values cannot break the one-entry-per-line format.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "plugin/tuning_cache.hpp"
#include "util/error.hpp"

namespace kiln {
namespace {

namespace fs = std::filesystem;

fs::path fresh_path(const std::string& name) {
  const fs::path path = fs::absolute(testing::TempDir()) / "tuning_cache_test" / name;
  fs::create_directories(path.parent_path());
  fs::remove(path);
  return path;
}

TEST(TuningCache, RoundTripsThroughItsFile) {
  const fs::path path = fresh_path("round_trip.cache");
  {
    TuningCache cache(path.string());  // no file yet: empty
    EXPECT_EQ(cache.size(), 0u);
    EXPECT_FALSE(cache.get("kiln.cuda.Conv f16[1,64,56,56] H100"));
    cache.put("kiln.cuda.Conv f16[1,64,56,56] H100", "algo 1");
    cache.put("kiln.cuda.Gemm f32[8,512]x[512,1000] H100", "heuristic 3 of 8");
    cache.put("kiln.cuda.Conv f16[1,64,56,56] H100", "algo 6");  // a later measurement replaces the earlier
    EXPECT_EQ(cache.stores(), 3u);
    cache.save();
  }
  ASSERT_TRUE(fs::exists(path));
  EXPECT_FALSE(fs::exists(path.string() + ".tmp"));
  const TuningCache again(path.string());
  EXPECT_EQ(again.size(), 2u);
  EXPECT_EQ(again.get("kiln.cuda.Conv f16[1,64,56,56] H100").value_or(""), "algo 6");
  EXPECT_EQ(again.get("kiln.cuda.Gemm f32[8,512]x[512,1000] H100").value_or(""), "heuristic 3 of 8");
  EXPECT_EQ(again.hits(), 2u);
  EXPECT_EQ(again.stores(), 0u);
}

TEST(TuningCache, SavingCreatesTheFolderAndSkipsAnUnchangedCache) {
  const fs::path dir = fs::absolute(testing::TempDir()) / "tuning_cache_test" / "nested.dir";
  fs::remove_all(dir);
  const fs::path path = dir / "deeper" / "timing.cache";
  TuningCache unchanged(path.string());
  unchanged.save();
  EXPECT_FALSE(fs::exists(path)) << "nothing stored: nothing written";
  TuningCache cache(path.string());
  cache.put("k", "v");
  cache.save();
  EXPECT_EQ(TuningCache(path.string()).get("k").value_or(""), "v");
  TuningCache in_memory;  // no path: save does nothing
  in_memory.put("k", "v");
  EXPECT_NO_THROW(in_memory.save());
  EXPECT_EQ(in_memory.get("k").value_or(""), "v");
}

TEST(TuningCache, TabsAndLineBreaksCannotBreakTheFormat) {
  const fs::path path = fresh_path("sanitized.cache");
  {
    TuningCache cache(path.string());
    cache.put("key\twith tab", "value\nwith\rbreaks");
    cache.save();
  }
  const TuningCache again(path.string());
  EXPECT_EQ(again.size(), 1u);
  EXPECT_EQ(again.get("key\twith tab").value_or(""), "value with breaks");  // looked up as it was stored
  EXPECT_EQ(again.get("key with tab").value_or(""), "value with breaks");
}

TEST(TuningCache, AMalformedLineIsAnErrorNamingFileAndLine) {
  const fs::path path = fresh_path("malformed.cache");
  std::ofstream(path) << "# kiln timing cache v1: KEY<tab>VALUE per line\n"
                         "good key\tgood value\n"
                         "\n"
                         "a line without a tab\n";
  try {
    TuningCache cache(path.string());
    FAIL() << "read a malformed cache";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).rfind(path.string() + ":4: malformed timing-cache entry", 0), 0u) << e.what();
  }
  std::ofstream(path) << "\tvalue without a key\n";
  try {
    TuningCache cache(path.string());
    FAIL() << "read an entry without a key";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path.string() + ":1:"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace kiln
