# SPDX-License-Identifier: Apache-2.0
# Writes OUT: a C++ file defining neurark::arch::detail::kGitCommit, the source tree's commit
# (12 hex digits, "-dirty" when tracked files differ from it, "unknown" outside a git checkout).
# Run at every build (arch/CMakeLists.txt: target neurark_git_commit); OUT is rewritten only when
# its text changes, so an unchanged commit rebuilds nothing.
#   cmake -DSOURCE_DIR=<repo> -DOUT=<file.cpp> -P NeurarkGitCommit.cmake
set(commit "unknown")
find_program(GIT_EXECUTABLE git)
if(GIT_EXECUTABLE AND EXISTS "${SOURCE_DIR}/.git")
  execute_process(COMMAND "${GIT_EXECUTABLE}" -C "${SOURCE_DIR}" rev-parse --short=12 HEAD
    OUTPUT_VARIABLE head RESULT_VARIABLE rc OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(rc EQUAL 0 AND head)
    set(commit "${head}")
    execute_process(COMMAND "${GIT_EXECUTABLE}" -C "${SOURCE_DIR}" status --porcelain --untracked-files=no
      OUTPUT_VARIABLE changes RESULT_VARIABLE rc2 ERROR_QUIET)
    if(rc2 EQUAL 0 AND NOT changes STREQUAL "")
      string(APPEND commit "-dirty")
    endif()
  endif()
endif()
set(text "// Written by cmake/NeurarkGitCommit.cmake at build time: the commit this build was made from.\n#include \"neurark/arch/version.hpp\"\n\nnamespace neurark::arch::detail {\nconst char* const kGitCommit = \"${commit}\";\n}  // namespace neurark::arch::detail\n")
set(old "")
if(EXISTS "${OUT}")
  file(READ "${OUT}" old)
endif()
if(NOT old STREQUAL text)
  file(WRITE "${OUT}" "${text}")
endif()
