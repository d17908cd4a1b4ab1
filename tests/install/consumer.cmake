# SPDX-License-Identifier: Apache-2.0
# ctest install_find_package: `cmake --install` of this build into a fresh prefix, then the
# example consumer (examples/consumer, find_package(neurark)) is configured and built against
# that prefix alone and run from a folder outside the source tree; the installed `neurark run`
# is run there too, on its own bundled defaults. Both reports must agree figure for figure (the
# same library on the same inputs), the installed CLI must have taken its model, chip and prompt
# from <prefix>/share/neurark, and both must name the build's commit. With -DPYTHON=<interpreter>
# the installed Python module must import from the prefix.
#   cmake -DBUILD_DIR=... -DSOURCE_DIR=... -DWORK=... -DCXX=... [-DPYTHON=...] -P consumer.cmake
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}/run")
set(prefix "${WORK}/prefix")

function(step what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err WORKING_DIRECTORY "${WORK}/run")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${out}\n${err}")
  endif()
  set(step_out "${out}" PARENT_SCOPE)
endfunction()

step("cmake --install" "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${prefix}")
foreach(f bin/neurark lib/cmake/neurark/neurarkConfig.cmake include/neurark/runs/run.hpp
          share/neurark/arch/chips/default-4x4.yaml share/neurark/models/zoo/shakespeare-d256-l4/config.json
          share/neurark/traces/prompts/heldout-400.txt share/doc/neurark/LICENSE)
  if(NOT EXISTS "${prefix}/${f}")
    message(FATAL_ERROR "cmake --install: ${prefix}/${f} is missing")
  endif()
endforeach()

# The consumer sees only the installed tree (and Debian's packages).
step("configure the consumer" "${CMAKE_COMMAND}" -S "${SOURCE_DIR}/examples/consumer" -B "${WORK}/build"
     "-DCMAKE_PREFIX_PATH=${prefix}" "-DCMAKE_CXX_COMPILER=${CXX}" -DCMAKE_BUILD_TYPE=Release)
step("build the consumer" "${CMAKE_COMMAND}" --build "${WORK}/build" -j 2)
step("run the consumer" "${WORK}/build/neurark_consumer" "ROMEO:" 4)
set(lib_json "${step_out}")

# The installed command line, from a folder without the repository's files: its defaults must
# come from the installed data.
step("installed neurark run" "${prefix}/bin/neurark" run --prompt "ROMEO:" --max-new-tokens 4 --out "${WORK}/report")
file(READ "${WORK}/report/report.json" cli_json)
string(JSON model GET "${cli_json}" model)
string(JSON chip GET "${cli_json}" chip file)
foreach(p IN ITEMS "${model}" "${chip}")
  string(FIND "${p}" "${prefix}/share/neurark/" at)
  if(NOT at EQUAL 0)
    message(FATAL_ERROR "the installed neurark used ${p}, expected a file under ${prefix}/share/neurark/")
  endif()
endforeach()

foreach(key tokens_per_s energy_per_token_j prefill_tokens_per_s prefill_energy_per_token_j cycles_per_token
            sops_per_token events_per_token energy_j generated_text tokens)
  string(JSON a GET "${lib_json}" ${key})
  string(JSON b GET "${cli_json}" ${key})
  if(NOT a STREQUAL b)
    message(FATAL_ERROR "${key}: the consumer's library call gives ${a}, the installed neurark run ${b}")
  endif()
endforeach()
string(JSON lib_commit GET "${lib_json}" producer commit)
string(JSON cli_commit GET "${cli_json}" producer commit)
step("installed neurark --version" "${prefix}/bin/neurark" --version)
string(FIND "${step_out}" "(commit ${cli_commit})" at)
if(at EQUAL -1 OR NOT lib_commit STREQUAL cli_commit OR cli_commit STREQUAL "")
  message(FATAL_ERROR "producer commit: consumer ${lib_commit}, report ${cli_commit}, --version: ${step_out}")
endif()
# The installed Python module (when this build has one): imported from the prefix alone, it is
# the build's version and finds the installed executable for its sweeps.
if(PYTHON)
  set(ENV{PYTHONPATH} "${prefix}/lib/python3/dist-packages")
  unset(ENV{NEURARK_EXE})
  step("import the installed Python module" "${PYTHON}" -c
       "import neurark, os\nprint(neurark.__version__)\nprint(os.path.realpath(neurark.__file__))\nprint(neurark.DEFAULT_CHIP)")  # no ';': step() takes a list
  string(FIND "${step_out}" "0.1.0\n${prefix}/lib/python3/dist-packages/neurark" at)
  string(FIND "${step_out}" "\n${prefix}/share/neurark/arch/chips/default-4x4.yaml" at_chip)
  if(NOT at EQUAL 0 OR at_chip EQUAL -1)
    message(FATAL_ERROR "the installed Python module: expected version 0.1.0 from ${prefix}/lib/python3/dist-packages "
                        "and its default chip from ${prefix}/share/neurark, got:\n${step_out}")
  endif()
endif()
# $NEURARK_DATA_DIR that is not a data folder is an error, not silently passed over.
set(ENV{NEURARK_DATA_DIR} "${WORK}/run")
execute_process(COMMAND "${prefix}/bin/neurark" run --max-new-tokens 2 --prompt R --out "${WORK}/bad-data-dir"
  RESULT_VARIABLE rc OUTPUT_QUIET ERROR_VARIABLE err WORKING_DIRECTORY "${WORK}/run")
unset(ENV{NEURARK_DATA_DIR})
string(FIND "${err}" "NEURARK_DATA_DIR=${WORK}/run: not a neurark data folder" at)
if(NOT rc EQUAL 1 OR at EQUAL -1 OR EXISTS "${WORK}/bad-data-dir")
  message(FATAL_ERROR "NEURARK_DATA_DIR=${WORK}/run: expected exit 1 naming it and no report, got ${rc}:\n${err}")
endif()
string(JSON tps GET "${cli_json}" tokens_per_s)
message(STATUS "installed package: consumer and installed CLI agree (${tps} tokens/s, commit ${cli_commit})")
file(REMOVE_RECURSE "${WORK}")
