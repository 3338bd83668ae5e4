# SPDX-License-Identifier: MIT
# Build examples/ and run every example as a unit test (each exits non-zero
# when one of its own checks fails).
add_subdirectory(${PROJECT_SOURCE_DIR}/examples ${CMAKE_BINARY_DIR}/examples)
foreach(name ${WEFT_EXAMPLES})
  add_test(NAME example_${name} COMMAND example_${name})
  set_tests_properties(example_${name} PROPERTIES LABELS unit TIMEOUT 60)
endforeach()
