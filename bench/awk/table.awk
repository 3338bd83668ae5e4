# SPDX-License-Identifier: MIT
# table.awk - the one results table: a row per (benchmark, params), a column
# per system (weft, the mutex baseline, seq, then peers), cells
# "median [min-max]", and weft/baseline (baseline: mutex, else seq).
# Usage: awk -v ncpu=N -f table.awk agg.tsv missing.tsv
#   agg.tsv from stats.awk (already sorted); missing.tsv: binary TAB bench
#   TAB params TAB system TAB reason.
BEGIN {
    FS = "\t"
    pref = "weft mutex seq tbb omp-gcc omp-llvm glib lace"
    np = split(pref, P, " ")
    for (i = 1; i <= np; i++) rank[P[i]] = i
}
# weft's own variants (weft-atomic, weft-outside, ...) follow weft.
function rankof(s) {
    if (s in rank) return rank[s]
    return s ~ /^weft-/ ? 1.5 : 100
}
function num(v,    a) {
    a = v < 0 ? -v : v
    if (a >= 1e6) return sprintf("%.2fM", v / 1e6)
    if (a >= 1e4) return sprintf("%.1fk", v / 1e3)
    if (a >= 100) return sprintf("%.0f", v)
    if (a >= 10) return sprintf("%.1f", v)
    if (a >= 1) return sprintf("%.2f", v)
    return sprintf("%.3g", v)
}
function addsys(s) { if (!(s in seen)) { seen[s] = 1; sys[++ns] = s } }
function addrow(r) { if (!(r in rseen)) { rseen[r] = 1; row[++nr] = r } }
FNR == NR {
    r = $1 FS $2
    addrow(r); addsys($3)
    cell[r, $3] = num($7) " [" num($8) "-" num($9) "]"
    med[r, $3] = $7; unit[r] = $4; better[r] = $5
    bench[$1] = 1
    next
}
{   # missing rows; "*" params: every row of that benchmark
    key = $3
    if (key != "*") addrow($2 FS $3)
    if (!(($4 FS $5) in fn)) { fn[$4 FS $5] = ++nf; note[nf] = $4 ": " $5 }
    miss[$2, key, $4] = fn[$4 FS $5]
    addsys($4)
}
function sorted_sys(    i, j, t, ra, rb) {
    for (i = 2; i <= ns; i++) {
        t = sys[i]
        for (j = i - 1; j >= 1; j--) {
            ra = rankof(sys[j])
            rb = rankof(t)
            if (ra < rb || (ra == rb && sys[j] <= t)) break
            sys[j + 1] = sys[j]
        }
        sys[j + 1] = t
    }
}
# Natural order: digit runs compare as numbers ("threads=2" < "threads=10").
function natcmp(a, b,    ra, rb, na, nb) {
    while (a != "" && b != "") {
        if (match(a, /^[0-9]+(\.[0-9]+)?/) && (na = substr(a, 1, RLENGTH)) != "" &&
            match(b, /^[0-9]+(\.[0-9]+)?/)) {
            nb = substr(b, 1, RLENGTH)
            if (na + 0 != nb + 0) return na + 0 < nb + 0 ? -1 : 1
            a = substr(a, length(na) + 1); b = substr(b, length(nb) + 1)
            continue
        }
        ra = substr(a, 1, 1); rb = substr(b, 1, 1)
        if (ra != rb) return ra < rb ? -1 : 1
        a = substr(a, 2); b = substr(b, 2)
    }
    return a == "" ? (b == "" ? 0 : -1) : 1
}
function sorted_rows(    i, j, t) {
    for (i = 2; i <= nr; i++) {
        t = row[i]
        for (j = i - 1; j >= 1 && natcmp(row[j], t) > 0; j--) row[j + 1] = row[j]
        row[j + 1] = t
    }
}
END {
    sorted_sys()
    sorted_rows()
    hdr[1] = "benchmark"; hdr[2] = "params"; hdr[3] = "unit"
    for (s = 1; s <= ns; s++) hdr[3 + s] = (sys[s] == "mutex") ? "mutex (baseline)" : sys[s]
    hdr[4 + ns] = "weft/baseline"
    nc = 4 + ns
    over = 0
    for (i = 1; i <= nr; i++) {
        split(row[i], rp, FS)
        t[i, 1] = rp[1]; t[i, 2] = rp[2]; t[i, 3] = unit[row[i]]
        if (match(rp[2], /threads=[0-9]+/)) {
            th = substr(rp[2], RSTART + 8, RLENGTH - 8) + 0
            if (th > ncpu) { t[i, 2] = rp[2] " (!)"; over = 1 }
        }
        for (s = 1; s <= ns; s++) {
            c = (row[i], sys[s]) in cell ? cell[row[i], sys[s]] : ""
            if (c == "" && ((rp[1], rp[2], sys[s]) in miss))
                c = "missing[" miss[rp[1], rp[2], sys[s]] "]"
            if (c == "" && ((rp[1], "*", sys[s]) in miss))
                c = "missing[" miss[rp[1], "*", sys[s]] "]"
            t[i, 3 + s] = c == "" ? "-" : c
        }
        base = ((row[i], "mutex") in med) ? "mutex" : (((row[i], "seq") in med) ? "seq" : "")
        c = "-"
        if (base != "" && ((row[i], "weft") in med) && med[row[i], base] == 0 &&
            med[row[i], "weft"] == 0)
            c = "both 0"
        else if (base != "" && ((row[i], "weft") in med) && med[row[i], base] == 0)
            c = "n/a (" base " is 0)"
        else if (base != "" && ((row[i], "weft") in med)) {
            q = med[row[i], "weft"] / med[row[i], base]
            good = (better[row[i]] == "higher") ? q >= 1 : q <= 1
            c = sprintf("%.2fx vs %s (%s)", q, base, good ? "weft better" : "weft worse")
        }
        t[i, nc] = c
    }
    for (j = 1; j <= nc; j++) w[j] = length(hdr[j])
    for (i = 1; i <= nr; i++)
        for (j = 1; j <= nc; j++) if (length(t[i, j]) > w[j]) w[j] = length(t[i, j])
    line = "|"; sep = "|"
    for (j = 1; j <= nc; j++) {
        line = line sprintf(" %-" w[j] "s |", hdr[j])
        sep = sep sprintf("%s|", dashes(w[j] + 2))
    }
    print line; print sep
    for (i = 1; i <= nr; i++) {
        line = "|"
        for (j = 1; j <= nc; j++) line = line sprintf(" %-" w[j] "s |", t[i, j])
        print line
    }
    print ""
    print "Cells: median [min-max] over the runs. weft/baseline: ratio of medians;"
    print "the baseline is the mutex pool, or plain recursive C (seq) for fib."
    if (over) print "(!) threads > CPUs (" ncpu " online): oversubscribed, read with care."
    for (k = 1; k <= nf; k++) print "missing[" k "] " note[k]
}
function dashes(n,    s) { s = ""; while (n-- > 0) s = s "-"; return s }
