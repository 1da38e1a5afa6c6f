# Runs one example and compares its standard output with the expected text:
#   cmake -DPROGRAM=<program> -DEXPECTED=<file.expected> -P run_example.cmake
# Fails when the program exits nonzero (showing its stderr and stdout), or
# when its stdout differs from the file in any byte (showing both texts).
cmake_minimum_required(VERSION 3.25)

if(NOT DEFINED PROGRAM OR NOT DEFINED EXPECTED)
  message(FATAL_ERROR "usage: cmake -DPROGRAM=<program> -DEXPECTED=<file> -P run_example.cmake")
endif()
if(NOT EXISTS "${EXPECTED}")
  message(FATAL_ERROR "no expected output: ${EXPECTED}")
endif()

execute_process(
  COMMAND "${PROGRAM}"
  OUTPUT_VARIABLE actual
  ERROR_VARIABLE errors
  RESULT_VARIABLE status
  TIMEOUT 100)

if(NOT "${status}" STREQUAL "0")
  message(FATAL_ERROR "${PROGRAM} failed (exit status: ${status})\n"
                      "--- stderr ---\n${errors}\n--- stdout ---\n${actual}\n--- end ---")
endif()

file(READ "${EXPECTED}" expected)
if(NOT "${actual}" STREQUAL "${expected}")
  message(FATAL_ERROR "${PROGRAM}: standard output differs from ${EXPECTED}\n"
                      "--- expected ---\n${expected}--- actual ---\n${actual}--- end ---\n"
                      "--- stderr ---\n${errors}")
endif()
message(STATUS "${PROGRAM}: output as expected")
