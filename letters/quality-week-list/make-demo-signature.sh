#!/usr/bin/env bash
# Signs the sample letter "по списку" with a DEMONSTRATION certificate, so that its preview shows
# a signed letter and `mailer check quality-week-list` passes. Never for real letters: the keys
# are in the repository and the CA is "ТЕСТОВЫЙ УЦ — НЕ ДЛЯ РАБОТЫ".
#
# Run it from the repository's root after any change to the letter or to the DOCX layout:
#   bash letters/quality-week-list/make-demo-signature.sh
# It keeps the demo keys and certificate (so the mark stays the same) and signs the documents
# `mailer for-signing` writes, with OpenSSL and the GOST engine (libengine-gost-openssl), as an
# office would with CryptoPro or КриптоАРМ. Delete demo-keys/ to make new keys and certificate.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
mailer="${MAILER:-$root/.venv/bin/mailer}"
keys="$here/demo-keys"
cert="$here/demo-signer.pem"
signed="$here/signed"
gost=(-engine gost)

if [[ ! -f "$keys/signer.key" || ! -f "$cert" ]]; then
    mkdir -p "$keys"
    work="$(mktemp -d)"
    trap 'rm -rf "$work"' EXIT
    cat > "$work/ca.cnf" <<CNF
[ca]
default_ca = demo
[demo]
dir = $work
database = $work/index.txt
serial = $work/serial
new_certs_dir = $work
default_md = md_gost12_256
policy = anything
unique_subject = no
copy_extensions = none
[anything]
commonName = supplied
[ca_ext]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[signer_ext]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature, nonRepudiation
extendedKeyUsage = emailProtection
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
CNF
    touch "$work/index.txt"
    openssl genpkey "${gost[@]}" -algorithm gost2012_256 -pkeyopt paramset:A -out "$keys/ca.key"
    openssl genpkey "${gost[@]}" -algorithm gost2012_256 -pkeyopt paramset:A \
        -out "$keys/signer.key"
    echo 7E57CA0000000001 > "$work/serial"
    openssl req "${gost[@]}" -new -utf8 -key "$keys/ca.key" -out "$work/ca.csr" \
        -subj "/C=RU/O=ТЕСТОВЫЙ УЦ — НЕ ДЛЯ РАБОТЫ/CN=ТЕСТОВЫЙ УЦ — НЕ ДЛЯ РАБОТЫ"
    openssl ca "${gost[@]}" -batch -utf8 -config "$work/ca.cnf" -selfsign -keyfile "$keys/ca.key" \
        -in "$work/ca.csr" -out "$keys/ca.pem" -extensions ca_ext -notext \
        -startdate 20230101000000Z -enddate 20391231205959Z
    # the high bit set, as on the seed's certificate: CryptoPro shows it with a leading 00
    echo ABC20116D53890C647B5F348EF27DE30 > "$work/serial"
    openssl req "${gost[@]}" -new -utf8 -key "$keys/signer.key" -out "$work/signer.csr" \
        -subj "/C=RU/O=ТЕСТОВЫЙ УЦ — НЕ ДЛЯ РАБОТЫ/SN=Дождиков/GN=Кирилл Владимирович/CN=Дождиков Кирилл Владимирович"
    openssl ca "${gost[@]}" -batch -utf8 -config "$work/ca.cnf" -cert "$keys/ca.pem" \
        -keyfile "$keys/ca.key" -in "$work/signer.csr" -out "$cert" -extensions signer_ext \
        -notext -startdate 20230101000000Z -enddate 20371231205959Z
fi

# The documents as they are sent today: the old ones and their signatures go.
rm -f "$signed"/*.docx "$signed"/*.docx.sig
(cd "$root" && "$mailer" for-signing quality-week-list)
for document in "$signed"/*.docx; do
    openssl cms "${gost[@]}" -sign -binary -in "$document" -signer "$cert" \
        -inkey "$keys/signer.key" -md md_gost12_256 -outform DER -out "$document.sig"
done
(cd "$root" && "$mailer" check quality-week-list)
