#!/usr/bin/env bash
# Test hosts on one machine, for multi-host runs without a cluster (docs/multihost.md).
#
#   scripts/testhosts.sh up N [--link-mbit M] [--slots S]   make N hosts; prints their folder
#   scripts/testhosts.sh down DIR                           remove exactly what `up` made
#   scripts/testhosts.sh env DIR                            the variables mpirun needs, for eval
#   scripts/testhosts.sh processes DIR [HOST]               pids inside the hosts (or host HOST, 1..N)
#   scripts/testhosts.sh link DIR HOST up|down              take host HOST's link down (a lost host) or up
#
# Each host is a network namespace (its own veth to a bridge in this namespace, an address in a
# private /24 no other set of test hosts holds) entered with its own UTS namespace, so it has its
# own hostname: Open MPI names its shared-memory segments by hostname, and ranks of two "hosts"
# with one name would collide. mpirun reaches the hosts through DIR/agent, its launch agent
# (`--mca plm_rsh_agent`: HOST CMD... runs CMD in that host), so no sshd is needed. --link-mbit
# shapes each host's link with tbf, both ways. Needs root (namespaces, links, qdiscs).
set -euo pipefail

die() { echo "testhosts: $*" >&2; exit 2; }
[ "$(id -u)" = 0 ] || die "needs root (network namespaces)"

# The third octet K of 10.213.K.0/24 names everything: namespaces mtK-1..N, veths mtKv1..,
# the bridge mtKbr. Chosen under a lock, skipping any K whose bridge or namespaces exist.
choose_subnet() {
    for k in $(seq 10 250); do
        ip link show "mt${k}br" >/dev/null 2>&1 && continue
        ls /run/netns/mt${k}-* >/dev/null 2>&1 && continue
        ip -o addr show | grep -q " 10\.213\.$k\." && continue
        echo "$k"
        return
    done
    die "no free 10.213.K.0/24 subnet"
}

up() {
    local n=$1; shift
    local mbit="" slots=2
    while [ $# -gt 0 ]; do
        case $1 in
            --link-mbit) mbit=${2:?--link-mbit needs a rate}; shift 2 ;;
            --slots) slots=${2:?--slots needs a number}; shift 2 ;;
            *) die "unknown option $1" ;;
        esac
    done
    [[ $n =~ ^[1-9][0-9]?$ ]] || die "N must be a number of hosts from 1 to 99, got '$n'"
    [[ $slots =~ ^[1-9][0-9]*$ ]] || die "--slots must be at least 1, got '$slots'"
    [ -z "$mbit" ] || [[ $mbit =~ ^[1-9][0-9]*$ ]] || die "--link-mbit must be a whole number of Mbit/s, got '$mbit'"
    mkdir -p /run/meshtop
    exec 9>/run/meshtop/testhosts.lock
    flock 9
    local k dir
    k=$(choose_subnet)
    dir=$(mktemp -d /tmp/meshtop-testhosts.XXXXXX)
    chmod 755 "$dir"
    # What down removes, written before it exists so a failure half-way is undone too.
    echo "$k $n" > "$dir/state"
    trap 'down "$dir" >/dev/null 2>&1 || true' ERR
    ip link add "mt${k}br" type bridge
    ip addr add "10.213.$k.1/24" dev "mt${k}br"
    ip link set "mt${k}br" up
    : > "$dir/hostfile"
    local cases=""
    for i in $(seq 1 "$n"); do
        local ns="mt${k}-$i" addr="10.213.$k.$((10 + i))"
        ip netns add "$ns"
        ip link add "mt${k}v$i" type veth peer name "mt${k}p$i"
        ip link set "mt${k}p$i" netns "$ns"
        ip -n "$ns" link set "mt${k}p$i" name eth0
        ip -n "$ns" addr add "$addr/24" dev eth0
        ip -n "$ns" link set eth0 up
        ip -n "$ns" link set lo up
        ip -n "$ns" route add default via "10.213.$k.1"
        ip link set "mt${k}v$i" master "mt${k}br"
        ip link set "mt${k}v$i" up
        if [ -n "$mbit" ]; then
            # Both directions of the host's link: its egress inside, its ingress on the bridge side.
            tc qdisc add dev "mt${k}v$i" root tbf rate "${mbit}mbit" burst 64kb latency 50ms
            ip netns exec "$ns" tc qdisc add dev eth0 root tbf rate "${mbit}mbit" burst 64kb latency 50ms
        fi
        echo "$addr slots=$slots" >> "$dir/hostfile"
        cases+="    $addr|$ns) ns=$ns ;;"$'\n'
    done
    cat > "$dir/agent" <<EOF
#!/bin/sh
# mpirun's launch agent for the test hosts of $dir: HOST CMD... runs CMD (a shell command, as
# ssh would) in that host's network namespace, with its own hostname.
host=\$1; shift
case \$host in
$cases    *) echo "testhosts agent: no test host \$host" >&2; exit 255 ;;
esac
exec nsenter --net=/run/netns/\$ns unshare --uts sh -c "hostname \$ns && \$*"
EOF
    chmod 755 "$dir/agent"
    cat > "$dir/env" <<EOF
export OMPI_MCA_plm_rsh_agent=$dir/agent
export OMPI_MCA_oob_tcp_if_include=10.213.$k.0/24
export OMPI_MCA_btl_tcp_if_include=10.213.$k.0/24
EOF
    trap - ERR
    echo "$dir"
}

# Every process whose network namespace is one of ours: by PID, nothing else is touched.
# The processes in hosts FIRST..LAST of set K: processes_in K LAST [FIRST].
processes_in() {
    local k=$1 n=$2 i
    for i in $(seq "${3:-1}" "$n"); do
        local ns=/run/netns/mt${k}-$i
        [ -e "$ns" ] || continue
        local inode
        inode=$(stat -L -c %i "$ns")
        for p in /proc/[0-9]*; do
            [ "$(stat -L -c %i "$p/ns/net" 2>/dev/null)" = "$inode" ] && echo "${p#/proc/}"
        done
    done
    return 0
}

down() {
    local dir=${1:?down needs the folder up printed}
    [ -f "$dir/state" ] || die "$dir: not a folder of test hosts (no state file)"
    local k n
    read -r k n < "$dir/state"
    local pids
    pids=$(processes_in "$k" "$n")
    if [ -n "$pids" ]; then
        kill -KILL $pids 2>/dev/null || true
        for _ in $(seq 1 50); do
            [ -z "$(processes_in "$k" "$n")" ] && break
            sleep 0.1
        done
    fi
    for i in $(seq 1 "$n"); do
        ip netns del "mt${k}-$i" 2>/dev/null || true
        ip link del "mt${k}v$i" 2>/dev/null || true
    done
    ip link del "mt${k}br" 2>/dev/null || true
    rm -rf "$dir"
}

case ${1:-} in
    up) shift; [ $# -ge 1 ] || die "usage: testhosts.sh up N [--link-mbit M] [--slots S]"; up "$@" ;;
    down) shift; down "$@" ;;
    env) shift; cat "${1:?env needs the folder up printed}/env" ;;
    link) shift; read -r k n < "${1:?}/state"
        [ "${3:-}" = up ] || [ "${3:-}" = down ] || die "usage: testhosts.sh link DIR HOST up|down"
        [ "${2:-0}" -ge 1 ] && [ "$2" -le "$n" ] || die "link: host ${2:-} is not 1..$n"
        ip link set "mt${k}v$2" "$3" ;;
    processes) shift; read -r k n < "${1:?}/state"
        if [ -n "${2:-}" ]; then processes_in "$k" "$2" "$2"; else processes_in "$k" "$n"; fi ;;
    *) die "usage: testhosts.sh up N [--link-mbit M] [--slots S] | down DIR | env DIR | processes DIR [HOST] | link DIR HOST up|down" ;;
esac
