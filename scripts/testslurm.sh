#!/usr/bin/env bash
# A real Slurm on the test hosts of scripts/testhosts.sh (docs/multihost.md): munged and
# slurmctld here, one slurmd inside each test host (its own hostname, spool and logs).
#
#   scripts/testslurm.sh up DIR      start it for the hosts of DIR; prints `export SLURM_CONF=...`
#   scripts/testslurm.sh down DIR    stop what up started (by PID) and remove its files
#
# Needs root and Debian's slurmd, slurmctld, slurm-client and munge. Ports are chosen from the
# hosts' subnet, so two sets of test hosts can each run one.
set -euo pipefail

die() { echo "testslurm: $*" >&2; exit 2; }

up() {
    local dir=${1:?up needs the folder testhosts.sh up printed}
    [ -f "$dir/state" ] || die "$dir: not a folder of test hosts"
    command -v slurmctld >/dev/null || die "slurmctld is not installed (apt-get install slurmd slurmctld slurm-client munge)"
    local k n
    read -r k n < "$dir/state"
    local s="$dir/slurm"
    mkdir -p "$s/state" "$s/munge"
    chmod 700 "$s/munge"
    # A key of its own: nothing of the machine's munge is used or touched.
    dd if=/dev/urandom of="$s/munge/munge.key" bs=1024 count=1 status=none
    chmod 400 "$s/munge/munge.key"
    munged --force --socket="$s/munge/munge.socket" --key-file="$s/munge/munge.key" \
        --pid-file="$s/munge/munged.pid" --log-file="$s/munge/munged.log" --seed-file="$s/munge/munged.seed" \
        </dev/null >/dev/null 2>&1
    local nodes=""
    for i in $(seq 1 "$n"); do
        local cpus
        cpus=$(awk '{for(i=2;i<=NF;i++) if($i ~ /^slots=/){sub("slots=","",$i); print $i}}' <(sed -n "${i}p" "$dir/hostfile"))
        nodes+="NodeName=mt${k}-$i NodeAddr=10.213.$k.$((10 + i)) CPUs=${cpus:-2} State=UNKNOWN"$'\n'
    done
    cat > "$s/slurm.conf" <<EOF
ClusterName=meshtop-test-$k
SlurmctldHost=$(hostname -s)(10.213.$k.1)
MailProg=/bin/true
SlurmctldPort=$((17000 + k))
SlurmdPort=$((17500 + k))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$s/munge/munge.socket
CredType=cred/munge
StateSaveLocation=$s/state
SlurmdSpoolDir=$s/spool-%n
SlurmctldPidFile=$s/slurmctld.pid
SlurmdPidFile=$s/slurmd-%n.pid
SlurmctldLogFile=$s/slurmctld.log
SlurmdLogFile=$s/slurmd-%n.log
TmpFS=$s/tmp
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/builtin
ReturnToService=2
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
SlurmdTimeout=30
InactiveLimit=0
MinJobAge=5
$nodes
PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
    mkdir -p "$s/tmp"
    # The daemons keep none of our descriptors: whoever reads this script's output gets its end.
    SLURM_CONF="$s/slurm.conf" slurmctld -i -f "$s/slurm.conf" </dev/null >/dev/null 2>&1
    for i in $(seq 1 "$n"); do
        local node="mt${k}-$i"
        mkdir -p "$s/spool-$node"
        # Inside the host: its network and its own hostname (slurmd knows itself by -N).
        nsenter --net="/run/netns/$node" unshare --uts sh -c \
            "hostname $node && SLURM_CONF=$s/slurm.conf exec slurmd -N $node -f $s/slurm.conf" </dev/null >/dev/null 2>&1
    done
    # Ready when every node is idle.
    for _ in $(seq 1 100); do
        local idle
        idle=$(SLURM_CONF="$s/slurm.conf" sinfo -h -N -o "%t" 2>/dev/null | grep -c '^idle' || true)
        if [ "$idle" = "$n" ]; then
            echo "export SLURM_CONF=$s/slurm.conf"
            return
        fi
        sleep 0.1
    done
    SLURM_CONF="$s/slurm.conf" sinfo -N >&2 || true
    die "the slurmds did not register within 10 s (logs in $s)"
}

down() {
    local dir=${1:?down needs the folder of the test hosts}
    local s="$dir/slurm"
    [ -d "$s" ] || return 0
    for pidfile in "$s"/slurmd-*.pid "$s/slurmctld.pid" "$s/munge/munged.pid"; do
        [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null || true
    done
    sleep 0.3
    for pidfile in "$s"/slurmd-*.pid "$s/slurmctld.pid" "$s/munge/munged.pid"; do
        [ -f "$pidfile" ] && kill -KILL "$(cat "$pidfile")" 2>/dev/null || true
    done
    rm -rf "$s"
}

case ${1:-} in
    up) shift; up "$@" ;;
    down) shift; down "$@" ;;
    *) die "usage: testslurm.sh up DIR | down DIR" ;;
esac
