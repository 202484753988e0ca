#!/usr/bin/env bash
# slurm-local.sh: a private single-node SLURM cluster on loopback, for tests and CI.
#
#   scripts/slurm-local.sh start          bring the cluster up (installs slurm-wlm + munge if missing)
#   eval "$(scripts/slurm-local.sh env)"  point sbatch/squeue/srun/sacct of this shell at it
#   scripts/slurm-local.sh status         daemons, node state, queue
#   scripts/slurm-local.sh stop           cancel jobs, stop exactly the daemons `start` recorded
#   scripts/slurm-local.sh run -- CMD...  start, run CMD with the client environment, stop again
#                                         (a cluster that was already running stays up)
#   scripts/slurm-local.sh clean          stop, then delete the state folder
#
# Everything lives under one state folder, ${NNAPPROX_SLURM_DIR:-/tmp/nnapprox-slurm}:
#   slurm.conf, munge/ (key, seed, pid, log; munge:munge 0700), munge-run/ (socket),
#   ctld/ (StateSaveLocation), spool/ (SlurmdSpoolDir), log/, bin/sacct (stand-in),
#   pids (name pid per line, written by `start`), client.env (KEY=VALUE for clients).
# Daemons run as root (SlurmUser=root) except munged (user munge); there is no slurmdbd, so
# bin/sacct answers from squeue. Needs root. Other settings (environment):
#   NNAPPROX_SLURM_DIR            state folder                       [/tmp/nnapprox-slurm]
#   NNAPPROX_SLURMCTLD_PORT       slurmctld TCP port                 [16817]
#   NNAPPROX_SLURMD_PORT          slurmd TCP port                    [16818]
#   NNAPPROX_SLURM_MEM_MB         node RealMemory in MB  [95% of what `slurmd -C` reports]
#   NNAPPROX_SLURM_START_TIMEOUT  seconds to wait for the node to be idle [60]
set -euo pipefail

PROG=$(basename "$0")
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
STATE=${NNAPPROX_SLURM_DIR:-/tmp/nnapprox-slurm}
[[ $STATE == /* ]] || STATE=$PWD/$STATE
STATE=${STATE%/}
case $STATE in *[[:space:]]* | *[\'\"\\]*) echo "${0##*/}: NNAPPROX_SLURM_DIR may not contain spaces or quotes (slurm.conf cannot hold them): $STATE" >&2; exit 1 ;; esac
CTLD_PORT=${NNAPPROX_SLURMCTLD_PORT:-16817}
SLURMD_PORT=${NNAPPROX_SLURMD_PORT:-16818}
START_TIMEOUT=${NNAPPROX_SLURM_START_TIMEOUT:-60}
CONF=$STATE/slurm.conf
PIDS=$STATE/pids
SOCKET=$STATE/munge-run/munge.socket
# Every daemon gets this variable in its environment (so do their forks, e.g. slurmscriptd);
# with SLURM_CONF it lets `stop` find leftovers of *this* cluster and nothing else.
MARK=NNAPPROX_SLURM_CLUSTER=$STATE

log() { printf '%s: %s\n' "$PROG" "$*" >&2; }
die() { log "error: $*"; exit 1; }

usage() {
    sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
    exit "${1:-2}"
}

# ---------------------------------------------------------------- helpers

alive() {  # alive PID: process exists and is not a zombie
    local pid=$1 st
    [[ -r /proc/$pid/stat ]] || return 1
    st=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1) || return 1
    [[ -n $st && $st != Z && $st != X ]]
}

is_ours() {  # is_ours PID NAME: alive, runs program NAME, carries our marker
    local pid=$1 name=$2 comm
    alive "$pid" || return 1
    comm=$(cat "/proc/$pid/comm" 2>/dev/null) || return 1
    [[ $comm == "$name"* ]] || return 1
    [[ -r /proc/$pid/environ ]] || return 0  # not root (status): the name has to do
    tr '\0' '\n' 2>/dev/null <"/proc/$pid/environ" | grep -qxF "$MARK"
}

ancestors() {  # this shell and its ancestors (never to be killed)
    local pid=$BASHPID
    echo "$$"
    while [[ -n $pid && $pid != 0 ]]; do
        echo "$pid"
        pid=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f2) || break
    done
}

leftover_pids() {
    # Processes of *this* cluster that `start` did not record: forks of our daemons (they carry
    # $MARK), slurmstepd of our slurmd and job processes (SLURM_CONF=our conf, with SLURM_JOB_ID).
    local d pid env keep
    keep=" $(ancestors | tr '\n' ' ') "
    for d in /proc/[0-9]*; do
        pid=${d#/proc/}
        [[ $keep == *" $pid "* ]] && continue
        env=$(tr '\0' '\n' 2>/dev/null <"$d/environ") || continue
        if grep -qxF "$MARK" <<<"$env" \
            || { grep -qxF "SLURM_CONF=$CONF" <<<"$env" \
                 && { grep -q '^SLURM_JOB_ID=' <<<"$env" \
                      || [[ $(cat "$d/comm" 2>/dev/null) == slurmstepd ]]; }; }; then
            alive "$pid" && echo "$pid"
        fi
    done
    return 0
}

recorded() {  # recorded NAME -> pid from the pids file (empty if none)
    [[ -f $PIDS ]] || return 0
    awk -v n="$1" '$1 == n { print $2 }' "$PIDS"
}

running_state() {  # prints: running | stopped | partial
    local n=0 up=0 name pid
    [[ -f $PIDS ]] || { echo stopped; return; }
    while read -r name pid; do
        [[ -n ${name:-} ]] || continue
        n=$((n + 1))
        is_ours "$pid" "$name" && up=$((up + 1))
    done <"$PIDS"
    if ((n > 0 && up == n)); then echo running
    elif ((up == 0)); then echo stopped
    else echo partial; fi
}

wait_pidfile() {  # wait_pidfile FILE SECONDS [LOG] -> prints pid once alive; fails early on "fatal:" in LOG
    local file=$1 deadline=$((SECONDS + $2)) logf=${3:-} pid
    while ((SECONDS < deadline)); do
        if [[ -s $file ]]; then
            pid=$(tr -dc '0-9' <"$file")
            if [[ -n $pid ]] && alive "$pid"; then echo "$pid"; return 0; fi
        fi
        [[ -n $logf ]] && grep -q 'fatal:' "$logf" 2>/dev/null && return 1
        sleep 0.1
    done
    return 1
}

port_free() {  # port_free PORT: nothing listens on it (true when ss is unavailable)
    command -v ss >/dev/null || return 0
    [[ -z $(ss -Hltn "sport = :$1" 2>/dev/null) ]]
}

kill_wait() {  # kill_wait SECONDS PID...: TERM, wait, then KILL what is left
    local secs=$1 deadline pid left
    shift
    (($#)) || return 0
    kill -TERM "$@" 2>/dev/null || true
    deadline=$((SECONDS + secs))
    while :; do
        left=()
        for pid in "$@"; do alive "$pid" && left+=("$pid"); done
        ((${#left[@]})) || return 0
        if ((SECONDS >= deadline)); then
            log "still alive after ${secs}s, sending KILL: ${left[*]}"
            kill -KILL "${left[@]}" 2>/dev/null || true
            sleep 0.5
            return 0
        fi
        sleep 0.2
    done
}

client_env() {  # run a client command against our cluster, bounded
    SLURM_CONF=$CONF timeout "${CLIENT_TIMEOUT:-10}" "$@"
}

# ---------------------------------------------------------------- install

install_packages() {
    local missing=()
    command -v slurmctld >/dev/null || missing+=(slurmctld)
    command -v slurmd >/dev/null || missing+=(slurmd)
    command -v sbatch >/dev/null || missing+=(slurm-client)
    command -v munged >/dev/null || missing+=(munge)
    ((${#missing[@]})) || return 0
    command -v apt-get >/dev/null || die "missing ${missing[*]} and no apt-get to install them"
    log "installing slurm-wlm and munge with apt-get (missing: ${missing[*]})"
    # Keep the packages' own services from starting (we run private daemons instead).
    local policy=/usr/sbin/policy-rc.d made_policy=0
    if [[ ! -e $policy ]]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy"
        chmod 755 "$policy"
        made_policy=1
    fi
    local rc=0
    export DEBIAN_FRONTEND=noninteractive
    apt_install() { apt-get install -y -q --no-install-recommends slurm-wlm munge; }
    if ! apt_install >"$STATE.apt.log" 2>&1; then
        apt-get update -q >>"$STATE.apt.log" 2>&1 || true
        apt_install >>"$STATE.apt.log" 2>&1 || rc=$?
    fi
    ((made_policy)) && rm -f "$policy"
    ((rc == 0)) || { tail -20 "$STATE.apt.log" >&2; die "apt-get install failed (log: $STATE.apt.log)"; }
    rm -f "$STATE.apt.log"
}

# ---------------------------------------------------------------- start

write_conf() {
    local host line cpus boards sockets cores threads realmem mem
    host=$(hostname -s)
    line=$(slurmd -C 2>&1 | head -1) || die "slurmd -C failed: $line"
    [[ $line == NodeName=* ]] || die "slurmd -C gave no node line: $line"
    field() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" <<<" $line"; }
    cpus=$(field CPUs); boards=$(field Boards); sockets=$(field SocketsPerBoard)
    cores=$(field CoresPerSocket); threads=$(field ThreadsPerCore); realmem=$(field RealMemory)
    [[ -n $cpus && -n $realmem ]] || die "cannot read CPUs/RealMemory from: $line"
    mem=${NNAPPROX_SLURM_MEM_MB:-$((realmem * 95 / 100))}
    ((mem <= realmem)) || die "NNAPPROX_SLURM_MEM_MB=$mem exceeds real memory $realmem MB"
    cat >"$CONF" <<EOF
# Written by $PROG for a private single-node test cluster; do not edit (rewritten on start).
ClusterName=nnapprox
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$SOCKET
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/spool
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/log/slurmctld.log
SlurmdLogFile=$STATE/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
# no cgroups in containers: plain process tracking, no task binding
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
MpiDefault=none
# no accounting (no slurmdbd): bin/sacct answers from squeue instead
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
ReturnToService=2
KillWait=5
MinJobAge=3600
InactiveLimit=0
SlurmdTimeout=60
Waittime=0
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus Boards=${boards:-1} SocketsPerBoard=${sockets:-1} CoresPerSocket=${cores:-$cpus} ThreadsPerCore=${threads:-1} RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
}

write_client_env() {
    cat >"$STATE/client.env" <<EOF
NNAPPROX_SLURM_DIR=$STATE
SLURM_CONF=$CONF
NNAPPROX_SLURM_BIN=$STATE/bin
EOF
}

node_state() {
    CLIENT_TIMEOUT=5 client_env sinfo -h -N -o '%T' 2>/dev/null | head -1 || true
}

ABORT_START=0
on_start_exit() {
    local rc=$?
    if ((ABORT_START)); then
        log "start failed or was interrupted; stopping what was started"
        do_stop >&2 || true
    fi
    exit "$rc"
}

do_start() {
    [[ $(id -u) == 0 ]] || die "must run as root (daemons, munge key ownership, apt-get)"
    case $(running_state) in
        running) log "already running (state $STATE)"; write_client_env; print_env; return 0 ;;
        partial) die "some daemons of $STATE are gone; run '$PROG stop' first" ;;
    esac
    local port
    for port in "$CTLD_PORT" "$SLURMD_PORT"; do
        port_free "$port" || die "TCP port $port is in use (another cluster?); choose others with NNAPPROX_SLURMCTLD_PORT / NNAPPROX_SLURMD_PORT"
    done
    mkdir -p "$(dirname "$STATE")"
    install_packages
    local t0=$SECONDS
    if [[ -d $STATE && -n $(ls -A "$STATE") && ! -e $STATE/.nnapprox-slurm ]]; then
        die "$STATE exists, is not empty and holds no cluster of ours; choose another NNAPPROX_SLURM_DIR"
    fi
    trap on_start_exit EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    rm -rf "$STATE"
    mkdir -p "$STATE"
    : >"$STATE/.nnapprox-slurm"  # marks the folder as ours (start may wipe it)
    mkdir -p "$STATE"/{ctld,spool,log,bin}
    chmod 755 "$STATE"
    : >"$PIDS"
    ABORT_START=1

    # munge: key 0600 munge:munge in a folder only munge (and root) can write
    install -d -o munge -g munge -m 0700 "$STATE/munge"
    install -d -o munge -g munge -m 0755 "$STATE/munge-run"
    if command -v mungekey >/dev/null; then
        mungekey --create --keyfile="$STATE/munge/munge.key" --force >/dev/null
    else
        dd if=/dev/urandom of="$STATE/munge/munge.key" bs=1024 count=1 status=none
    fi
    chown munge:munge "$STATE/munge/munge.key"
    chmod 0600 "$STATE/munge/munge.key"

    ln -sf "$SCRIPT_DIR/sacct" "$STATE/bin/sacct"
    write_conf
    write_client_env

    local pid
    env "$MARK" setpriv --reuid=munge --regid=munge --init-groups -- \
        munged --socket="$SOCKET" --key-file="$STATE/munge/munge.key" \
        --pid-file="$STATE/munge/munged.pid" --log-file="$STATE/munge/munged.log" \
        --seed-file="$STATE/munge/munged.seed" --num-threads=2 </dev/null \
        || die "munged failed: $(tail -5 "$STATE/munge/munged.log" 2>/dev/null)"
    pid=$(wait_pidfile "$STATE/munge/munged.pid" 10) || die "munged did not start"
    echo "munged $pid" >>"$PIDS"

    env "$MARK" slurmctld -f "$CONF" </dev/null >>"$STATE/log/slurmctld.out" 2>&1 \
        || die "slurmctld failed: $(tail -5 "$STATE/log/slurmctld.log" "$STATE/log/slurmctld.out" 2>/dev/null)"
    pid=$(wait_pidfile "$STATE/slurmctld.pid" 15 "$STATE/log/slurmctld.log") \
        || die "slurmctld did not start: $(tail -5 "$STATE/log/slurmctld.log" 2>/dev/null)"
    echo "slurmctld $pid" >>"$PIDS"

    env "$MARK" slurmd -f "$CONF" </dev/null >>"$STATE/log/slurmd.out" 2>&1 \
        || die "slurmd failed: $(tail -5 "$STATE/log/slurmd.log" "$STATE/log/slurmd.out" 2>/dev/null)"
    pid=$(wait_pidfile "$STATE/slurmd.pid" 15 "$STATE/log/slurmd.log") \
        || die "slurmd did not start: $(tail -5 "$STATE/log/slurmd.log" 2>/dev/null)"
    echo "slurmd $pid" >>"$PIDS"

    local deadline=$((SECONDS + START_TIMEOUT)) st=""
    while :; do
        st=$(node_state)
        [[ $st == idle* ]] && break
        [[ $(running_state) == running ]] || die "a daemon exited; see $STATE/log"
        ((SECONDS < deadline)) || die "node not idle after ${START_TIMEOUT}s (state '${st}'); see $STATE/log"
        sleep 0.3
    done
    ABORT_START=0
    trap - EXIT INT TERM
    log "cluster up in $((SECONDS - t0))s: node $(hostname -s) $st, state $STATE"
    print_env
}

# ---------------------------------------------------------------- stop / status

do_stop() {
    local name pid pids=() left
    if [[ -f $PIDS ]]; then
        # Cancel jobs first so slurmd can end their steps cleanly.
        if [[ $(recorded slurmctld) ]] && is_ours "$(recorded slurmctld)" slurmctld; then
            CLIENT_TIMEOUT=5 client_env scancel --full --quiet --state=RUNNING 2>/dev/null || true
            CLIENT_TIMEOUT=5 client_env scancel --quiet --state=PENDING 2>/dev/null || true
            local deadline=$((SECONDS + 10))
            while ((SECONDS < deadline)); do
                left=$(CLIENT_TIMEOUT=5 client_env squeue -h -t RUNNING,COMPLETING,SUSPENDED -o %i 2>/dev/null | wc -l) || break
                ((left == 0)) && break
                sleep 0.3
            done
        fi
        # slurmd, then slurmctld, then munged: exactly the PIDs `start` recorded.
        for name in slurmd slurmctld munged; do
            pid=$(recorded "$name")
            [[ -n $pid ]] || continue
            if is_ours "$pid" "$name"; then
                kill_wait 15 "$pid"
                log "stopped $name (pid $pid)"
            fi
        done
    fi
    # Leftovers of this cluster (job steps that outlived their daemons).
    mapfile -t pids < <(leftover_pids)
    if ((${#pids[@]})); then
        log "stopping leftover processes of this cluster: ${pids[*]}"
        kill_wait 10 "${pids[@]}"
    fi
    rm -f "$PIDS" "$STATE/munge/munge.key" 2>/dev/null || true
    return 0
}

do_status() {
    local st name pid
    st=$(running_state)
    echo "state folder: $STATE"
    echo "cluster: $st"
    if [[ -f $PIDS ]]; then
        while read -r name pid; do
            if is_ours "$pid" "$name"; then echo "  $name pid $pid: running"
            else echo "  $name pid $pid: gone"; fi
        done <"$PIDS"
    fi
    if [[ $st == running ]]; then
        echo "slurm.conf: $CONF"
        CLIENT_TIMEOUT=5 client_env sinfo -N -o '%N %T %c %m %P' || echo "(sinfo failed)"
        CLIENT_TIMEOUT=5 client_env squeue -o '%i %j %T %M %R' || echo "(squeue failed)"
    fi
    [[ $st == running ]]
}

print_env() {
    printf 'export NNAPPROX_SLURM_DIR=%q\n' "$STATE"
    printf 'export SLURM_CONF=%q\n' "$CONF"
    # shellcheck disable=SC2016  # $PATH is for the caller's shell to expand
    printf 'export PATH=%q"${PATH:+:$PATH}"\n' "$STATE/bin"
}

do_run() {
    (($#)) || die "usage: $PROG run -- COMMAND [ARGS...]"
    if [[ $(running_state) == running ]]; then
        log "using the cluster that is already running (it stays up)"
    else
        do_start >/dev/null
        trap 'do_stop' EXIT
    fi
    trap 'exit 130' INT
    trap 'exit 143' TERM
    local rc=0
    SLURM_CONF=$CONF NNAPPROX_SLURM_DIR=$STATE PATH="$STATE/bin:$PATH" "$@" || rc=$?
    return "$rc"
}

cmd=${1:-}
(($#)) && shift
case $cmd in
    start) do_start ;;
    stop) [[ $(id -u) == 0 ]] || die "must run as root"; do_stop ;;
    status) do_status ;;
    env)
        [[ -f $CONF ]] || die "no cluster state in $STATE (run '$PROG start')"
        print_env ;;
    run) [[ ${1:-} == -- ]] && shift; do_run "$@" ;;
    clean)
        [[ $(id -u) == 0 ]] || die "must run as root"
        [[ ! -e $STATE || -e $STATE/.nnapprox-slurm ]] || die "$STATE holds no cluster of ours; not deleting it"
        do_stop; rm -rf "$STATE" ;;
    -h | --help | help) usage 0 ;;
    *) usage 2 ;;
esac
