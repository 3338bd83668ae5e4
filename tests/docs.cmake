# SPDX-License-Identifier: MIT
# docs_contract (label "unit"): every WEFT_API declaration in
# include/weft/*.h has a comment directly above it with a "Return:"
# paragraph (void functions excepted), and every header's file comment has
# a "Thread safety" paragraph (issue #10). Plain sh + awk:
# tests/docs/check_contract.sh.
add_test(NAME docs_contract
         COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/docs/check_contract.sh
                 ${PROJECT_SOURCE_DIR}/include)
set_tests_properties(docs_contract PROPERTIES LABELS unit)
