// .npy round trips and malformed files.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <cstring>
#include <random>

#include "util/error.hpp"
#include "util/npy.hpp"

namespace kiln {
namespace {

std::string temp_path(const std::string& name) { return testing::TempDir() + "/" + name; }

TEST(Npy, RoundTripsEveryShapeRank) {
  std::mt19937 rng(5);
  for (const std::vector<int64_t>& dims : std::vector<std::vector<int64_t>>{{}, {7}, {2, 3}, {2, 0, 4}, {1, 3, 5, 2}}) {
    Tensor t(KILN_DTYPE_FLOAT32, dims);
    for (int64_t i = 0; i < t.numel(); ++i) t.as<float>()[i] = std::uniform_real_distribution<float>(-5, 5)(rng);
    const std::string path = temp_path("round_trip.npy");
    write_npy(path, t);
    const Tensor back = read_npy(path);
    EXPECT_EQ(back.dtype(), t.dtype());
    EXPECT_EQ(back.dims(), t.dims());
    for (int64_t i = 0; i < t.numel(); ++i) EXPECT_EQ(back.as<float>()[i], t.as<float>()[i]);
  }
}

TEST(Npy, RoundTripsIntegerAndBoolTypes) {
  for (DataType dtype : {KILN_DTYPE_INT64, KILN_DTYPE_INT32, KILN_DTYPE_INT8, KILN_DTYPE_UINT8, KILN_DTYPE_BOOL,
                         KILN_DTYPE_FLOAT16, KILN_DTYPE_FLOAT64}) {
    Tensor t(dtype, {3, 2});
    auto* bytes = static_cast<uint8_t*>(t.data());
    for (size_t i = 0; i < t.bytes(); ++i) bytes[i] = dtype == KILN_DTYPE_BOOL ? (i % 2) : static_cast<uint8_t>(i * 7 + 1);
    const std::string path = temp_path("types.npy");
    write_npy(path, t);
    const Tensor back = read_npy(path);
    ASSERT_EQ(back.dtype(), dtype);
    EXPECT_EQ(std::memcmp(back.data(), t.data(), t.bytes()), 0) << dtype_name(dtype);
  }
}

TEST(Npy, MalformedFilesAreErrorsNamingTheFile) {
  const std::string path = temp_path("bad.npy");
  auto message_for = [&](const std::string& content) {
    std::ofstream(path, std::ios::binary) << content;
    try {
      read_npy(path);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message_for("hello").find("not a .npy file"), std::string::npos);
  EXPECT_NE(message_for(std::string("\x93NUMPY\x01\x00\x40\x00", 10) + "{'descr'").find("truncated"), std::string::npos);
  std::string header = "{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }";
  EXPECT_NE(message_for(std::string("\x93NUMPY\x01\x00", 8) + char(header.size()) + '\0' + header).find("unsupported"),
            std::string::npos);
  header = "{'descr': '<f4', 'fortran_order': False, 'shape': (1000,), }";
  EXPECT_NE(message_for(std::string("\x93NUMPY\x01\x00", 8) + char(header.size()) + '\0' + header + "abcd")
                .find("shorter"),
            std::string::npos);
  EXPECT_NE(message_for("").find(path), std::string::npos);
}

}  // namespace
}  // namespace kiln
