#include "util/version.hpp"

namespace kiln {
const char* version() { return KILN_VERSION; }
}  // namespace kiln
