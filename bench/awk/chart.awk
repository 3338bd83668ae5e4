# SPDX-License-Identifier: MIT
# chart.awk - writes one gnuplot data file per benchmark (a line per params,
# three columns per system: median min max, "?" when absent) and the
# gnuplot script drawing one panel per benchmark, bars per system with
# min-max error bars, the same colour for a system in every panel.
# Usage: awk -v dir=DIR -v png=... -v svg=... -v title=... -f chart.awk agg
BEGIN {
    FS = "\t"
    pref = "weft mutex seq tbb omp-gcc omp-llvm glib lace"
    np = split(pref, P, " ")
    for (i = 1; i <= np; i++) rank[P[i]] = i
    ncol = split("#1f77b4 #7f7f7f #2ca02c #d62728 #ff7f0e #9467bd #8c564b " \
                 "#e377c2 #17becf #bcbd22 #393b79 #8c6d31 #843c39 #7b4173 " \
                 "#5254a3 #637939 #d6616b #3182bd", C, " ")
}
# weft's own variants (weft-atomic, weft-outside, ...) follow weft.
function rankof(s) {
    if (s in rank) return rank[s]
    return s ~ /^weft-/ ? 1.5 : 100
}
{
    if (!($1 in bseen)) { bseen[$1] = 1; B[++nb] = $1; unit[$1] = $4; better[$1] = $5 }
    if (!(($1, $2) in pseen)) { pseen[$1, $2] = 1; np_[$1]++; prm[$1, np_[$1]] = $2 }
    if (!($3 in sseen)) { sseen[$3] = 1; S[++ns] = $3 }
    med[$1, $2, $3] = $7; lo[$1, $2, $3] = $8; hi[$1, $2, $3] = $9
}
END {
    for (i = 2; i <= ns; i++) {          # systems in table order
        t = S[i]; rt = rankof(t)
        for (j = i - 1; j >= 1; j--) {
            rj = rankof(S[j])
            if (rj < rt || (rj == rt && S[j] <= t)) break
            S[j + 1] = S[j]
        }
        S[j + 1] = t
    }
    # A known system keeps its colour whatever else is in the chart.
    nxt = np
    for (s = 1; s <= ns; s++)
        col[s] = (S[s] in rank) ? C[rank[S[s]]] : C[(nxt++ % ncol) + 1]
    cols = nb > 4 ? 3 : (nb > 1 ? 2 : 1)
    rows = int((nb + cols - 1) / cols)
    gp = dir "/chart.gp"
    print "set datafile separator '\\t'" > gp
    print "set datafile missing '?'" > gp
    print "set style data histogram" > gp
    print "set style histogram errorbars gap 2 lw 1" > gp
    print "set style fill solid 0.85 border -1" > gp
    print "set boxwidth 0.9" > gp
    print "set grid ytics lc rgb '#dddddd'" > gp
    print "set key outside top center horizontal font ',8' samplen 1.5" > gp
    print "set xtics font ',7' nomirror rotate by -25" > gp
    print "set ytics font ',8'" > gp
    print "set yrange [0:*]" > gp
    print "set offsets 0, 0, graph 0.05, 0" > gp
    for (term = 1; term <= 2; term++) {
        if (term == 1)
            printf "set terminal pngcairo noenhanced size %d,%d font 'sans,10'\nset output '%s'\n", \
                   cols * 560, rows * 380 + 40, png > gp
        else
            printf "set terminal svg noenhanced size %d,%d font 'sans,10' background '#ffffff'\nset output '%s'\n", \
                   cols * 560, rows * 380 + 40, svg > gp
        printf "set multiplot layout %d,%d title '%s' font ',11'\n", rows, cols, title > gp
        for (b = 1; b <= nb; b++) {
            name = B[b]; f = dir "/chart-" b ".dat"
            # the systems of this panel, and the value range (log scale
            # when it spans more than 50x)
            line = "# params"; nsp = 0; vmin = 0; vmax = 0; nonpos = 0
            for (s = 1; s <= ns; s++) {
                has = 0
                for (p = 1; p <= np_[name]; p++) if ((name, prm[name, p], S[s]) in med) has = 1
                if (!has) continue
                SP[++nsp] = s; line = line "\t" S[s] "\tlo\thi"
            }
            if (term == 1) {
                print line > f
                for (p = 1; p <= np_[name]; p++) {
                    line = prm[name, p]
                    for (k = 1; k <= nsp; k++) {
                        key = name SUBSEP prm[name, p] SUBSEP S[SP[k]]
                        if (key in med) {
                            line = line "\t" med[key] "\t" lo[key] "\t" hi[key]
                            if (med[key] <= 0) nonpos = 1
                            else if (vmin == 0 || med[key] < vmin) vmin = med[key]
                            if (hi[key] > vmax) vmax = hi[key]
                        } else line = line "\t?\t?\t?"
                    }
                    print line > f
                }
                close(f)
                logy[b] = (!nonpos && vmin > 0 && vmax / vmin > 50)
            }
            printf "set title '%s (%s, %s is better)%s' font ',10'\n", name, unit[name], \
                   better[name], (logy[b] ? " [log scale]" : "") > gp
            if (logy[b]) print "set logscale y\nset yrange [*:*]" > gp
            else print "unset logscale y\nset yrange [0:*]" > gp
            printf "plot" > gp
            for (k = 1; k <= nsp; k++)
                printf "%s '%s' using %d:%d:%d:xtic(1) title '%s' lc rgb '%s'", \
                       (k > 1 ? "," : ""), f, 2 + 3 * (k - 1), 3 + 3 * (k - 1), \
                       4 + 3 * (k - 1), S[SP[k]], col[SP[k]] > gp
            printf "\n" > gp
        }
        print "unset multiplot" > gp
        print "set output" > gp
    }
    close(gp)
}
