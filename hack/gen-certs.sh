#!/bin/bash
# Makes a throw-away CA and a TLS serving certificate signed by it, for running the webhook
# outside a cluster (make demo, tests). Writes DIR/ca.crt, DIR/ca.key, DIR/tls.crt, DIR/tls.key.
#   hack/gen-certs.sh DIR [CN] [SAN]      default CN modelgov-webhook,
#                                         default SAN IP:127.0.0.1,DNS:localhost
# The CA's certificate goes into the ValidatingWebhookConfiguration's caBundle
# (base64 -w0 DIR/ca.crt). RSA 2048, valid 2 days: these certificates are for local runs only.
set -eu
dir=${1:?usage: hack/gen-certs.sh DIR [CN] [SAN]}
cn=${2:-modelgov-webhook}
san=${3:-IP:127.0.0.1,DNS:localhost}
mkdir -p "$dir"
umask 077
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$cn-ca" \
  -keyout "$dir/ca.key" -out "$dir/ca.crt" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=$cn" -keyout "$dir/tls.key" -out "$dir/tls.csr" 2>/dev/null
printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\n' "$san" >"$dir/san.ext"
openssl x509 -req -in "$dir/tls.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial -days 2 \
  -extfile "$dir/san.ext" -out "$dir/tls.crt" 2>/dev/null
rm -f "$dir/tls.csr" "$dir/san.ext" "$dir/ca.srl"
chmod 644 "$dir/ca.crt" "$dir/tls.crt"
