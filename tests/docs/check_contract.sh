#!/bin/sh
# SPDX-License-Identifier: MIT
# docs_contract (tests/docs.cmake): the comment convention of issue #10 for
# the public headers. Usage: check_contract.sh <include dir>
#
# Convention checked, per include/weft/*.h:
#  - the file comment ("weft/x.h - ...") has a "Thread safety" paragraph;
#  - every WEFT_API declaration has a comment directly above it: no blank
#    line between the comment's end and the declaration. Declarations
#    stacked without blank lines (and # lines among them) share the comment
#    above the first of them;
#  - that comment contains "Return:", unless every function it covers
#    returns void.
# Prints one line per violation; exits 1 if there is any.
dir=${1:-include}
status=0
for h in "$dir"/weft/*.h; do
    awk -v file="$h" '
    function fail(msg) { printf "%s:%d: %s\n", file, NR, msg; bad = 1 }
    # A group ended: its non-void functions need "Return:" in its comment.
    function close_group() {
        if (nonvoid != "" && grp_cmt !~ /Return:/)
            printf "%s:%d: no \"Return:\" in the comment of %s\n", file,
                grp_line, nonvoid, bad = 1
        nonvoid = ""; in_grp = 0
    }
    BEGIN { incmt = 0; cmt = ""; have_cmt = 0; intro_seen = 0; bad = 0 }
    incmt {
        cmt = cmt "\n" $0
        if ($0 ~ /\*\//) { incmt = 0; have_cmt = 1; end_cmt() }
        next
    }
    function end_cmt() {
        if (!intro_seen && cmt ~ /weft\/[a-z_]+\.h - /) {
            intro_seen = 1
            if (cmt !~ /Thread safety/)
                fail("no \"Thread safety\" paragraph in the file comment")
        }
    }
    /^[ \t]*\/\*/ {
        close_group()
        cmt = $0; have_cmt = 0
        if ($0 ~ /\*\//) { have_cmt = 1; end_cmt() } else incmt = 1
        next
    }
    /^[ \t]*$/ { close_group(); have_cmt = 0; next }
    /^WEFT_API[ \t]/ {
        if (!in_grp) {
            if (!have_cmt) fail("WEFT_API declaration without a comment above")
            in_grp = 1; grp_cmt = have_cmt ? cmt : ""; grp_line = NR
        }
        if ($0 !~ /^WEFT_API[ \t]+void[ \t]+[a-z_0-9]+[ \t]*\(/) {
            name = $0; sub(/\(.*/, "", name); sub(/.*[ *]/, "", name)
            nonvoid = nonvoid (nonvoid == "" ? "" : ", ") name "()"
        }
        next
    }
    { if (!in_grp && $0 !~ /^#/) have_cmt = 0 }
    END {
        close_group()
        if (!intro_seen) fail("no file comment (\"weft/x.h - ...\")")
        exit bad
    }' "$h" || status=1
done
[ $status -eq 0 ] && echo "docs_contract: ok"
exit $status
