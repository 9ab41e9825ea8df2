# shellcheck shell=bash
# An awk function both alternating probes use: median("v1 v2 v3 ...") of a space-separated
# list of numbers (the mean of the middle two for an even count).
# shellcheck disable=SC2034  # used by the scripts that source this file
AWK_MEDIAN='
    function median(s,   v, n, i, j, t) {
        n = split(s, v, " ")
        for (i = 2; i <= n; i++) for (j = i; j > 1 && v[j - 1] + 0 > v[j] + 0; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
        return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
    }'
