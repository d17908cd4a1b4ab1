#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A real single-node Slurm, started here, runs a two-point sweep (`neurark sweep --runner slurm`):
# munged with its own key and socket, slurmctld and slurmd with a slurm.conf in a temporary
# folder (ports 16817/16818), nothing installed system-wide touched. The sweep's sweep.json and
# index.html must equal, byte for byte, those of the same sweep run by the local runner.
# Usage: slurm_sweep.sh NEURARK SOURCE_DIR. Exit 0 pass, 1 fail, 77 skipped (not root: slurmd
# needs root; scripts/setup.sh installs slurmd slurmctld slurm-client munge).
set -euo pipefail
N=$1
SRC=$2
if [[ $(id -u) != 0 ]]; then
  echo "slurm_sweep: skipped: slurmd must run as root"
  exit 77
fi
for b in munged mungekey slurmctld slurmd sbatch sinfo scontrol; do
  command -v "$b" >/dev/null || { echo "slurm_sweep: $b not found (scripts/setup.sh installs slurmd slurmctld slurm-client munge)"; exit 1; }
done
T=$(mktemp -d /tmp/neurark-slurm-XXXXXX)
export SLURM_CONF=$T/slurm.conf
cleanup() {
  scontrol shutdown >/dev/null 2>&1 || true
  for p in "$T/slurmd.pid" "$T/slurmctld.pid" "$T/munge/pid"; do
    [[ -f $p ]] && kill "$(cat "$p")" 2>/dev/null || true
  done
  sleep 1
  rm -rf "$T"
}
trap cleanup EXIT
mkdir -p "$T/munge" "$T/state" "$T/spool"
chmod 711 "$T/munge"
mungekey -c -k "$T/munge/munge.key"
munged -f -S "$T/munge/sock" --key-file="$T/munge/munge.key" --log-file="$T/munge/log" --pid-file="$T/munge/pid" \
  --seed-file="$T/munge/seed"
HOST=$(hostname -s)
cat > "$SLURM_CONF" <<CONF
ClusterName=neurarktest
SlurmctldHost=$HOST
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$T/munge/sock
CredType=cred/munge
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool
SlurmctldPidFile=$T/slurmctld.pid
SlurmdPidFile=$T/slurmd.pid
SlurmctldPort=16817
SlurmdPort=16818
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
SlurmctldLogFile=$T/slurmctld.log
SlurmdLogFile=$T/slurmd.log
JobAcctGatherType=jobacct_gather/none
MpiDefault=none
NodeName=$HOST CPUs=$(nproc) State=UNKNOWN
PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
slurmctld -i
slurmd
for _ in $(seq 60); do
  sinfo -h -o %T 2>/dev/null | grep -q idle && break
  sleep 0.5
done
sinfo -h -o %T | grep -q idle || { echo "slurm_sweep: the node never became idle"; tail -20 "$T/slurmctld.log" "$T/slurmd.log"; exit 1; }
cat > "$T/space.yaml" <<SPACE
format: neurark-sweep
version: 1
name: slurm-test
base_chip: $SRC/arch/chips/default-4x4.yaml
models: [$SRC/models/zoo/shakespeare-d256-l4]
run: {prompt: 'ROMEO: ', max_new_tokens: 4, synthesize_logic: false}  # the runner is tested, not Yosys
axes:
  neurocore.lanes: [8, 16]
SPACE
timeout 600 "$N" sweep "$T/space.yaml" --out "$T/slurm" --runner slurm --jobs 2 > "$T/slurm.txt"
grep -q "2 of 2 points (2 ok; 2 run now)" "$T/slurm.txt" || { echo "slurm_sweep: unexpected summary:"; cat "$T/slurm.txt"; exit 1; }
# The tasks ran under Slurm: the array's script and one output file per task.
ls "$T"/slurm/slurm/array-0.sh "$T"/slurm/slurm/array-0-0.out "$T"/slurm/slurm/array-0-1.out >/dev/null
timeout 600 "$N" sweep "$T/space.yaml" --out "$T/local" --jobs 2 > "$T/local.txt"
cmp "$T/slurm/sweep.json" "$T/local/sweep.json"
cmp "$T/slurm/index.html" "$T/local/index.html"
# Resumed under Slurm: nothing left to run.
timeout 600 "$N" sweep "$T/space.yaml" --out "$T/slurm" --runner slurm > "$T/again.txt"
grep -q "0 run now" "$T/again.txt" || { echo "slurm_sweep: the resumed sweep ran points again:"; cat "$T/again.txt"; exit 1; }
echo "slurm_sweep: 2 points through a real Slurm job array, sweep.json equal to the local runner's"
