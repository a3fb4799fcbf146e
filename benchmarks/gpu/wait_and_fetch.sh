#!/bin/bash
# Later calls: wait for the run that train_and_test.sh started to end, or for LIMIT seconds; once
# it has ended, bring the best and last checkpoints back (weights, config, training-set summary);
# while it runs, bring back what resuming it elsewhere needs.
cd "$(dirname "$0")/../.." ; source benchmarks/gpu/env.sh
START=$SECONDS; LIMIT=${LIMIT:-560}
while [ $((SECONDS-START)) -lt $LIMIT ] && pgrep -f "molvae train" >/dev/null; do sleep 5; done
snapshot
if ! pgrep -f "molvae train" >/dev/null; then
  for k in best last; do [ -d $RUN/$k ] && tar czf $OUT/$k.tgz -C $RUN $k/model.safetensors $k/checkpoint.json $k/training_set.npz; done
else  # still running: bring back what a resume elsewhere needs (under 16 MB a file)
  cp $RUN/last/model.safetensors $OUT/; split -b 15M $RUN/last/trainer_state.pt $OUT/trainer_state.pt.
fi
echo "call ends at $((SECONDS-START)) s" >> $OUT/env2.txt; tail -3 $RUN.log
