#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# A real single-node Slurm on this machine (issue 15, part 3): munged, slurmctld and slurmd from
# a slurm.conf for localhost in a temporary folder (no cgroups, so it runs in containers), then a
# 2-shard study and a 2-shard sweep through tools/slurm/pairbench.sbatch, each merged by a
# dependent job, and the same study and sweep in one process: the merged JSON must equal theirs
# apart from keys containing "seconds".
# TAP. Skipped (and why) without root or without the Slurm programs, unless CI=true: then that
# is a failure. In CI, not being root, it runs itself again through passwordless sudo.
#   PAIRBENCH_SLURM_TIMEOUT  seconds for the jobs (default 600)
#   PAIRBENCH_SLURM_KEEP=1   keep the temporary folder (conf, logs, shards) and say where
set -u

src=${PAIRBENCH_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
script=$src/tools/slurm/pairbench.sbatch
cli=${PAIRBENCH_CLI:-}
job_timeout=${PAIRBENCH_SLURM_TIMEOUT:-600}
study_args=(--models "siamese,stacked" --rounds 2 --epochs 2 --pairs 500 --test-pairs 500)
sweep_args=(--epochs 1 --pairs 300 --test-pairs 200)

# Cannot start: skipped with the reason, or in CI a failure.
cannot ()
{
  if [ "${CI:-}" = true ]; then
    echo "Bail out! Slurm cannot run: $* (CI is set, so this fails)"
    exit 1
  fi
  echo "1..0 # SKIP Slurm cannot run: $*"
  exit 0
}

if [ "$(id -u)" -ne 0 ]; then
  if [ "${CI:-}" = true ] && command -v sudo > /dev/null && sudo -n true 2> /dev/null; then
    exec sudo -n -E "$0" "$@"
  fi
  cannot "not root (slurmd and munged run as root here)"
fi
for p in munged slurmctld slurmd sbatch squeue sinfo scontrol scancel; do
  command -v "$p" > /dev/null || cannot "no $p (tools/install-deps installs slurm-wlm and munge)"
done
if [ -z "$cli" ] || [ ! -x "$cli" ]; then
  cannot "PAIRBENCH_CLI ('$cli') is not a program"
fi
[ -f "$script" ] || cannot "no $script"
# Slurm's name for this host: gethostname's, up to the first dot.
node=$(uname -n)
node=${node%%.*}
[ -n "$node" ] || cannot "uname -n gives no host name"

# Nothing of an outer Slurm (a test run inside a job) may reach this one.
while read -r v; do
  unset "$v"
done < <(env | sed -n 's/^\(SLURM_[A-Za-z0-9_]*\)=.*/\1/p')

tmp=$(mktemp -d /tmp/pairbench-slurm.XXXXXX) || cannot "mktemp failed"
# munged wants every folder above its socket searchable by all.
chmod 755 "$tmp"
mkdir -p "$tmp/munge" "$tmp/state" "$tmp/spool" "$tmp/log"
chmod 755 "$tmp/munge"
munged_pid="" ctld_pid="" slurmd_pid="" job_ids=""

# Running, and not a zombie (kill -0 says yes to those too).
running ()
{
  local stat
  stat=$(sed 's/.*) //' "/proc/$1/stat" 2> /dev/null) || return 1
  [ -n "$stat" ] && [ "${stat%% *}" != Z ]
}

# TERM, 10 s to end, then KILL; the daemons are this shell's children, so it reaps them.
stop_pid ()
{
  local pid=$1
  [ -n "$pid" ] || return 0
  kill "$pid" 2> /dev/null
  for _ in $(seq 50); do
    running "$pid" || break
    sleep 0.2
  done
  kill -9 "$pid" 2> /dev/null
  wait "$pid" 2> /dev/null
  return 0
}

cleanup ()
{
  if [ -n "$ctld_pid" ]; then
    # Every job of this private cluster is the test's.
    # shellcheck disable=SC2046
    scancel $(squeue -h -o %i 2> /dev/null) 2> /dev/null
    for _ in $(seq 30); do
      [ -z "$(squeue -h -o %i 2> /dev/null)" ] && break
      sleep 1
    done
  fi
  stop_pid "$slurmd_pid"
  stop_pid "$ctld_pid"
  stop_pid "$munged_pid"
  slurmd_pid="" ctld_pid="" munged_pid=""
  if [ "${PAIRBENCH_SLURM_KEEP:-}" = 1 ]; then
    echo "# kept $tmp" >&2
  else
    rm -rf "$tmp"
  fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# What the logs say, for a failure.
diagnose ()
{
  local f
  {
    echo "--- squeue"
    squeue 2>&1
    echo "--- sinfo"
    sinfo -N -l 2>&1
    for j in $job_ids; do
      echo "--- scontrol show job $j"
      scontrol show job "$j" 2>&1
    done
    for f in "$tmp"/log/*; do
      [ -f "$f" ] || continue
      echo "--- $f (end)"
      tail -n 40 "$f"
    done
  } >&2
}

# Two free TCP ports, one after the other, for slurmctld and slurmd.
port_free ()
{
  ! command -v ss > /dev/null || [ -z "$(ss -Hltn "sport = :$1" 2> /dev/null)" ]
}
for _ in $(seq 50); do
  port=$((20000 + (RANDOM % 20000) * 2))
  port_free "$port" && port_free $((port + 1)) && break
done

dd if=/dev/urandom of="$tmp/munge/munge.key" bs=1024 count=1 2> /dev/null
chmod 400 "$tmp/munge/munge.key"
: > "$tmp/plugstack.conf"
cat > "$tmp/slurm.conf" << EOF
ClusterName=pairbench
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$tmp/munge/munge.socket
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldDebug=info
SlurmdDebug=info
PlugStackConfig=$tmp/plugstack.conf
MailProg=/bin/true
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SwitchType=switch/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MinJobAge=3600
NodeName=$node NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=pairbench Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=$tmp/slurm.conf

started=$(date +%s)
munged -F --socket="$tmp/munge/munge.socket" --key-file="$tmp/munge/munge.key" \
  --log-file="$tmp/log/munged.log" --pid-file="$tmp/munge/munged.pid" \
  --seed-file="$tmp/munge/munged.seed" 2>> "$tmp/log/munged.log" &
munged_pid=$!
for _ in $(seq 50); do
  [ -S "$tmp/munge/munge.socket" ] && break
  running "$munged_pid" || break
  sleep 0.2
done
if [ ! -S "$tmp/munge/munge.socket" ]; then
  diagnose
  cannot "munged did not start (its log is above)"
fi
slurmctld -D 2>> "$tmp/log/slurmctld.log" &
ctld_pid=$!
slurmd -D -N "$node" 2>> "$tmp/log/slurmd.log" &
slurmd_pid=$!
state=""
for _ in $(seq 120); do
  state=$(sinfo -h -N -n "$node" -o %t 2> /dev/null)
  [ "$state" = idle ] && break
  if ! running "$ctld_pid" || ! running "$slurmd_pid"; then
    break
  fi
  sleep 0.5
done
if [ "$state" != idle ]; then
  diagnose
  cannot "the node is not idle after 60 s (state '$state'; the logs are above)"
fi

echo "1..7"
echo "ok 1 - munged, slurmctld and slurmd started; node $node idle ($(nproc) CPUs)" \
  "in $(($(date +%s) - started)) s"

cat > "$tmp/sweep.json" << EOF
{"method": "random", "metric": {"name": "val_error", "goal": "minimize"},
 "trials": 3, "rounds": 2, "seed": 0, "val-pairs": 100,
 "parameters": {"lr": {"distribution": "log_uniform_values", "min": 0.0005, "max": 0.005},
                "hidden": {"values": [32, 64]}}}
EOF
has_sweep=false
! "$cli" sweep --help > /dev/null 2>&1 || has_sweep=true

# The two commands of docs/cluster.md: an array of 2 shards into $tmp/NAME (PAIRBENCH_OUT), then
# its merge with merge_opts (for sbatch) and merge_args. Prints "ARRAY MERGE", the job ids.
submit ()
{
  local name=$1 array merge
  shift
  mkdir -p "$tmp/$name"
  array=$(PAIRBENCH_OUT=$tmp/$name sbatch --parsable --array=1-2 --chdir="$tmp" \
            --output="$tmp/log/$name-%A_%a.out" "$script" "$@" 2>> "$tmp/log/sbatch.err") \
    || return 1
  array=${array%%;*}
  merge=$(PAIRBENCH_OUT=$tmp/$name sbatch --parsable --dependency=afterok:"$array" \
            --chdir="$tmp" --output="$tmp/log/$name-merge-%j.out" "${merge_opts[@]}" \
            "$script" merge "${merge_args[@]}" 2>> "$tmp/log/sbatch.err") || return 1
  merge=${merge%%;*}
  echo "$array $merge"
}

started=$(date +%s)
merge_opts=()
merge_args=(--table "$tmp/merged.md")
study_jobs=$(submit study study "${study_args[@]}") || study_jobs=""
job_ids=$study_jobs
sweep_jobs=""
if $has_sweep; then
  # The sweep's merge trains the best settings for both rounds: two CPUs for it.
  merge_opts=(-c 2)
  merge_args=()
  sweep_jobs=$(submit sweep sweep --config "$tmp/sweep.json" "${sweep_args[@]}") || sweep_jobs=""
  job_ids="$study_jobs $sweep_jobs"
fi
if [ -z "$study_jobs" ] || { $has_sweep && [ -z "$sweep_jobs" ]; }; then
  echo "not ok 2 - sbatch refused the jobs: $(cat "$tmp/log/sbatch.err")"
  diagnose
  exit 1
fi

# The jobs' states, counted: " 3 JobState=COMPLETED".
job_states ()
{
  local j
  for j in $1; do
    scontrol -o show job "$j" | grep -o 'JobState=[A-Z_]*'
  done | sort | uniq -c | tr -s ' \n' ' '
}

# Waits for an array of two tasks and its merge, until job_timeout after the submission; fails
# with why unless all three completed. done_in: the seconds since the submission.
wait_jobs ()
{
  local ids
  ids=$(echo "$1" | tr ' ' ',')
  while [ -n "$(squeue -h -j "$ids" -o %i 2> /dev/null)" ]; do
    if [ $(($(date +%s) - started)) -ge "$job_timeout" ]; then
      why="they did not finish in $job_timeout s ($(job_states "$1"))"
      return 1
    fi
    sleep 1
  done
  done_in=$(($(date +%s) - started))
  if [ "$(job_states "$1")" != " 3 JobState=COMPLETED " ]; then
    why="not all completed ($(job_states "$1"))"
    return 1
  fi
}

failed=0
# Byte for byte, apart from the values of keys containing "seconds"; the first differences as
# TAP comments.
strip_seconds ()
{
  sed 's/"[^"]*seconds[^"]*":[^,}]*//g' "$1"
}
same_json ()
{
  cmp -s <(strip_seconds "$1") <(strip_seconds "$2") && return 0
  diff <(strip_seconds "$1" | tr ',' '\n') <(strip_seconds "$2" | tr ',' '\n') | head -n 40 \
    | sed 's/^/# /'
  return 1
}

if ! wait_jobs "$study_jobs"; then
  echo "not ok 2 - the study's array and merge: $why"
  diagnose
  exit 1
fi
shards=("$tmp"/study/shard-*.json)
echo "ok 2 - the study's 2 shard tasks and its dependent merge completed in $done_in s" \
  "(${#shards[@]} shard files)"

# The same study in one process.
t0=$(date +%s)
if ! "$cli" study "${study_args[@]}" --json --table "$tmp/whole.md" > "$tmp/whole.json" \
       2> "$tmp/log/whole.err"; then
  echo "not ok 3 - the one-process study failed: $(tail -n 3 "$tmp/log/whole.err")"
  exit 1
fi
whole_s=$(($(date +%s) - t0))
if ! grep -q '"model":"siamese"' "$tmp/whole.json" \
   || ! grep -q '"model":"stacked"' "$tmp/whole.json"; then
  echo "not ok 3 - the one-process study's JSON has no siamese and stacked models"
  failed=1
  head -c 2000 "$tmp/whole.json" >&2
elif [ -s "$tmp/study/merged.json" ] && same_json "$tmp/study/merged.json" "$tmp/whole.json"
then
  echo "ok 3 - the merged JSON equals the one-process study's ($whole_s s), apart from" \
    "\"seconds\" keys ($(wc -c < "$tmp/whole.json") bytes)"
else
  echo "not ok 3 - the merged JSON differs from the one-process study's"
  failed=1
fi

# The tables, but for their "Seconds per run" column.
table ()
{
  cut -d '|' -f 1-5,7- "$1"
}
if [ -s "$tmp/merged.md" ] && [ -s "$tmp/whole.md" ] \
   && cmp -s <(table "$tmp/merged.md") <(table "$tmp/whole.md"); then
  echo "ok 4 - merge --table writes the one-process study's table, but for the seconds"
else
  echo "not ok 4 - merge --table differs from the one-process study's table"
  failed=1
  diff "$tmp/merged.md" "$tmp/whole.md" 2>&1 | head -n 20 | sed 's/^/# /'
fi

if ! $has_sweep; then
  echo "ok 5 # SKIP this pairbench-cli has no sweep command"
  echo "ok 6 # SKIP this pairbench-cli has no sweep command"
elif ! wait_jobs "$sweep_jobs"; then
  echo "not ok 5 - the sweep's array and merge: $why"
  diagnose
  exit 1
else
  echo "ok 5 - the sweep's 2 shard tasks and its dependent merge (2 CPUs) completed in" \
    "$done_in s"
  t0=$(date +%s)
  if ! "$cli" sweep --config "$tmp/sweep.json" "${sweep_args[@]}" --json \
         > "$tmp/sweep-whole.json" 2> "$tmp/log/sweep-whole.err"; then
    echo "not ok 6 - the one-process sweep failed: $(tail -n 3 "$tmp/log/sweep-whole.err")"
    failed=1
  elif ! grep -q '"best"' "$tmp/sweep-whole.json"; then
    echo "not ok 6 - the one-process sweep's JSON has no best settings"
    failed=1
  elif [ -s "$tmp/sweep/merged.json" ] \
       && same_json "$tmp/sweep/merged.json" "$tmp/sweep-whole.json"; then
    echo "ok 6 - the merged JSON equals the one-process sweep's ($(($(date +%s) - t0)) s)," \
      "apart from \"seconds\" keys ($(wc -c < "$tmp/sweep-whole.json") bytes)"
  else
    echo "not ok 6 - the merged JSON differs from the one-process sweep's"
    failed=1
  fi
fi

pids="$slurmd_pid $ctld_pid $munged_pid"
cleanup
trap - EXIT
alive=""
for p in $pids; do
  ! running "$p" || alive="$alive $p"
done
if [ -z "$alive" ]; then
  echo "ok 7 - slurmd, slurmctld and munged stopped"
else
  echo "not ok 7 - still running:$alive"
  failed=1
fi
exit "$failed"
