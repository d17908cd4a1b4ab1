# SPDX-License-Identifier: Apache-2.0
# rtl/cmake/NrkPortTable.cmake: the port table of a Verilated model (cmake -P).
#   cmake -DHEADER=<Vtop.h> -DOUT=<nrk_model_ports.inc> -P NrkPortTable.cmake
# Reads the ports Verilator declares in the model's header (VL_IN8(&name,msb,lsb); ...
# VL_OUTW(&name,msb,lsb,words);) and writes one NRK_PORT(name, msb, lsb, output) line per port,
# which rtl/src/model_abi.cpp turns into the model's port table. OUT is rewritten only when it
# changes.
cmake_minimum_required(VERSION 3.16)
if(NOT HEADER OR NOT OUT)
  message(FATAL_ERROR "NrkPortTable.cmake: usage: cmake -DHEADER=Vtop.h -DOUT=ports.inc -P NrkPortTable.cmake")
endif()
file(STRINGS "${HEADER}" lines REGEX "^[ \t]*VL_(IN|OUT|INOUT)(8|16|64|W)?\\(")
set(text "// Written by rtl/cmake/NrkPortTable.cmake from ${HEADER}: NRK_PORT(name, msb, lsb, output).\n")
set(n 0)
foreach(line IN LISTS lines)
  if(line MATCHES "VL_(IN|OUT|INOUT)(8|16|64|W)?\\(&?([A-Za-z_][A-Za-z0-9_]*),([0-9]+),([0-9]+)")
    if(CMAKE_MATCH_1 STREQUAL "INOUT")
      message(FATAL_ERROR "NrkPortTable.cmake: ${HEADER}: inout port ${CMAKE_MATCH_3} (the model interface has none)")
    endif()
    set(is_output 0)
    if(CMAKE_MATCH_1 STREQUAL "OUT")
      set(is_output 1)
    endif()
    string(APPEND text "NRK_PORT(${CMAKE_MATCH_3}, ${CMAKE_MATCH_4}, ${CMAKE_MATCH_5}, ${is_output})\n")
    math(EXPR n "${n} + 1")
  endif()
endforeach()
if(n EQUAL 0)
  message(FATAL_ERROR "NrkPortTable.cmake: no port found in ${HEADER}")
endif()
file(WRITE "${OUT}.tmp" "${text}")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUT}.tmp")
