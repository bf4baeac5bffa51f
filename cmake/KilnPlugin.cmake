# kiln_add_plugin(<target> SOURCES ...): an operator pack as a MODULE library that exports only its entry symbol.
function(kiln_add_plugin target)
  cmake_parse_arguments(ARG "" "" "SOURCES" ${ARGN})
  add_library(${target} MODULE ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE kiln::plugin_sdk)
  set_target_properties(${target} PROPERTIES
    CXX_VISIBILITY_PRESET hidden
    C_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    LIBRARY_OUTPUT_DIRECTORY "${KILN_PLUGIN_OUTPUT_DIR}")
  # Hidden visibility leaves out what the compiler emits as unique globals (function-local statics of inline
  # templates, such as libstdc++'s to_chars digit table): a version script keeps only the entry point global, so
  # two packs never bind to each other's copies.
  set(exports "${CMAKE_CURRENT_BINARY_DIR}/${target}.exports")
  file(WRITE "${exports}" "{ global: kiln_plugin_entry; local: *; };\n")
  target_link_options(${target} PRIVATE -Wl,--exclude-libs,ALL -Wl,--no-undefined -Wl,--version-script=${exports})
  set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS "${exports}")
  install(TARGETS ${target} LIBRARY DESTINATION "${KILN_PLUGIN_INSTALL_DIR}")
endfunction()
