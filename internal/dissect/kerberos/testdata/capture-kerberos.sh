#!/usr/bin/env bash
# Regenerates the Kerberos captures in this directory from a throwaway MIT
# KDC (realm HOSPITAL.TEST) on 127.0.0.1:88; the system's krb5 config is
# never touched (KRB5_CONFIG and KRB5_KDC_PROFILE point into a temp dir).
#
#   apt-get install -y krb5-kdc krb5-admin-server krb5-user tcpdump tshark
#   sudo internal/dissect/kerberos/testdata/capture-kerberos.sh
#
# Principals: the machine account WS01$ and the host principal
# host/ct-console.hospital.test (keytabs, as machines log in), and the
# user CANARY.NURSE (password, pre-authentication required): the canary,
# whose name must never reach an observation.
#
# mit_kdc_udp.pcap (UDP):
#   1. kinit -k WS01$                     AS-REQ, KRB-ERROR 25, AS-REQ, AS-REP
#   2. kvno host/ct-console...            TGS-REQ, TGS-REP (client WS01$)
#   3. kinit -k host/ct-console... with default_tkt_enctypes offering
#      rc4-hmac (allow_weak_crypto)       AS-REQ offering 23, ...
#   4. kinit CANARY.NURSE, wrong password KRB-ERROR 25, then 24 (preauth failed)
# mit_kdc_tcp.pcap (udp_preference_limit = 1: every request over TCP):
#   5. kinit CANARY.NURSE (password)      AS-REQ, KRB-ERROR 25, AS-REQ, AS-REP
#   6. kvno host/ct-console...            TGS-REQ, TGS-REP
#
# Each .oracle.tsv is tshark's reading of a capture; the shared Windows
# login capture (ndpi/kerberos-login.pcap) gets one too when present.
# `capture-kerberos.sh oracle` only rereads the captures with tshark.
set -euo pipefail
cd "$(dirname "$0")"
here=$PWD

oracle() { # oracle <pcap> <name>
	tshark -n -r "$1" -Y 'kerberos.msg_type' -T fields -E header=y -E separator=/t -E occurrence=a -E 'aggregator=§' \
		-e frame.number -e ip.src -e udp.srcport -e tcp.srcport -e kerberos.msg_type -e kerberos.realm \
		-e kerberos.crealm -e kerberos.CNameString -e kerberos.name_type -e kerberos.ENCTYPE -e kerberos.etype \
		-e kerberos.error_code >"$here/$2.oracle.tsv" 2>/dev/null
}
oracles() {
	oracle mit_kdc_udp.pcap mit_kdc_udp
	oracle mit_kdc_tcp.pcap mit_kdc_tcp
	shared=${WARD_SHARED_DATA:-$here/../../../../../shared/data}/pcaps/ndpi/kerberos-login.pcap
	if [ -f "$shared" ]; then
		oracle "$shared" ndpi_kerberos_login
	fi
}
if [ "${1:-}" = oracle ]; then
	oracles
	exit
fi

realm=HOSPITAL.TEST
tmp=$(mktemp -d)
kdc=
dump=
cleanup() {
	[ -n "$dump" ] && kill "$dump" 2>/dev/null || true
	[ -n "$kdc" ] && kill "$kdc" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

export KRB5_CONFIG=$tmp/krb5.conf KRB5_KDC_PROFILE=$tmp/kdc.conf KRB5CCNAME=FILE:$tmp/ccache
cat >"$tmp/kdc.conf" <<EOF
[kdcdefaults]
	kdc_listen = 127.0.0.1:88
	kdc_tcp_listen = 127.0.0.1:88
[realms]
	$realm = {
		database_name = $tmp/principal
		key_stash_file = $tmp/stash
		acl_file = $tmp/kadm5.acl
		supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal rc4-hmac:normal
	}
[logging]
	kdc = FILE:$tmp/kdc.log
EOF
conf() { # conf <extra libdefaults lines>: the client's krb5.conf
	cat >"$tmp/krb5.conf" <<EOF
[libdefaults]
	default_realm = $realm
	dns_lookup_kdc = false
	dns_lookup_realm = false
	rdns = false
	allow_weak_crypto = true
$1
[realms]
	$realm = {
		kdc = 127.0.0.1:88
	}
EOF
}
conf ""

kdb5_util create -s -r "$realm" -P "stash-$RANDOM$RANDOM" >/dev/null
kadmin.local -q 'addprinc -randkey WS01$' >/dev/null 2>&1 # "No policy specified" notes
kadmin.local -q 'addprinc -randkey host/ct-console.hospital.test' >/dev/null 2>&1 # "No policy specified" notes
kadmin.local -q 'addprinc +requires_preauth -pw Nurse-Pass-1 CANARY.NURSE' >/dev/null 2>&1 # "No policy specified" notes
kadmin.local -q "ktadd -k $tmp/ws01.keytab WS01\$" >/dev/null
kadmin.local -q "ktadd -k $tmp/host.keytab host/ct-console.hospital.test" >/dev/null
krb5kdc -n -P "$tmp/kdc.pid" &
kdc=$!
sleep 1

capture() { # capture <name>: start tcpdump on lo for the KDC's port
	tcpdump -q -Z root -i lo -w "$here/$1.pcap" -U 'port 88' 2>/dev/null &
	dump=$!
	sleep 1
}
stop() {
	sleep 1
	kill "$dump"
	wait "$dump" 2>/dev/null || true
	dump=
}

capture mit_kdc_udp
kinit -k -t "$tmp/ws01.keytab" 'WS01$'
kvno host/ct-console.hospital.test >/dev/null
conf "	default_tkt_enctypes = aes256-cts-hmac-sha1-96 rc4-hmac
	default_tgs_enctypes = aes256-cts-hmac-sha1-96 rc4-hmac
	permitted_enctypes = aes256-cts-hmac-sha1-96 rc4-hmac"
kinit -k -t "$tmp/host.keytab" host/ct-console.hospital.test
conf ""
echo wrong-password | kinit CANARY.NURSE >/dev/null 2>&1 && exit 1 # must fail
stop

capture mit_kdc_tcp
conf "	udp_preference_limit = 1"
echo Nurse-Pass-1 | kinit CANARY.NURSE >/dev/null
kvno host/ct-console.hospital.test >/dev/null
stop
kdestroy 2>/dev/null || true

oracles
