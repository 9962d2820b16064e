# shellcheck shell=bash
# Two network namespaces joined by one veth pair: fixed names and addresses for
# scripts/make-captures.sh (netns_up), or names of the caller's (veth_pair_up).
#
#   hs-cap-a (server side)  hs-cap-va ==veth== hs-cap-vb  hs-cap-b (client side)
#
# No default route and no other interface: traffic cannot leave the pair.
# Addresses are only 10.213.x.x and fd00:213::/64 (ULA).

NS_A=hs-cap-a
NS_B=hs-cap-b
VETH_A=hs-cap-va
VETH_B=hs-cap-vb

netns_down() {
    local ns
    for ns in "$NS_A" "$NS_B"; do
        if ip netns list | grep -qw -- "$ns"; then
            ip netns del "$ns"
        fi
    done
}

# veth_pair_up NS_A NS_B VETH_A VETH_B : fresh namespaces of those names (old ones removed
# first) joined by a veth pair, loopback up and IPv6 off (so the kernel's own link-local
# chatter stays off the wire). The veth ends have no address and stay down: the caller sets
# them up (scripts/live-test.sh, scripts/bench-live.sh).
veth_pair_up() {
    local ns_a=$1 ns_b=$2 veth_a=$3 veth_b=$4 ns
    veth_pair_down "$ns_a" "$ns_b"
    ip netns add "$ns_a"
    ip netns add "$ns_b"
    ip link add "$veth_a" netns "$ns_a" type veth peer name "$veth_b" netns "$ns_b"
    for ns in "$ns_a" "$ns_b"; do
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
        ip -n "$ns" link set lo up
    done
}

# veth_pair_down NS... : ends every process left in the namespaces and removes them.
veth_pair_down() {
    local ns
    for ns in "$@"; do
        ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true
        ip netns del "$ns" 2>/dev/null || true
    done
}

# netns_up [v4|v6] : fresh namespaces (any old ones are removed first).
# v4: 10.213.7.1/24 (a) and 10.213.7.2/24 (b); IPv6 disabled so the kernel's
#     own link-local chatter (MLD, router solicitations) stays off the wire.
# v6: fd00:213::1/64 and fd00:213::2/64 added with nodad, no link-local
#     addresses (addr_gen_mode=1), no IPv4 address.
netns_up() {
    local family=${1:-v4}
    netns_down
    ip netns add "$NS_A"
    ip netns add "$NS_B"
    ip link add "$VETH_A" netns "$NS_A" type veth peer name "$VETH_B" netns "$NS_B"
    local ns dev
    for ns in "$NS_A" "$NS_B"; do
        if [[ $ns == "$NS_A" ]]; then dev=$VETH_A; else dev=$VETH_B; fi
        if [[ $family == v6 ]]; then
            ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$dev.addr_gen_mode=1"
            ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$dev.accept_ra=0"
            ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$dev.router_solicitations=0"
        else
            ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
            ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
        fi
        ip -n "$ns" link set lo up
    done
    if [[ $family == v6 ]]; then
        ip -n "$NS_A" addr add fd00:213::1/64 dev "$VETH_A" nodad
        ip -n "$NS_B" addr add fd00:213::2/64 dev "$VETH_B" nodad
    else
        ip -n "$NS_A" addr add 10.213.7.1/24 dev "$VETH_A"
        ip -n "$NS_B" addr add 10.213.7.2/24 dev "$VETH_B"
    fi
    ip -n "$NS_A" link set "$VETH_A" up
    ip -n "$NS_B" link set "$VETH_B" up
}

# netns_set_mtu MTU : both veth ends, and one segment per packet. Without
# gso_max_segs 1 TCP still hands veth GSO super-packets, which cross the pair
# unsplit: the capture would show one large frame despite the small MTU.
netns_set_mtu() {
    ip -n "$NS_A" link set dev "$VETH_A" mtu "$1" gso_max_segs 1
    ip -n "$NS_B" link set dev "$VETH_B" mtu "$1" gso_max_segs 1
}

# netns_vlan_trunk ID : makes the veth pair an 802.1Q trunk for VLAN ID.
#
# This kernel has no 8021q (`ip link add ... type vlan` says "Unknown device
# type"), no act_vlan and no bridge VLAN filtering, so VLAN sub-interfaces are
# impossible here. Instead a two-instruction eBPF program on each end's tc
# egress hook pushes the tag (bpf_skb_vlan_push, the helper act_vlan uses) and
# one on tc ingress pops it again before the stack would drop the tagged frame.
# The tag is pushed before the packet taps, so tcpdump on either veth sees
# every frame (ARP included) with an 802.1Q header. The programs are pinned on
# a bpffs mounted in a private mount namespace only long enough for tc to
# attach them; nothing is left behind once the namespaces are deleted.
netns_vlan_trunk() {
    local id=$1
    unshare -m bash -euo pipefail -c '
        id=$1 pins=$(mktemp -d)
        mount -t bpf bpf "$pins"
        python3 - "$id" "$pins" <<"PY"
import ctypes, os, struct, sys

libc = ctypes.CDLL(None, use_errno=True)
SYS_BPF, BPF_PROG_LOAD, BPF_OBJ_PIN, BPF_PROG_TYPE_SCHED_CLS = 321, 5, 6, 3   # x86_64

def insn(code, dst=0, imm=0):
    return struct.pack("<BBhi", code, dst, 0, imm)

def bpf(cmd, attr):
    r = libc.syscall(SYS_BPF, cmd, attr, len(attr))
    if r < 0:
        sys.exit(f"bpf({cmd}): {os.strerror(ctypes.get_errno())}")
    return r

def load_and_pin(prog, path):
    code = ctypes.create_string_buffer(b"".join(prog))
    lic = ctypes.create_string_buffer(b"GPL")
    attr = ctypes.create_string_buffer(128)
    struct.pack_into("<IIQQ", attr, 0, BPF_PROG_TYPE_SCHED_CLS, len(prog),
                     ctypes.addressof(code), ctypes.addressof(lic))
    fd = bpf(BPF_PROG_LOAD, attr)
    name = ctypes.create_string_buffer(path.encode())
    attr = ctypes.create_string_buffer(128)
    struct.pack_into("<QI", attr, 0, ctypes.addressof(name), fd)
    bpf(BPF_OBJ_PIN, attr)

MOV_R_IMM, CALL, EXIT = 0xb7, 0x85, 0x95
vid, pins = int(sys.argv[1]), sys.argv[2]
# r1 = skb already; r2 = htons(ETH_P_8021Q) as seen little-endian; r3 = TCI; return TC_ACT_OK
load_and_pin([insn(MOV_R_IMM, 2, 0x0081), insn(MOV_R_IMM, 3, vid), insn(CALL, imm=18),   # bpf_skb_vlan_push
              insn(MOV_R_IMM, 0, 0), insn(EXIT)], pins + "/push")
load_and_pin([insn(CALL, imm=19), insn(MOV_R_IMM, 0, 0), insn(EXIT)], pins + "/pop")    # bpf_skb_vlan_pop
PY
        shift
        while (($#)); do
            ip netns exec "$1" tc qdisc add dev "$2" clsact
            ip netns exec "$1" tc filter add dev "$2" egress bpf da object-pinned "$pins/push"
            ip netns exec "$1" tc filter add dev "$2" ingress bpf da object-pinned "$pins/pop"
            shift 2
        done
        umount "$pins"
        rmdir "$pins"
    ' netns_vlan_trunk "$id" "$NS_A" "$VETH_A" "$NS_B" "$VETH_B"
}

# wait_listening NS PORT : until a TCP listener on PORT exists in NS (5 s at most).
wait_listening() {
    local ns=$1 port=$2 i
    for i in $(seq 50); do
        if [[ -n $(ip netns exec "$ns" ss -Htln "sport = :$port") ]]; then
            return 0
        fi
        sleep 0.1
    done
    echo "nothing listens on port $port in $ns" >&2
    return 1
}
