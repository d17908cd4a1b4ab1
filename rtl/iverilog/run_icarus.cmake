# SPDX-License-Identifier: Apache-2.0
# rtl/iverilog/run_icarus.cmake: one ctest of rtl/iverilog (cmake -P). Steps:
#   1. the vector generator writes WORK/BLOCK.vec (+ nrk_params.svh, sigmoid_lut.hex);
#   2. iverilog -g2012 compiles SOURCES ('|'-separated, nrk_pkg.sv first: Icarus needs a package
#      before its users), then the testbench TOP; any "warning" line fails the test (Icarus'
#      "sorry" notes about ignored qualifiers do not);
#   3. vvp runs it.
# EXPECT=pass: vvp must exit 0 and print "RESULT: PASS".
# EXPECT=x:    the run must fail because of X/Z (a deliberately broken copy of a block): vvp exits
#              non-zero, prints "RESULT: FAIL", an "X-FAIL" line and a SUMMARY with x > 0.
# EXPECT=mismatch: the run must fail with wrong values and no X: "FIRST-FAIL", mismatches > 0.
# The environment variable NRK_IVERILOG_SEED overrides SEED (vectors and handshake throttling).
foreach(v GEN BLOCK VECTORS SEED IVERILOG VVP WORK TOP SOURCES TB_DIR EXPECT)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "run_icarus.cmake: -D${v}=... missing")
  endif()
endforeach()
if(DEFINED ENV{NRK_IVERILOG_SEED} AND NOT "$ENV{NRK_IVERILOG_SEED}" STREQUAL "")
  set(SEED "$ENV{NRK_IVERILOG_SEED}")
endif()

file(MAKE_DIRECTORY "${WORK}")
execute_process(COMMAND "${GEN}" ${BLOCK} "${WORK}" --seed ${SEED} --vectors ${VECTORS}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
message("${out}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "vector generation failed (${rc})")
endif()

string(REPLACE "|" ";" srcs "${SOURCES}")
execute_process(COMMAND "${IVERILOG}" -g2012 -Wall -o "${WORK}/${TOP}.vvp" -s ${TOP}
    -I "${TB_DIR}" -I "${WORK}" ${srcs} "${TB_DIR}/${TOP}.sv"
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT out STREQUAL "")
  message("iverilog:\n${out}")
endif()
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "iverilog failed (${rc})")
endif()
if(out MATCHES "[Ww]arning")
  message(FATAL_ERROR "iverilog printed warnings (see above)")
endif()

execute_process(COMMAND "${VVP}" -n "${WORK}/${TOP}.vvp" "+vec=${WORK}/${BLOCK}.vec"
    "+lut=${WORK}/sigmoid_lut.hex" "+seed=${SEED}"
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
message("${out}")
if(EXPECT STREQUAL "pass")
  if(NOT rc EQUAL 0 OR NOT out MATCHES "RESULT: PASS")
    message(FATAL_ERROR "${TOP}: FAILED under Icarus (vvp exit ${rc})")
  endif()
elseif(EXPECT STREQUAL "x")
  if(rc EQUAL 0 OR NOT out MATCHES "RESULT: FAIL" OR NOT out MATCHES "X-FAIL"
     OR NOT out MATCHES "SUMMARY [a-z_]+: vectors=[0-9]+ mismatches=[0-9]+ x=[1-9]")
    message(FATAL_ERROR "${TOP}: the broken copy was expected to fail with X/Z outputs, it did not")
  endif()
  message("${TOP}: the broken copy fails with X/Z outputs, as expected")
elseif(EXPECT STREQUAL "mismatch")
  if(rc EQUAL 0 OR NOT out MATCHES "RESULT: FAIL" OR NOT out MATCHES "FIRST-FAIL"
     OR NOT out MATCHES "SUMMARY [a-z_]+: vectors=[0-9]+ mismatches=[1-9][0-9]* x=0 ")
    message(FATAL_ERROR "${TOP}: the broken copy was expected to fail with mismatches (and no X), it did not")
  endif()
  message("${TOP}: the broken copy fails with mismatches, as expected")
else()
  message(FATAL_ERROR "run_icarus.cmake: EXPECT=${EXPECT}")
endif()
