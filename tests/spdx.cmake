# SPDX-License-Identifier: Apache-2.0
# ctest spdx_headers: every source file of the repository (C++, SystemVerilog, Python, shell,
# CMake) names its licence in an SPDX-License-Identifier line among its first lines (LICENSE,
# docs/install.md). Build folders (build*/) are not sources.
#   cmake -DSOURCE_DIR=<repo> -P spdx.cmake
file(GLOB_RECURSE files RELATIVE "${SOURCE_DIR}" LIST_DIRECTORIES false
  "${SOURCE_DIR}/*.cpp" "${SOURCE_DIR}/*.hpp" "${SOURCE_DIR}/*.h" "${SOURCE_DIR}/*.sv" "${SOURCE_DIR}/*.svh"
  "${SOURCE_DIR}/*.py" "${SOURCE_DIR}/*.sh" "${SOURCE_DIR}/*.cmake" "${SOURCE_DIR}/*.in" "${SOURCE_DIR}/CMakeLists.txt")
set(missing)
set(checked 0)
foreach(f IN LISTS files)
  if(f MATCHES "^build" OR f MATCHES "(^|/)\\.")
    continue()
  endif()
  file(READ "${SOURCE_DIR}/${f}" head LIMIT 400)
  string(FIND "${head}" "SPDX-License-Identifier: Apache-2.0" at)
  if(at EQUAL -1)
    list(APPEND missing "${f}")
  endif()
  math(EXPR checked "${checked} + 1")
endforeach()
if(missing)
  list(JOIN missing "\n  " text)
  message(FATAL_ERROR "these source files have no 'SPDX-License-Identifier: Apache-2.0' line in their first 400 bytes:\n  ${text}")
endif()
if(checked LESS 200)
  message(FATAL_ERROR "only ${checked} source files found under ${SOURCE_DIR}: expected the whole repository")
endif()
message(STATUS "${checked} source files, each with its SPDX line")
