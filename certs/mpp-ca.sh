#!/usr/bin/env bash
# The ministry's certificate authority for mppsync, on the openssl CLI.
#
#   certs/mpp-ca.sh init DIR                      create the CA (EC P-256) and an empty CRL
#   certs/mpp-ca.sh central DIR NAME [HOST...]    server certificate for mpp-central
#                                                 (SANs: localhost, 127.0.0.1, HOSTs, and
#                                                 URI mpp:centre, which signs its bundles)
#   certs/mpp-ca.sh site DIR CODE                 client certificate of site CODE
#                                                 (SAN URI mpp:site:CODE)
#   certs/mpp-ca.sh role DIR NAME ROLE            client certificate with SAN URI mpp:role:ROLE
#                                                 (ministry = read only, operator = resolves)
#   certs/mpp-ca.sh revoke DIR NAME               revoke NAME's certificate and reissue the CRL
#   certs/mpp-ca.sh expired DIR CODE              a site certificate that expired in 2020 (tests)
#   certs/mpp-ca.sh expiring DIR CODE SECONDS     a site certificate CODE-expiring that expires
#                                                 SECONDS from now (drills and tests)
#   certs/mpp-ca.sh nik-keys DIR                  the ministry's NIK keys: nik-sealing.key (RSA
#                                                 3072, centre only), nik-sealing.pub (for every
#                                                 site) and citizen.key (32 bytes, centre only)
#
# Each certificate lands in DIR/NAME.crt with its key DIR/NAME.key; DIR/ca.crt and DIR/crl.pem
# are what mpp-central needs (--ca, --crl). Keys are created 0600. mpp-central re-reads the
# CRL when the file changes: a revoked certificate is refused at its next handshake.
set -euo pipefail

cmd=${1:-}; dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { sed -n '2,22p' "$0"; exit 2; }
days=${MPP_CERT_DAYS:-825}
export MPP_SAN="DNS:localhost"  # the config names it; issue() sets the real one

conf() {  # the openssl ca configuration for DIR
  cat <<CONF
[ ca ]
default_ca = mpp
[ mpp ]
dir = $dir
database = $dir/index.txt
serial = $dir/serial
crlnumber = $dir/crlnumber
new_certs_dir = $dir/issued
certificate = $dir/ca.crt
private_key = $dir/ca.key
default_md = sha256
default_days = $days
default_crl_days = 3650
policy = any
unique_subject = no
copy_extensions = none
[ any ]
commonName = supplied
[ client ]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectAltName = \${ENV::MPP_SAN}
[ server ]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = \${ENV::MPP_SAN}
CONF
}

issue() {  # issue NAME EXTENSION SAN [extra openssl ca args...]
  local name=$1 ext=$2 san=$3; shift 3
  umask 077
  openssl ecparam -name prime256v1 -genkey -noout -out "$dir/$name.key" 2>/dev/null
  openssl req -new -key "$dir/$name.key" -subj "/O=Kementerian PANRB/OU=mppsync/CN=$name" \
    -out "$dir/$name.csr" 2>/dev/null
  MPP_SAN="$san" openssl ca -batch -config <(conf) -extensions "$ext" -in "$dir/$name.csr" \
    -out "$dir/$name.crt" -notext "$@" 2>/dev/null
  rm -f "$dir/$name.csr"
  chmod 644 "$dir/$name.crt"
  echo "issued $dir/$name.crt ($san)"
}

gencrl() {
  openssl ca -config <(conf) -gencrl -out "$dir/crl.pem" 2>/dev/null
  chmod 644 "$dir/crl.pem"
}

case "$cmd" in
  nik-keys)
    mkdir -p "$dir"
    for f in nik-sealing.key nik-sealing.pub citizen.key; do
      [ -e "$dir/$f" ] && { echo "mpp-ca.sh: $dir/$f exists; keys are never overwritten" >&2; exit 1; }
    done
    (umask 077
     openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out "$dir/nik-sealing.key" 2>/dev/null
     openssl rand -out "$dir/citizen.key" 32)
    openssl pkey -in "$dir/nik-sealing.key" -pubout -out "$dir/nik-sealing.pub"
    chmod 644 "$dir/nik-sealing.pub"
    echo "NIK keys in $dir: nik-sealing.pub for every site (mppctl init --nik-sealing-key);" \
      "nik-sealing.key and citizen.key for mpp-central only (--nik-sealing-key, --citizen-key)"
    ;;
  init)
    mkdir -p "$dir/issued"
    [ -f "$dir/ca.key" ] && { echo "CA already in $dir" >&2; exit 1; }
    : >"$dir/index.txt"; echo 1000 >"$dir/serial"; echo 1000 >"$dir/crlnumber"
    (umask 077; openssl ecparam -name prime256v1 -genkey -noout -out "$dir/ca.key" 2>/dev/null)
    openssl req -new -x509 -key "$dir/ca.key" -days 3650 -sha256 \
      -subj "/O=Kementerian PANRB/OU=mppsync/CN=mppsync ministry CA" \
      -addext "basicConstraints=critical,CA:true" -addext "keyUsage=critical,keyCertSign,cRLSign" \
      -out "$dir/ca.crt" 2>/dev/null
    gencrl
    echo "CA created in $dir (ca.crt, crl.pem)"
    ;;
  central)
    name=${3:?NAME}; shift 3
    # URI:mpp:centre: what a site checks on a bundle from the centre (signed with this key).
    san="DNS:localhost,IP:127.0.0.1,URI:mpp:centre"
    for h in "$@"; do
      if [[ "$h" =~ ^[0-9.]+$ ]]; then san="$san,IP:$h"; else san="$san,DNS:$h"; fi
    done
    issue "$name" server "$san"
    ;;
  site)
    code=${3:?CODE}
    # A site code is MPP and four digits (schema/migrations/0002_reference_data.sql): never
    # CENTRAL, the centre's own name, nor anything else a certificate could hide behind.
    [[ "$code" =~ ^MPP[0-9]{4}$ ]] || { echo "mpp-ca.sh: '$code' is not a site code (MPP and four digits, e.g. MPP7301)" >&2; exit 2; }
    # And one the reference data lists: mppctl init and the centre refuse any other.
    # From a checkout (certs/../schema) or as installed (bin/mpp-ca, share/mppsync/schema).
    refdata="$(dirname "$0")/../schema/migrations"
    [[ -d "$refdata" ]] || refdata="$(dirname "$0")/../share/mppsync/schema/migrations"
    if [[ -d "$refdata" ]] && ! grep -qs "('$code'," "$refdata"/*.sql; then
      echo "mpp-ca.sh: site $code is not in the reference data ($refdata); add it there first" >&2; exit 2
    fi
    issue "$code" client "URI:mpp:site:$code"
    ;;
  role)
    name=${3:?NAME}; role=${4:?ROLE}
    [[ "$role" == ministry || "$role" == operator ]] || { echo "mpp-ca.sh: role must be ministry or operator, not '$role'" >&2; exit 2; }
    issue "$name" client "URI:mpp:role:$role"
    ;;
  expired)
    code=${3:?CODE}
    issue "$code-expired" client "URI:mpp:site:$code" -startdate 20200101000000Z -enddate 20200201000000Z
    ;;
  expiring)
    code=${3:?CODE}; secs=${4:?SECONDS}
    [[ "$secs" =~ ^[0-9]+$ ]] || { echo "mpp-ca.sh: SECONDS must be a whole number" >&2; exit 2; }
    issue "$code-expiring" client "URI:mpp:site:$code" -enddate "$(date -u -d "+$secs seconds" +%Y%m%d%H%M%SZ)"
    ;;
  revoke)
    name=${3:?NAME}
    openssl ca -config <(conf) -revoke "$dir/$name.crt" 2>/dev/null
    gencrl
    echo "revoked $name; $dir/crl.pem reissued"
    ;;
  *) sed -n '2,19p' "$0"; exit 2 ;;
esac
