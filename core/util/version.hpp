#ifndef KILN_CORE_VERSION_HPP
#define KILN_CORE_VERSION_HPP
namespace kiln {
// The kiln release this core was built as ("0.1.0").
const char* version();
}  // namespace kiln
#endif  // KILN_CORE_VERSION_HPP
