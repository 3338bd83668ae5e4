# SPDX-License-Identifier: MIT
# stats.awk - per (benchmark, params, system): run count, median, min, max.
# In:  raw rows  run TAB binary TAB bench TAB params TAB system TAB value
#                TAB unit TAB better
# Out: bench TAB params TAB system TAB unit TAB better TAB n TAB median
#      TAB min TAB max TAB v1,v2,... (values in run order)
BEGIN { FS = OFS = "\t" }
{
    k = $3 FS $4 FS $5
    if (!(k in n)) { order[++nk] = k; unit[k] = $7; better[k] = $8 }
    n[k]++
    v[k, n[k]] = $6 + 0
    list[k] = n[k] == 1 ? $6 : list[k] "," $6
}
function median(k, m,    i, j, t, a) {
    for (i = 1; i <= m; i++) a[i] = v[k, i]
    for (i = 2; i <= m; i++) {           # insertion sort: m is small
        t = a[i]
        for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]
        a[j + 1] = t
    }
    lo = a[1]; hi = a[m]
    return (m % 2) ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
}
END {
    for (i = 1; i <= nk; i++) {
        k = order[i]
        med = median(k, n[k])
        print k, unit[k], better[k], n[k], med, lo, hi, list[k]
    }
}
