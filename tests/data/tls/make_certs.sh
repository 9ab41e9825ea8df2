#!/usr/bin/env bash
# Regenerates the TLS tests' certificates (EC P-256, valid 100 years): a CA, a server
# certificate for localhost / 127.0.0.1 / ::1 signed by it, a client certificate signed by it,
# and a self-signed server certificate. Key and certificate in one PEM file, as CPython's
# test suite keeps them (keycert.pem). Run from this folder; needs the openssl program.
# tests/ssl checks the certificates' serial numbers and dates: update them after a new run.
set -eu
days=36500
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

key ca.key
openssl req -x509 -new -key ca.key -sha256 -days $days -subj "/O=concurrence tests/CN=concurrence test CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -addext "subjectKeyIdentifier=hash" -out ca.pem

leaf() {  # name subject extendedKeyUsage [subjectAltName]
  key "$1.key"
  openssl req -new -key "$1.key" -subj "$2" -out "$1.csr"
  {
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature"
    echo "extendedKeyUsage=$3"
    echo "subjectKeyIdentifier=hash"
    echo "authorityKeyIdentifier=keyid"
    [ -n "${4:-}" ] && echo "subjectAltName=$4"
  } > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -sha256 -days $days \
    -extfile "$1.ext" -out "$1.crt" 2>/dev/null
  cat "$1.key" "$1.crt" > "$1.pem"
  rm -f "$1.csr" "$1.ext" "$1.crt" "$1.key"
}
leaf localhost "/O=concurrence tests/CN=localhost" serverAuth "DNS:localhost,IP:127.0.0.1,IP:::1"
leaf client "/O=concurrence tests/CN=client" clientAuth

key selfsigned.key
openssl req -x509 -new -key selfsigned.key -sha256 -days $days -subj "/O=concurrence tests/CN=localhost" \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -out selfsigned.crt
cat selfsigned.key selfsigned.crt > selfsigned.pem
rm -f selfsigned.key selfsigned.crt ca.srl ca.key
