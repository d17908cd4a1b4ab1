# SPDX-License-Identifier: Apache-2.0
# `cmake --install BUILD [--prefix P]`: what an installed neurark is (docs/install.md).
#   P/bin/neurark                           the command line
#   P/lib/libneurark_*.a                    the libraries (and the Verilated models compiled in)
#   P/include/neurark/<part>/*.hpp          their headers
#   P/lib/cmake/neurark/                    find_package(neurark): imported targets neurark::<part>
#   P/share/neurark/                        the bundled data the commands default to: arch/ (chip
#                                           presets, energy and technology tables, sweep spaces),
#                                           models/zoo/, traces/prompts/, rtl/ (the SystemVerilog the
#                                           on-demand Verilated models are built from)
#   P/share/doc/neurark/                    LICENSE, NOTICE, the README and the data's licences
# An installed `neurark` finds P/share/neurark next to itself (arch::installed_data_dir).
include(CMakePackageConfigHelpers)

set(NEURARK_LIBRARIES neurark_arch neurark_traces neurark_models neurark_compiler neurark_sim neurark_runs
  neurark_reports neurark_sweeps)
set(NEURARK_HEADER_PARTS arch traces models compiler sim runs reports sweeps)
set(NEURARK_RTL_MODEL_TARGETS)
# The static libraries of Verilated models neurark_rtl links (rtl/*/CMakeLists.txt,
# rtl/cmake/NrkModel.cmake), found by walking its link libraries: they are installed and exported
# with it. Their include folders (Verilator's, the generated code's) are for building them only.
function(neurark_collect_static_deps tgt)
  get_target_property(deps ${tgt} LINK_LIBRARIES)
  foreach(d IN LISTS deps)
    if(NOT TARGET "${d}" OR d IN_LIST NEURARK_LIBRARIES OR d IN_LIST NEURARK_RTL_MODEL_TARGETS)
      continue()
    endif()
    get_target_property(type ${d} TYPE)
    get_target_property(imported ${d} IMPORTED)
    if(NOT type STREQUAL "STATIC_LIBRARY" OR imported)
      continue()
    endif()
    list(APPEND NEURARK_RTL_MODEL_TARGETS ${d})
    set(NEURARK_RTL_MODEL_TARGETS "${NEURARK_RTL_MODEL_TARGETS}" PARENT_SCOPE)
    foreach(prop INTERFACE_INCLUDE_DIRECTORIES INTERFACE_SYSTEM_INCLUDE_DIRECTORIES)
      get_target_property(dirs ${d} ${prop})
      if(dirs)
        set(wrapped)
        foreach(dir IN LISTS dirs)
          list(APPEND wrapped "$<BUILD_INTERFACE:${dir}>")
        endforeach()
        set_target_properties(${d} PROPERTIES ${prop} "${wrapped}")
      endif()
    endforeach()
    neurark_collect_static_deps(${d})
    set(NEURARK_RTL_MODEL_TARGETS "${NEURARK_RTL_MODEL_TARGETS}" PARENT_SCOPE)
  endforeach()
endfunction()
if(NEURARK_BUILD_RTL)
  list(APPEND NEURARK_LIBRARIES neurark_rtl)
  list(APPEND NEURARK_HEADER_PARTS rtl)
  neurark_collect_static_deps(neurark_rtl)
endif()
foreach(lib IN LISTS NEURARK_LIBRARIES)
  string(REPLACE "neurark_" "" part "${lib}")
  set_target_properties(${lib} PROPERTIES EXPORT_NAME ${part})
endforeach()
set_target_properties(neurark PROPERTIES EXPORT_NAME neurark)

install(TARGETS neurark ${NEURARK_LIBRARIES} ${NEURARK_RTL_MODEL_TARGETS} EXPORT neurarkTargets
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
foreach(part IN LISTS NEURARK_HEADER_PARTS)
  install(DIRECTORY "${PROJECT_SOURCE_DIR}/${part}/include/" DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
endforeach()

set(NEURARK_DATA_INSTALL_DIR "${CMAKE_INSTALL_DATADIR}/neurark")
foreach(d chips energy technology sweeps)
  install(DIRECTORY "${PROJECT_SOURCE_DIR}/arch/${d}" DESTINATION "${NEURARK_DATA_INSTALL_DIR}/arch")
endforeach()
install(DIRECTORY "${PROJECT_SOURCE_DIR}/models/zoo" DESTINATION "${NEURARK_DATA_INSTALL_DIR}/models")
install(DIRECTORY "${PROJECT_SOURCE_DIR}/traces/prompts" DESTINATION "${NEURARK_DATA_INSTALL_DIR}/traces")
if(NEURARK_BUILD_RTL)  # the sources on-demand Verilated models are built from (verify-rtl --chip, --rtl-cores)
  install(DIRECTORY "${PROJECT_SOURCE_DIR}/rtl/" DESTINATION "${NEURARK_DATA_INSTALL_DIR}/rtl"
    PATTERN "iverilog" EXCLUDE PATTERN "tools" EXCLUDE PATTERN "*_tb.cpp" EXCLUDE)
endif()
install(FILES "${PROJECT_SOURCE_DIR}/LICENSE" "${PROJECT_SOURCE_DIR}/NOTICE" "${PROJECT_SOURCE_DIR}/README.md"
  DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES "${PROJECT_SOURCE_DIR}/data/tinyshakespeare/README.md" DESTINATION ${CMAKE_INSTALL_DOCDIR}
  RENAME tinyshakespeare-README.md)

set(NEURARK_CMAKE_INSTALL_DIR "${CMAKE_INSTALL_LIBDIR}/cmake/neurark")
install(EXPORT neurarkTargets NAMESPACE neurark:: DESTINATION "${NEURARK_CMAKE_INSTALL_DIR}")
configure_package_config_file("${PROJECT_SOURCE_DIR}/cmake/neurarkConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/neurarkConfig.cmake" INSTALL_DESTINATION "${NEURARK_CMAKE_INSTALL_DIR}"
  PATH_VARS NEURARK_DATA_INSTALL_DIR)
write_basic_package_version_file("${PROJECT_BINARY_DIR}/neurarkConfigVersion.cmake" COMPATIBILITY SameMinorVersion)
install(FILES "${PROJECT_BINARY_DIR}/neurarkConfig.cmake" "${PROJECT_BINARY_DIR}/neurarkConfigVersion.cmake"
  DESTINATION "${NEURARK_CMAKE_INSTALL_DIR}")
