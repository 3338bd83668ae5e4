# SPDX-License-Identifier: MIT
# examples/server: weft_server and mutex_server under wrk load, checked by
# server_probe (tests/server_test.sh). Skipped (77) when wrk is missing.
add_subdirectory(${PROJECT_SOURCE_DIR}/examples/server
                 ${CMAKE_BINARY_DIR}/examples/server)
# weft_server is stopped by SIGTERM, mutex_server by GET /quit (-t).
foreach(s weft_server:sigterm mutex_server:quit)
  string(REPLACE ":" ";" s ${s})
  list(GET s 1 stop)
  list(GET s 0 s)
  add_test(NAME server_${s}
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/server_test.sh
                   $<TARGET_FILE:${s}> $<TARGET_FILE:server_probe>
                   ${PROJECT_SOURCE_DIR}/examples/server/session.lua ${stop})
  set_tests_properties(server_${s} PROPERTIES LABELS server TIMEOUT 180
                       SKIP_RETURN_CODE 77)
endforeach()
