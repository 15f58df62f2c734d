#!/bin/sh
# The runs of the README's "From block and d-block networks to LIF hardware" table, from the repository root
# (SNN="java -jar DIR/snn.jar" runs a copy of the jar instead of bin/snn). A run whose summary.json exists is kept.
# Each fine-tune or from-scratch run trains 5 epochs at a constant learning rate (no milestones); its metrics.csv
# holds the test accuracy after every epoch (k = 1, 2, 5). k = 0 is the source network's weights evaluated as a LIF
# network (snn eval with the fine-tune run's config). Checkpoints are not committed (.gitignore).
set -e
SNN=${SNN:-bin/snn}
R=results/lif_deploy
QS="--config configs/quickstart.json --kernels native --set runtime.torch_threads=1"
FM="--config configs/paper/block_fmnist_block.json --kernels native --set runtime.torch_threads=1 --set data.root=src/test/resources/fixtures/fashion-mnist"
LIF="--set model.kind=standard --set model.d=null --set training.epochs=5 --set training.milestones=[]"

train() { out=$1; shift; [ -f $out/summary.json ] || $SNN train "$@" --out $out --force; }

# sources: the quickstart's recurrent d-block network (10 epochs) and the bundled Fashion-MNIST subset's block network
train $R/qs_dblock $QS
train $R/fm_block $FM --set training.epochs=10 --set training.milestones=[8]

for task in qs fm; do
  if [ $task = qs ]; then CFG=$QS; SRC=$R/qs_dblock; else CFG=$FM; SRC=$R/fm_block; fi
  for reset in subtract zero; do
    train $R/${task}_finetune_$reset $CFG $LIF --set model.reset=$reset --init $SRC/model.pt
    train $R/${task}_scratch_$reset $CFG $LIF --set model.reset=$reset
    $SNN eval --checkpoint $SRC/model.pt --config $R/${task}_finetune_$reset/config.json > $R/${task}_k0_$reset.txt
  done
  $SNN export --checkpoint $SRC/model.pt --format nir --approximate --out $R/$task.nir > $R/${task}_approximate.txt
  rm -f $R/$task.nir
done
