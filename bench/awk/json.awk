# SPDX-License-Identifier: MIT
# json.awk - results as JSON: the machine and run configuration (passed as
# -v variables), every (benchmark, params, system) with each run's value,
# the missing systems and the failed invocations.
# Usage: awk -v host=... -f json.awk agg.tsv missing.tsv failures.tsv
BEGIN { FS = "\t" }
function q(s) {
    gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s); gsub(/\t/, "\\t", s)
    gsub(/\r/, "", s); gsub(/\n/, "\\n", s)
    return "\"" s "\""
}
function jnum(v) { return v == "" ? "null" : sprintf("%.6g", v) }
FILENAME == ARGV[1] {
    rows = rows (nrow++ ? ",\n" : "") \
        sprintf("    {\"benchmark\": %s, \"params\": %s, \"system\": %s, " \
                "\"unit\": %s, \"better\": %s, \"runs\": [%s], " \
                "\"median\": %s, \"min\": %s, \"max\": %s}",
                q($1), q($2), q($3), q($4), q($5), $10, jnum($7),
                jnum($8), jnum($9))
    next
}
FILENAME == ARGV[2] {
    miss = miss (nmiss++ ? ",\n" : "") \
        sprintf("    {\"binary\": %s, \"benchmark\": %s, \"params\": %s, " \
                "\"system\": %s, \"reason\": %s}",
                q($1), q($2), q($3), q($4), q($5))
    next
}
{
    fail = fail (nfail++ ? ",\n" : "") \
        sprintf("    {\"binary\": %s, \"run\": %s, \"exit\": %s, \"note\": %s}",
                q($2), $1 + 0, $3 + 0, q($4))
}
END {
    print "{"
    print "  \"machine\": {"
    print "    \"hostname\": " q(host) ","
    print "    \"nproc\": " nproc + 0 ","
    print "    \"cpu_model\": " q(cpu) ","
    print "    \"kernel\": " q(kernel) ","
    print "    \"compilers\": {\"c\": " q(cc) ", \"cxx\": " q(cxx) \
          ", \"gcc\": " q(gcc) ", \"clang\": " q(clang) "},"
    print "    \"flags\": {\"build_type\": " q(btype) ", \"c\": " q(cflags) \
          ", \"cxx\": " q(cxxflags) "},"
    print "    \"libraries\": " q(libs)
    print "  },"
    print "  \"git\": {\"commit\": " q(commit) ", \"dirty\": " \
          (dirty ? "true" : "false") "},"
    print "  \"date\": " q(date) ","
    print "  \"config\": {\"runs\": " runs + 0 ", \"quick\": " \
          (quick ? "true" : "false") ", \"threads\": " q(threads) \
          ", \"filter\": " q(filter) "},"
    print "  \"rows\": [\n" rows "\n  ],"
    print "  \"missing\": [\n" miss "\n  ],"
    print "  \"failures\": [\n" fail "\n  ]"
    print "}"
}
