#!/bin/sh
#
# Copyright (c) 2026 The dotproxy developers
#
# Permission to use, copy, modify, and distribute this software for any
# purpose with or without fee is hereby granted, provided that the above
# copyright notice and this permission notice appear in all copies.
#
# THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
# WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
# MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
# ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
# WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
# ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
# OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
#
# mkcerts.sh DIR -- make a throwaway test PKI for the regress tests.
#
#   ca.pem ca.key                 test CA (the one tests trust)
#   server.pem server.key         dns.test, IP 127.0.0.1 and ::1, by ca (RSA)
#   wrongname.pem wrongname.key   other.test, by ca
#   expired.pem expired.key       dns.test + IPs, by ca, expired in 2021
#   selfsigned.pem selfsigned.key dns.test + IPs, self-signed
#   unknownca.pem unknownca.key   dns.test + IPs, by otherca (not in ca.pem)
#   otherca.pem otherca.key       that second CA
#
# The server key is RSA 2048 so that RSA-only cipher lists such as
# AES128-SHA can be tested; all other keys are EC P-256, which is fast.
# Nothing is done when DIR/ca.pem exists.  Concurrent callers serialise
# on DIR/.mkcerts.lock and ca.pem appears last, so its presence means
# the whole set is there.

set -eu

if [ $# -ne 1 ]; then
	echo "usage: $0 DIR" >&2
	exit 2
fi
dir=$1

[ -f "$dir/ca.pem" ] && exit 0
mkdir -p "$dir"

exec 9>"$dir/.mkcerts.lock"
flock 9
[ -f "$dir/ca.pem" ] && exit 0

tmp=$(mktemp -d "$dir/.mkcerts.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

cd "$tmp"

san='subjectAltName=DNS:dns.test,IP:127.0.0.1,IP:::1'
past=$(date -u -d '1 day ago' +%Y%m%d%H%M%SZ)
future=$(date -u -d '3650 days' +%Y%m%d%H%M%SZ)

eckey()
{
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
	    -out "$1" 2>/dev/null
}

rsakey()
{
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
	    -out "$1" 2>/dev/null
}

# mkca NAME CN: a self-signed CA certificate.
mkca()
{
	eckey "$1.key"
	openssl req -x509 -new -key "$1.key" -sha256 -days 3650 \
	    -subj "/O=dotproxy regress/CN=$2" \
	    -addext 'basicConstraints=critical,CA:TRUE' \
	    -addext 'keyUsage=critical,keyCertSign,cRLSign' \
	    -out "$1.pem" 2>/dev/null
}

# leafext SAN: the extensions file for a server certificate.
leafext()
{
	cat <<EOF
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
$1
EOF
}

# sign NAME CN SAN CA START END: a leaf signed by CA with the given
# validity.  openssl ca is used because it is the tool in OpenSSL 3.0
# that takes an arbitrary notBefore/notAfter (x509 -req cannot).
sign()
{
	name=$1 cn=$2 ext=$3 ca=$4 start=$5 end=$6
	rm -rf db && mkdir db
	: >db/index.txt
	echo 01 >db/serial
	cat >db/ca.cnf <<EOF
[ca]
default_ca = tca
[tca]
database = db/index.txt
new_certs_dir = db
serial = db/serial
default_md = sha256
policy = anything
unique_subject = no
copy_extensions = none
[anything]
organizationName = optional
commonName = supplied
EOF
	leafext "$ext" >db/ext.cnf
	openssl req -new -key "$name.key" -subj "/O=dotproxy regress/CN=$cn" \
	    -out db/req.csr 2>/dev/null
	openssl ca -batch -notext -config db/ca.cnf -cert "$ca.pem" \
	    -keyfile "$ca.key" -startdate "$start" -enddate "$end" \
	    -extfile db/ext.cnf -in db/req.csr -out "$name.pem" 2>/dev/null
}

mkca ca "dotproxy regress CA"
mkca otherca "dotproxy regress unknown CA"

rsakey server.key
sign server dns.test "$san" ca "$past" "$future"

eckey wrongname.key
sign wrongname other.test 'subjectAltName=DNS:other.test' ca "$past" "$future"

eckey expired.key
sign expired dns.test "$san" ca 20200101000000Z 20210101000000Z

eckey unknownca.key
sign unknownca dns.test "$san" otherca "$past" "$future"

eckey selfsigned.key
openssl req -x509 -new -key selfsigned.key -sha256 -days 3650 \
    -subj "/O=dotproxy regress/CN=dns.test" \
    -addext 'basicConstraints=critical,CA:FALSE' \
    -addext 'keyUsage=critical,digitalSignature' \
    -addext 'extendedKeyUsage=serverAuth' \
    -addext "$san" -out selfsigned.pem 2>/dev/null

rm -rf db
chmod 600 ./*.key
chmod 644 ./*.pem
for f in otherca server wrongname expired unknownca selfsigned; do
	mv -f "$f.key" "$f.pem" "../"
done
mv -f ca.key ../
mv -f ca.pem ../
