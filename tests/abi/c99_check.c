/* Compiled by the test plugin_abi_is_c99 with -std=c99 -pedantic -Wall -Werror: the ABI header is plain C99. */
#include "kiln/plugin.h"

int main(void) {
  kiln_kernel_desc desc = {0};
  desc.struct_size = sizeof desc;
  return desc.struct_size == sizeof(kiln_kernel_desc) ? 0 : 1;
}
