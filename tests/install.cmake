# SPDX-License-Identifier: MIT
# Install weft into a temporary prefix and build an example against the
# installed copy with pkg-config and with find_package(weft CONFIG)
# (tests/install/run.cmake). The sanitizer flags of this build are passed
# on: a sanitized libweft needs a sanitized program.
set(_weft_install_cflags "")
if(WEFT_SANITIZE)
  string(REPLACE ";" "," _weft_san "${WEFT_SANITIZE}")
  set(_weft_install_cflags "-fsanitize=${_weft_san} -fno-omit-frame-pointer")
  if("undefined" IN_LIST WEFT_SANITIZE)
    string(APPEND _weft_install_cflags " -fno-sanitize-recover=all")
  endif()
endif()
add_test(NAME install_consumer
  COMMAND ${CMAKE_COMMAND}
    -DBUILD=${CMAKE_BINARY_DIR}
    -DWORK=${CMAKE_CURRENT_BINARY_DIR}/install-test
    -DEXAMPLE=${PROJECT_SOURCE_DIR}/examples/cache.c
    -DSOURCE=${CMAKE_CURRENT_SOURCE_DIR}/install
    -DCC=${CMAKE_C_COMPILER}
    -DCFLAGS=${_weft_install_cflags}
    -DCONFIG=${CMAKE_BUILD_TYPE}
    -P ${CMAKE_CURRENT_SOURCE_DIR}/install/run.cmake)
set_tests_properties(install_consumer PROPERTIES LABELS unit TIMEOUT 300)
