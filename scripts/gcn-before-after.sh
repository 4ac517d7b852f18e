#!/bin/bash
# Issue #15's GCN bar: GCN on CiteSeer, 200 epochs, one thread, before and after a change.
#   scripts/gcn-before-after.sh BEFORE_CHECKOUT AFTER_CHECKOUT [ROUNDS]
# Each checkout must be built (build/Release/sparse_ad_lab.node) and have node_modules.
# Before = main before the native dense ops: 59d32e7 (the merge's first parent), e.g.
#   git worktree add --detach ../before 59d32e7 && ln -s "$PWD/node_modules" ../before/ &&
#   (cd ../before && npx cmake-js compile --out build --CDCMAKE_BUILD_TYPE=Release --CDSAD_WITH_CUDA=OFF)
# Per checkout and round: `npm run experiment -- gcn --threads 1 --epochs 200` pinned to CPU 0,
# with --runs 1 and --runs 6; the process CPU time (user + sys) of the difference / 5 is the
# per-run figure (start-up and data loading cancel, and time spent waiting for a busy core is
# not counted), printed beside the runs' own wall times and the load average. The checkouts
# alternate, so drift in the machine's load falls on both.
set -euo pipefail
before=$(realpath "$1"); after=$(realpath "$2"); rounds=${3:-3}
tmp=$(mktemp -d)
one() { # checkout runs -> "cpu_seconds wall_seconds"
  /usr/bin/time -f "%U %S %e" -o "$tmp/time" bash -c "cd '$1' && taskset -c 0 node --import tsx experiments/cli/experiment.ts gcn --threads 1 --runs $2 --epochs 200 --quiet --out '$tmp/out-$2' > /dev/null 2>&1"
  read -r u s e < "$tmp/time"
  echo "$(echo "$u + $s" | bc) $e"
}
echo "GCN on CiteSeer, 200 epochs, --threads 1, pinned to CPU 0; $(nproc) CPUs; load average $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq 1 "$rounds"); do
  for dir in "$before" "$after"; do
    l=$(cut -d' ' -f1-3 /proc/loadavg)
    read -r c1 e1 <<< "$(one "$dir" 1)"
    read -r c6 e6 <<< "$(one "$dir" 6)"
    wall=$(node -e 'const r=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));const s=r.runs.map(x=>x.seconds).sort((a,b)=>a-b);console.log(`median ${((s[2]+s[3])/2).toFixed(3)} s, min ${s[0].toFixed(3)} s`)' "$tmp/out-6/result.json")
    printf '%s round %d: CPU per run %.3f s (runs=1 %.2f s CPU / %.1f s wall, runs=6 %.2f s CPU / %.1f s wall); runs wall %s; load %s\n' \
      "$([ "$dir" = "$before" ] && echo before || echo after)" "$r" "$(echo "scale=4; ($c6 - $c1) / 5" | bc)" "$c1" "$e1" "$c6" "$e6" "$wall" "$l"
  done
done
rm -rf "$tmp"
