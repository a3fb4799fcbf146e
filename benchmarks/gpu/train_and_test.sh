#!/bin/bash
# First call: the machine, training throughput at the default size, then `molvae train zinc` in
# the background (setsid: it outlives the call while the machine stays warm), with as many epochs
# as fit in 20 minutes at the measured rate (40, 30 or 20), and the test suite beside it.
cd "$(dirname "$0")/../.." ; source benchmarks/gpu/env.sh
START=$SECONDS; LIMIT=${LIMIT:-560}
{ nvidia-smi; nproc; free -g; python3 -c "import torch, rdkit, selfies; print(torch.__version__, torch.cuda.is_available() and torch.cuda.get_device_name(0), rdkit.__version__, selfies.__version__)"; } > $OUT/env.txt 2>&1
ZINC=$(python3 -c "from molvae.data import zinc250k_path; print(zinc250k_path())")
timeout 120 python3 benchmarks/throughput.py --config zinc --data $ZINC --subset ${TP_SUBSET:-50000} --device $DEV \
  --train-steps ${TP_STEPS:-300} --warmup 20 --sample-n ${SAMPLE_N:-10000} --sample-batch 1000 \
  --checkpoint molvae/pretrained/zinc --out $OUT/throughput_zinc_$DEV.json > $OUT/throughput.log 2>&1
echo "throughput done at $((SECONDS-START)) s" >> $OUT/env.txt
mkdir -p runs
# epochs: 40 if the measured rate trains them in 20 minutes (5 s of validation an epoch), else 30, else 20
EPOCHS=${EPOCHS:-$(python3 -c "
import json; r = json.load(open('$OUT/throughput_zinc_$DEV.json'))['train']['mol_per_s']
epoch = 224510 / r + 5; print(next((e for e in (40, 30) if e * epoch <= 1200), 20))" 2>/dev/null || echo 30)}
echo "epochs $EPOCHS" >> $OUT/env.txt
setsid nohup python3 -m molvae train zinc --out $RUN --device $DEV --epochs $EPOCHS ${EXTRA:-} --no-progress > $RUN.log 2>&1 < /dev/null &
sleep 5
timeout $((LIMIT - (SECONDS-START) - 20)) python3 -m pytest -q -p no:cacheprovider ${TESTS:-tests} > $OUT/pytest.log 2>&1
echo "tests done at $((SECONDS-START)) s" >> $OUT/env.txt
while [ $((SECONDS-START)) -lt $LIMIT ] && pgrep -f "molvae train" >/dev/null; do sleep 5; done
snapshot; echo "call 1 ends at $((SECONDS-START)) s" >> $OUT/env.txt; tail -3 $RUN.log
