#!/bin/bash
# The test suite beside issue 5's benchmarks with the shipped model (molvae/pretrained/zinc), each
# benchmark in its own process with one torch thread (16 cores); everything ends by DEADLINE s and
# comes back as results.tgz. Carry .gpu-data with ../shared/data/zinc_plogp_800.txt in it.
cd "$(dirname "$0")/../.." ; source benchmarks/gpu/env.sh
START=$SECONDS; DEADLINE=${DEADLINE:-500}; R=/tmp/results; mkdir -p $R
{ nvidia-smi --query-gpu=name,driver_version --format=csv; nproc; date -u; } > $R/env.txt 2>&1
python3 -c "from molvae.data import load_dataset; load_dataset('zinc', properties=())" >> $R/env.txt 2>&1
echo "zinc cached at $((SECONDS-START)) s" >> $R/env.txt
left() { echo $((DEADLINE - (SECONDS-START))); }
timeout $(left) python3 -m pytest -q -p no:cacheprovider tests --ignore=tests/test_notebooks.py > $R/pytest.log 2>&1 &
B="python3 benchmarks/optimize.py --model zinc --device ${DEV} --threads 1"
bench() { local name=$1; shift; (timeout $(left) $B "$@" --out $R/$name.json > $R/$name.log 2>&1; echo "$name rc $? at $((SECONDS-START)) s" >> $R/env.txt) & }
bench oracle_qed --parts oracle --budgets 1000,5000 --objectives qed --seeds 0,1,2
bench oracle_plogp --parts oracle --budgets 1000,5000 --objectives plogp --seeds 0,1,2
bench oracle_plogp_20k --parts oracle --budgets 20000 --objectives plogp --seeds 0
bench oracle_celecoxib --parts oracle --budgets 1000,5000 --objectives celecoxib_similarity --seeds 0,1,2
bench oracle_median --parts oracle --budgets 1000,5000 --objectives median_camphor_menthol --seeds 0,1,2
bench oracle_multi --parts oracle --budgets 1000,5000 --objectives qed+0.3plogp-0.5sa --seeds 0,1,2
bench unconstrained_10k_t1 --parts unconstrained --unconstrained-objectives plogp --n-starts 10000 --decode-every 25 --seeds 0,1,2 --unconstrained-temperature 1
bench constrained_r1 --parts constrained --deltas 0.0,0.2 --rounds 1 --seeds 0 --constrained-file .gpu-data/zinc_plogp_800.txt
bench constrained_r4_d06 --parts constrained --deltas 0.6 --rounds 4 --seeds 0 --constrained-file .gpu-data/zinc_plogp_800.txt
wait
echo "all done at $((SECONDS-START)) s" >> $R/env.txt
tar czf $OUT/results.tgz -C /tmp results; cat $R/env.txt; tail -2 $R/pytest.log
