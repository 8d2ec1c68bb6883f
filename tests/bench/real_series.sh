#!/usr/bin/env bash
# `vigil score` on real public series and their plots (PNG), for
# docs/detection.md:
#   tests/bench/real_series.sh [VIGIL_BIN] [OUT_DIR]
# The series come from Debian's python3-statsmodels (its datasets: the Nile's
# yearly flow 1871-1970, Mauna Loa CO2 weekly 1958-2001, yearly sunspots
# 1700-2008, euro-area electrical equipment orders monthly 1995-2016); the
# plots are drawn by gnuplot (gnuplot-nox). Both are installed if missing
# (apt-get, as root). Each plot shows the series with the samples scoring
# >= 0.5 marked, and the anomaly score below it.
set -euo pipefail
cd "$(dirname "$0")/../.."
vigil=${1:-build/vigil}
out=${2:-build/real_series}
datasets=/usr/lib/python3/dist-packages/statsmodels/datasets
if [ ! -d "$datasets/nile" ] || ! command -v gnuplot >/dev/null; then
  apt-get install -y --no-install-recommends python3-statsmodels gnuplot-nox
fi
mkdir -p "$out"
# Each dataset as `timestamp,value` (rows without a value are left out).
python3 - "$datasets" "$out" <<'PY'
import csv, datetime, sys
base, out = sys.argv[1], sys.argv[2]
def rows(path):
    return list(csv.reader(open(f"{base}/{path}")))[1:]
def write(name, pairs):
    with open(f"{out}/{name}.csv", "w") as f:
        f.write("timestamp,value\n")
        for t, v in pairs:
            if v.strip():
                f.write(f"{t},{v}\n")
write("nile", [(f"{y}-01-01 00:00:00", v) for y, v in rows("nile/nile.csv")])
write("co2", [(f"{d[:4]}-{d[4:6]}-{d[6:]} 00:00:00", v)
              for d, v in rows("co2/co2.csv")])
write("sunspots", [(f"{int(float(y))}-01-01 00:00:00", v)
                   for y, v in rows("sunspots/sunspots.csv")])
write("elec_equip",
      [(datetime.datetime.strptime(d, "%b-%d-%Y").strftime("%Y-%m-%d 00:00:00"), v)
       for d, v in rows("elec_equip/elec_equip.csv")])
PY
for name in nile co2 sunspots elec_equip; do
  # Short yearly and monthly series: scoring starts after 10 samples.
  "$vigil" score --input "$out/$name.csv" --output "$out/$name.scored.csv" \
    --min-history 10
  echo "$name: anomalous (score >= 0.5):" \
    "$(awk -F, 'NR > 1 && $3 >= 0.5 { printf "%s ", substr($1, 1, 10) }' \
      "$out/$name.scored.csv")"
  gnuplot <<GP
set terminal pngcairo size 1000,520 font ",10" noenhanced
set output "$out/score-$name.png"
set datafile separator ","
set xdata time
set timefmt "%Y-%m-%d %H:%M:%S"
set key top left
set multiplot layout 2,1 title "vigil score: $name"
set lmargin 10
set format x ""
plot "$out/$name.scored.csv" every ::1 using 1:2 with lines lc rgb "#4a6fa5" title "value", \
     "" every ::1 using 1:(\$3 >= 0.5 ? \$2 : 1/0) with points pt 7 ps 0.9 lc rgb "#d0342c" title "anomaly_score >= 0.5"
set format x "%Y"
set yrange [0:1]
plot "$out/$name.scored.csv" every ::1 using 1:3 with lines lc rgb "#555555" title "anomaly_score", \
     0.5 with lines dt 2 lc rgb "#d0342c" title "0.5"
unset multiplot
GP
done
echo "plots: $out/score-{nile,co2,sunspots,elec_equip}.png"
