# Sourced by every script here, on the GPU machine, from the repository root: installs the wheels
# carried in .whl/ (benchmarks/GPU.md), sets the environment, and defines `snapshot`.
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
  --target /tmp/site .whl/*.whl >/dev/null 2>&1 || [ -n "${LOCAL:-}" ] || exit 1
export PYTHONPATH=/tmp/site:$PWD MOLVAE_CACHE_DIR=${MOLVAE_CACHE_DIR:-/tmp/molvae-cache} PYTHONUNBUFFERED=1
[ -n "${LOCAL:-}" ] && export PYTHONPATH=$PWD   # LOCAL=1 DEV=cpu: rehearse here
DEV=${DEV:-cuda}
RUN=${RUN:-runs/zinc_gpu}
snapshot() {  # what comes back from every call
  cp $RUN/metrics.csv $OUT/ 2>/dev/null; cp $RUN.log $OUT/train.log 2>/dev/null
  cp $RUN/last/checkpoint.json $OUT/last_checkpoint.json 2>/dev/null
}
