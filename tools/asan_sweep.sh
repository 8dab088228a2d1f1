#!/bin/bash
# Runs nerfinv's main commands under AddressSanitizer (a build of its own in .build/asan) on the
# shipped models and sample photos, and fails on the first memory error it reports. Leaks are not
# judged (Foundation keeps a few buffers). Takes 5-10 minutes on two cores.
#   tools/asan_sweep.sh [scratch folder]
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --build-path .build/asan --sanitize address --product nerfinv 2>&1 | grep -v "Cannot export local symbol" | tail -1
A=.build/asan/debug/nerfinv
T=${1:-$(mktemp -d)}
mkdir -p "$T"
export ASAN_OPTIONS=detect_leaks=0:halt_on_error=1
failed=0
run() {
  echo "== nerfinv $*"
  # Every command but bench takes --quiet.
  local quiet=--quiet
  [ "$1" = bench ] && quiet=
  if ! out=$("$A" "$@" $quiet 2>&1); then
    if grep -q "AddressSanitizer" <<<"$out"; then
      grep -A30 "ERROR: AddressSanitizer" <<<"$out" | head -40
      failed=1
    else
      echo "(refused: $(tail -1 <<<"$out"))"
    fi
  elif grep -q "AddressSanitizer" <<<"$out"; then
    grep -A30 "ERROR: AddressSanitizer" <<<"$out" | head -40
    failed=1
  fi
}
run invert scenes/photos/car_street_256.png --out "$T/st.latent"
run invert scenes/photos/car_160.png --out "$T/t.latent" --tune-decoder --steps 20
run invert scenes/photos/car_160.png --out "$T/f.latent" --fast
run invert scenes/photos/car_160.png --model Tests/Fuzz/corpus/model/tiny.nvm --init mean --tune-decoder --steps 3 --out "$T/tiny.latent"
run render --latent "$T/t.latent" --azimuth 100 --elevation 10 --size 96 --out "$T/r.png" --depth "$T/d.png"
run turntable --latent "$T/st.latent" --frames 6 --size 64 --out "$T/tt"
run export-mesh --latent "$T/t.latent" --out "$T/m.glb" --resolution 64 --preview "$T/mp.png"
run export-mesh --latent "$T/st.latent" --out "$T/m.obj" --resolution 64 --max-faces 2000
run edit "$T/st.latent" --direction pc1 --amount 1 --out "$T/e.latent" --sheet "$T/e.png"
run interpolate "$T/st.latent" "$T/t.latent" --steps 3 --out "$T/i"
run sample --count 3 --out "$T/s"
run generate --scene scenes/cars.json --out "$T/g" --objects 2 --views 3 --resolution 32 --supersample 1 --seed 3
run generate --scene scenes/cars.json --out "$T/gt" --objects 2 --protocol test --resolution 32 --supersample 1 --seed 4
run train --data "$T/g" --out "$T/m.nvm" --field configs/field_gen3.json --steps 3 --objects-per-batch 2 --rays-per-object 64
run eval --model models/cars_gen1.nvm --data "$T/gt" --modes encoder,refine,fit --refine-steps 3 --fit-steps 3
run bench viewer --model models/cars_gen1.nvm --clients 1,3 --seconds 2 --size 32 --download
[ "$failed" = 0 ] && echo "asan sweep: no memory errors" || { echo "asan sweep: memory errors above"; exit 1; }
