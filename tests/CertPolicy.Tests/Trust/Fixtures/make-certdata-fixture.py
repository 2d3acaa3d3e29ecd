#!/usr/bin/env python3
"""Regenerates certdata-nss274-excerpt.txt (a Mozilla certdata.txt excerpt for the bundle diff tests).

Certificates: the .crt files of Debian ca-certificates 20250419~deb12u2
  (apt-get download ca-certificates=20250419~deb12u2 && dpkg -x ca-certificates_*.deb DEB).
Trust bits and CKA_NSS_*_DISTRUST_AFTER: ../shared/docs/ca-facts.json, field
  mozilla.certdata_nss_2_74_debian_20250419 (the certdata.txt of that package's source).
Usage: make-certdata-fixture.py DEB/usr/share/ca-certificates/mozilla ../shared/docs/ca-facts.json > certdata-nss274-excerpt.txt
Regenerating gives the same file (fixed list, fixed order)."""
import hashlib, json, ssl, sys, os, datetime

LABELS = [  # (Debian file, label) - chosen to cover every diff kind
    ("DigiCert_Global_Root_G2.crt", None),                   # agrees with the manifest
    ("T-TeleSec_GlobalRoot_Class_3.crt", None),              # agrees (websites only)
    ("Entrust_Root_Certification_Authority_-_G2.crt", None), # distrust-after 2024-11-30, excluded by the manifest
    ("GlobalSign_Root_CA.crt", None),                        # R1: websites trusted in 2.74, excluded by the manifest
    ("ISRG_Root_X1.crt", None),                              # not in the manifest: "added"
]

def octal(b):
    out = []
    for i in range(0, len(b), 16):
        out.append("".join("\\%03o" % x for x in b[i:i+16]))
    return "\n".join(out)

def main():
    crtdir, facts = sys.argv[1], json.load(open(sys.argv[2]))
    by_sha = {r["sha256"]: r for r in facts["roots"]}
    print("# certdata.txt excerpt for CertPolicy tests (see make-certdata-fixture.py for how it was made).")
    print("# Certificates from Debian ca-certificates 20250419~deb12u2; trust attributes as ca-facts.json records")
    print("# for NSS builtins 2.74 (the certdata.txt of that Debian source package).")
    print("BEGINDATA")
    for fn, _ in LABELS:
        der = ssl.PEM_cert_to_DER_cert(open(os.path.join(crtdir, fn)).read())
        sha = hashlib.sha256(der).hexdigest().upper()
        r = by_sha.get(sha)
        st = (r or {}).get("mozilla", {}).get("certdata_nss_2_74_debian_20250419") or {"websites": "trusted", "email": "not-trusted-as-anchor", "server_distrust_after": None, "email_distrust_after": None}
        label = r["nss_label"] if r else fn[:-4].replace("_", " ")
        print()
        print("# Certificate \"%s\"" % label)
        print("CKA_CLASS CK_OBJECT_CLASS CKO_CERTIFICATE")
        print("CKA_TOKEN CK_BBOOL CK_TRUE")
        print("CKA_LABEL UTF8 \"%s\"" % label)
        print("CKA_VALUE MULTILINE_OCTAL")
        print(octal(der))
        print("END")
        for attr, key in (("CKA_NSS_SERVER_DISTRUST_AFTER", "server_distrust_after"), ("CKA_NSS_EMAIL_DISTRUST_AFTER", "email_distrust_after")):
            if st.get(key):
                t = datetime.datetime.strptime(st[key], "%Y-%m-%dT%H:%M:%SZ").strftime("%y%m%d%H%M%SZ")
                print("%s MULTILINE_OCTAL" % attr)
                print(octal(t.encode()))
                print("END")
            else:
                print("%s CK_BBOOL CK_FALSE" % attr)
        print()
        print("# Trust for \"%s\"" % label)
        print("CKA_CLASS CK_OBJECT_CLASS CKO_NSS_TRUST")
        print("CKA_TOKEN CK_BBOOL CK_TRUE")
        print("CKA_LABEL UTF8 \"%s\"" % label)
        print("CKA_CERT_SHA1_HASH MULTILINE_OCTAL")
        print(octal(hashlib.sha1(der).digest()))
        print("END")
        tr = lambda v: "CKT_NSS_TRUSTED_DELEGATOR" if v == "trusted" else "CKT_NSS_MUST_VERIFY_TRUST"
        print("CKA_TRUST_SERVER_AUTH CK_TRUST %s" % tr(st["websites"]))
        print("CKA_TRUST_EMAIL_PROTECTION CK_TRUST %s" % tr(st["email"]))
        print("CKA_TRUST_CODE_SIGNING CK_TRUST CKT_NSS_MUST_VERIFY_TRUST")
        print("CKA_TRUST_STEP_UP_APPROVED CK_BBOOL CK_FALSE")

main()
