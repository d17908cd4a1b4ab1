# SPDX-License-Identifier: Apache-2.0
# rtl/cmake/NrkModel.cmake: how a block of rtl/ becomes a Verilated model neurark can drive,
# written once. Included by rtl/CMakeLists.txt (the models compiled into neurark: the default
# chip's neurocore, the harnesses' design points) and by rtl/cmake/model/CMakeLists.txt (a model
# built on demand at a chip's parameters, into the cache: neurark/rtl/build.hpp). Needs
# find_package(verilator) first.
#
#   nrk_block_get(<out> <block> <field>)   a field of the block in rtl/blocks.json (a list for
#                                          an array)
#   nrk_block_sources(<out> <block>)       the package, then the block's sources: absolute paths
#   nrk_model(<target> STATIC|MODULE BLOCK <block> PREFIX <Vname> ENTRY <symbol>
#             [PARAMS <Name=value>...] [TRACE_FST])
#       the library <target>: the block verilated with -G<Name=value> (Verilator options and
#       -O levels from rtl/blocks.json), its port table (NrkPortTable.cmake) and the C interface
#       rtl/src/model_abi.cpp, whose entry function is <symbol>. A STATIC model is also listed in
#       the global property NRK_COMPILED_MODELS ("target|block|Vname|symbol|params"), from which
#       rtl/CMakeLists.txt writes the table of compiled-in models.
include_guard(GLOBAL)

get_filename_component(NRK_RTL_DIR "${CMAKE_CURRENT_LIST_DIR}/.." REALPATH)
set(NRK_MODEL_CMAKE_DIR "${CMAKE_CURRENT_LIST_DIR}")
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${NRK_RTL_DIR}/blocks.json")
file(READ "${NRK_RTL_DIR}/blocks.json" NRK_BLOCKS_JSON)

function(nrk_block_get out block field)
  string(JSON n LENGTH "${NRK_BLOCKS_JSON}" blocks)
  math(EXPR last "${n} - 1")
  foreach(i RANGE ${last})
    string(JSON name GET "${NRK_BLOCKS_JSON}" blocks ${i} name)
    if(NOT name STREQUAL block)
      continue()
    endif()
    string(JSON type TYPE "${NRK_BLOCKS_JSON}" blocks ${i} ${field})
    if(type STREQUAL "ARRAY")
      string(JSON m LENGTH "${NRK_BLOCKS_JSON}" blocks ${i} ${field})
      set(values)
      if(m GREATER 0)
        math(EXPR mlast "${m} - 1")
        foreach(j RANGE ${mlast})
          string(JSON v GET "${NRK_BLOCKS_JSON}" blocks ${i} ${field} ${j})
          list(APPEND values "${v}")
        endforeach()
      endif()
      set(${out} "${values}" PARENT_SCOPE)
    else()
      string(JSON v GET "${NRK_BLOCKS_JSON}" blocks ${i} ${field})
      set(${out} "${v}" PARENT_SCOPE)
    endif()
    return()
  endforeach()
  message(FATAL_ERROR "rtl/blocks.json: no block '${block}'")
endfunction()

function(nrk_block_sources out block)
  string(JSON pkg GET "${NRK_BLOCKS_JSON}" package)
  nrk_block_get(srcs ${block} sources)
  list(TRANSFORM srcs PREPEND "${NRK_RTL_DIR}/")
  set(${out} "${NRK_RTL_DIR}/${pkg}" ${srcs} PARENT_SCOPE)
endfunction()

function(nrk_model target kind)
  cmake_parse_arguments(M "TRACE_FST" "BLOCK;PREFIX;ENTRY" "PARAMS" ${ARGN})
  if(NOT M_BLOCK OR NOT M_PREFIX OR NOT M_ENTRY)
    message(FATAL_ERROR "nrk_model(${target}): BLOCK, PREFIX and ENTRY are required")
  endif()
  nrk_block_get(top ${M_BLOCK} top)
  nrk_block_get(vargs ${M_BLOCK} verilator_args)
  nrk_block_get(opt_fast ${M_BLOCK} opt_fast)
  nrk_block_get(opt_slow ${M_BLOCK} opt_slow)
  nrk_block_sources(srcs ${M_BLOCK})
  set(gargs)
  foreach(p IN LISTS M_PARAMS)
    list(APPEND gargs "-G${p}")
  endforeach()
  set(sorted ${M_PARAMS})
  list(SORT sorted)
  list(JOIN sorted "," params_text)

  add_library(${target} ${kind})
  set(trace)
  if(M_TRACE_FST)
    set(trace TRACE_FST)
  endif()
  verilate(${target} ${trace} PREFIX ${M_PREFIX} TOP_MODULE ${top} SOURCES ${srcs}
    VERILATOR_ARGS ${vargs} ${gargs} OPT_FAST ${opt_fast} OPT_SLOW ${opt_slow})
  set(vdir "${CMAKE_CURRENT_BINARY_DIR}/CMakeFiles/${target}.dir/${M_PREFIX}.dir")
  # Verilated C++ is not neurark's code: its headers are system headers under neurark's flags.
  target_include_directories(${target} SYSTEM PUBLIC "${VERILATOR_ROOT}/include" "${VERILATOR_ROOT}/include/vltstd" "${vdir}")

  # The port table, rewritten when Verilator rewrites the model (its .cmake file list is an
  # output of the same command as the header).
  set(ports "${vdir}/nrk_model_ports.inc")
  add_custom_command(OUTPUT "${ports}"
    COMMAND "${CMAKE_COMMAND}" "-DHEADER=${vdir}/${M_PREFIX}.h" "-DOUT=${ports}" -P "${NRK_MODEL_CMAKE_DIR}/NrkPortTable.cmake"
    DEPENDS "${vdir}/${M_PREFIX}.cmake" "${NRK_MODEL_CMAKE_DIR}/NrkPortTable.cmake" VERBATIM)
  # The C interface: a copy per model, so that each has its own port table dependency.
  set(abi "${vdir}/nrk_model_abi.cpp")
  configure_file("${NRK_RTL_DIR}/src/model_abi.cpp" "${abi}" COPYONLY)
  set_source_files_properties("${abi}" PROPERTIES OBJECT_DEPENDS "${ports};${NRK_RTL_DIR}/src/model_abi.h")
  target_sources(${target} PRIVATE "${abi}")
  target_include_directories(${target} PRIVATE "${NRK_RTL_DIR}/src")
  target_compile_definitions(${target} PRIVATE NRK_MODEL_CLASS=${M_PREFIX} "NRK_MODEL_HEADER=\"${M_PREFIX}.h\""
    NRK_MODEL_ENTRY=${M_ENTRY} "NRK_MODEL_BLOCK=\"${M_BLOCK}\"" "NRK_MODEL_TOP=\"${top}\""
    "NRK_MODEL_PARAMS=\"${params_text}\"")
  find_package(Threads REQUIRED)
  target_link_libraries(${target} PUBLIC Threads::Threads)
  if(kind STREQUAL "MODULE")
    # Only the entry function is visible: the model's own copy of Verilator's runtime never
    # meets another one's (neurark's, or another model's) in the process.
    set_target_properties(${target} PROPERTIES PREFIX "" CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON)
    target_link_options(${target} PRIVATE -Wl,-Bsymbolic -Wl,--no-undefined)
  else()
    set_property(GLOBAL APPEND PROPERTY NRK_COMPILED_MODELS "${target}|${M_BLOCK}|${M_PREFIX}|${M_ENTRY}|${params_text}")
  endif()
endfunction()
