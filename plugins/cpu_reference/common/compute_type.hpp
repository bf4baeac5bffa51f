// The type a reference kernel computes in for each storage type: float16 widens to float, the rest stay.
#ifndef KILN_CPU_REF_COMPUTE_TYPE_HPP
#define KILN_CPU_REF_COMPUTE_TYPE_HPP

#include "kiln/plugin.hpp"

namespace kiln::cpu_ref {

template <class T> struct compute_type { using type = T; };
template <> struct compute_type<float16> { using type = float; };
template <class T> using compute_type_t = typename compute_type<T>::type;

}  // namespace kiln::cpu_ref

#endif  // KILN_CPU_REF_COMPUTE_TYPE_HPP
