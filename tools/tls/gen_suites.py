#!/usr/bin/env python3
"""Generates src/CertPolicy/Tls/CipherSuiteTable.Data.cs from facts.

Run from the repository root:  python3 tools/tls/gen_suites.py
Regenerating on the same OpenSSL build gives the same file (no timestamps, sorted output).

Where each column comes from (issue 5, "generated once from facts"):
  * IANA id and IANA name: tools/tls/iana-suites.txt, the values of .NET's
    System.Net.Security.TlsCipherSuite (which mirrors the IANA "TLS Cipher Suites" registry),
    dumped with:  foreach (var v in Enum.GetValues<TlsCipherSuite>()) Console.WriteLine($"0x{(ushort)v:X4} {v}");
  * IANA-only columns (key exchange, authentication, bulk cipher, key bits, MAC): parsed from the
    IANA name (RFC 5246 naming: TLS_<kx>_WITH_<cipher>_<mac>; TLS 1.3 names are TLS_<aead>_<hash>).
  * OpenSSL name, protocol, Kx/Au/Enc/Mac and order: `openssl ciphers -V -stdname ALL:COMPLEMENTOFALL`
    on the generating machine (OpenSSL 3.0.x).
  * OpenSSL strength classes: membership in `openssl ciphers -V <alias>` for HIGH, MEDIUM, LOW, FIPS
    and COMPLEMENTOFDEFAULT on the same machine.
  * Suites a stock OpenSSL 3.0 build leaves out (RC4 and 3DES: compiled only with
    enable-weak-ssl-ciphers; IDEA and SEED: legacy provider): the rows of OpenSSL 3.0's
    ssl/s3_lib.c cipher table (algorithm masks, min/max version, SSL_NOT_DEFAULT | SSL_MEDIUM [| SSL_FIPS],
    strength 112/168 for 3DES and 128/128 for the others), restated below in WEAK_ROWS.
    GOST suites (engine only, private code points outside the IANA registry) are not in the table.
"""
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "src/CertPolicy/Tls/CipherSuiteTable.Data.cs"

# OpenSSL algorithm bits (our own numbering; only the set relations of ssl_local.h matter).
MKEY = {"RSA": 0x1, "DH": 0x2, "ECDH": 0x4, "PSK": 0x8, "GOST": 0x10, "SRP": 0x20,
        "RSAPSK": 0x40, "ECDHEPSK": 0x80, "DHEPSK": 0x100, "any": 0}
AUTH = {"RSA": 0x1, "DSS": 0x2, "None": 0x4, "ECDSA": 0x8, "PSK": 0x10, "GOST01": 0x20,
        "SRP": 0x40, "GOST12": 0x80 | 0x20, "any": 0}
ENC = {"DES(56)": 0x1, "3DES(168)": 0x2, "RC4(128)": 0x4, "RC2(128)": 0x8, "IDEA(128)": 0x10,
       "None": 0x20, "AES(128)": 0x40, "AES(256)": 0x80, "Camellia(128)": 0x100,
       "Camellia(256)": 0x200, "SEED(128)": 0x800, "AESGCM(128)": 0x1000,
       "AESGCM(256)": 0x2000, "AESCCM(128)": 0x4000, "AESCCM(256)": 0x8000,
       "AESCCM8(128)": 0x10000, "AESCCM8(256)": 0x20000, "CHACHA20/POLY1305(256)": 0x80000,
       "ARIAGCM(128)": 0x100000, "ARIAGCM(256)": 0x200000}
MAC = {"MD5": 0x1, "SHA1": 0x2, "SHA256": 0x10, "SHA384": 0x20, "AEAD": 0x40}
PROTO = {"SSLv3": "Ssl3", "TLSv1": "Tls10", "TLSv1.1": "Tls11", "TLSv1.2": "Tls12", "TLSv1.3": "Tls13"}

# Rows of OpenSSL 3.0 ssl/s3_lib.c that a default build does not compile/load (see module doc):
# id, OpenSSL name, min protocol, max protocol, Kx, Au, Enc, Mac, FIPS, availability
WEAK_ROWS = [
    (0x0004, "RC4-MD5", "SSLv3", "TLSv1.2", "RSA", "RSA", "RC4(128)", "MD5", False, "WeakCiphers"),
    (0x0005, "RC4-SHA", "SSLv3", "TLSv1.2", "RSA", "RSA", "RC4(128)", "SHA1", False, "WeakCiphers"),
    (0x0018, "ADH-RC4-MD5", "SSLv3", "TLSv1.2", "DH", "None", "RC4(128)", "MD5", False, "WeakCiphers"),
    (0xC007, "ECDHE-ECDSA-RC4-SHA", "TLSv1", "TLSv1.2", "ECDH", "ECDSA", "RC4(128)", "SHA1", False, "WeakCiphers"),
    (0xC011, "ECDHE-RSA-RC4-SHA", "TLSv1", "TLSv1.2", "ECDH", "RSA", "RC4(128)", "SHA1", False, "WeakCiphers"),
    (0xC016, "AECDH-RC4-SHA", "TLSv1", "TLSv1.2", "ECDH", "None", "RC4(128)", "SHA1", False, "WeakCiphers"),
    (0x008A, "PSK-RC4-SHA", "SSLv3", "TLSv1.2", "PSK", "PSK", "RC4(128)", "SHA1", False, "WeakCiphers"),
    (0x008E, "DHE-PSK-RC4-SHA", "SSLv3", "TLSv1.2", "DHEPSK", "PSK", "RC4(128)", "SHA1", False, "WeakCiphers"),
    (0x0092, "RSA-PSK-RC4-SHA", "SSLv3", "TLSv1.2", "RSAPSK", "RSA", "RC4(128)", "SHA1", False, "WeakCiphers"),
    (0xC033, "ECDHE-PSK-RC4-SHA", "TLSv1", "TLSv1.2", "ECDHEPSK", "PSK", "RC4(128)", "SHA1", False, "WeakCiphers"),
    (0x000A, "DES-CBC3-SHA", "SSLv3", "TLSv1.2", "RSA", "RSA", "3DES(168)", "SHA1", True, "WeakCiphers"),
    (0x0013, "DHE-DSS-DES-CBC3-SHA", "SSLv3", "TLSv1.2", "DH", "DSS", "3DES(168)", "SHA1", True, "WeakCiphers"),
    (0x0016, "DHE-RSA-DES-CBC3-SHA", "SSLv3", "TLSv1.2", "DH", "RSA", "3DES(168)", "SHA1", True, "WeakCiphers"),
    (0x001B, "ADH-DES-CBC3-SHA", "SSLv3", "TLSv1.2", "DH", "None", "3DES(168)", "SHA1", True, "WeakCiphers"),
    (0xC008, "ECDHE-ECDSA-DES-CBC3-SHA", "TLSv1", "TLSv1.2", "ECDH", "ECDSA", "3DES(168)", "SHA1", True, "WeakCiphers"),
    (0xC012, "ECDHE-RSA-DES-CBC3-SHA", "TLSv1", "TLSv1.2", "ECDH", "RSA", "3DES(168)", "SHA1", True, "WeakCiphers"),
    (0xC017, "AECDH-DES-CBC3-SHA", "TLSv1", "TLSv1.2", "ECDH", "None", "3DES(168)", "SHA1", True, "WeakCiphers"),
    (0xC01A, "SRP-3DES-EDE-CBC-SHA", "SSLv3", "TLSv1.2", "SRP", "SRP", "3DES(168)", "SHA1", False, "WeakCiphers"),
    (0xC01B, "SRP-RSA-3DES-EDE-CBC-SHA", "SSLv3", "TLSv1.2", "SRP", "RSA", "3DES(168)", "SHA1", False, "WeakCiphers"),
    (0xC01C, "SRP-DSS-3DES-EDE-CBC-SHA", "SSLv3", "TLSv1.2", "SRP", "DSS", "3DES(168)", "SHA1", False, "WeakCiphers"),
    (0x008B, "PSK-3DES-EDE-CBC-SHA", "SSLv3", "TLSv1.2", "PSK", "PSK", "3DES(168)", "SHA1", True, "WeakCiphers"),
    (0x008F, "DHE-PSK-3DES-EDE-CBC-SHA", "SSLv3", "TLSv1.2", "DHEPSK", "PSK", "3DES(168)", "SHA1", True, "WeakCiphers"),
    (0x0093, "RSA-PSK-3DES-EDE-CBC-SHA", "SSLv3", "TLSv1.2", "RSAPSK", "RSA", "3DES(168)", "SHA1", True, "WeakCiphers"),
    (0xC034, "ECDHE-PSK-3DES-EDE-CBC-SHA", "TLSv1", "TLSv1.2", "ECDHEPSK", "PSK", "3DES(168)", "SHA1", True, "WeakCiphers"),
    (0x0007, "IDEA-CBC-SHA", "SSLv3", "TLSv1.1", "RSA", "RSA", "IDEA(128)", "SHA1", False, "LegacyProvider"),
    (0x0096, "SEED-SHA", "SSLv3", "TLSv1.2", "RSA", "RSA", "SEED(128)", "SHA1", False, "LegacyProvider"),
    (0x0099, "DHE-DSS-SEED-SHA", "SSLv3", "TLSv1.2", "DH", "DSS", "SEED(128)", "SHA1", False, "LegacyProvider"),
    (0x009A, "DHE-RSA-SEED-SHA", "SSLv3", "TLSv1.2", "DH", "RSA", "SEED(128)", "SHA1", False, "LegacyProvider"),
    (0x009B, "ADH-SEED-SHA", "SSLv3", "TLSv1.2", "DH", "None", "SEED(128)", "SHA1", False, "LegacyProvider"),
]

LINE = re.compile(r"^\s*0x([0-9A-F]{2}),0x([0-9A-F]{2}) - (\S+)\s+- (\S+)\s+(\S+)\s+Kx=(\S+)\s+Au=(\S+)\s+Enc=(\S+)\s+Mac=(\S+)\s*$")


def openssl_ids(cipher_string):
    p = subprocess.run(["openssl", "ciphers", "-V", "-stdname", cipher_string],
                       capture_output=True, text=True)
    if p.returncode != 0:
        return []
    rows = []
    for line in p.stdout.splitlines():
        m = LINE.match(line)
        if not m:
            sys.exit("unparsed openssl line: " + line)
        rows.append(m)
    return rows


def iana_columns(name):
    """kx, au, cipher, keybits, strengthbits, mac, export from an IANA name."""
    n = name[4:]
    export = "_EXPORT" in n
    if "_WITH_" not in n:  # TLS 1.3 or TLS_NULL_WITH_NULL_NULL handled below
        table = {
            "AES_128_GCM_SHA256": ("AesGcm", 128, "Aead"), "AES_256_GCM_SHA384": ("AesGcm", 256, "Aead"),
            "CHACHA20_POLY1305_SHA256": ("ChaCha20Poly1305", 256, "Aead"),
            "AES_128_CCM_SHA256": ("AesCcm", 128, "Aead"), "AES_128_CCM_8_SHA256": ("AesCcm8", 128, "Aead"),
        }
        c, bits, mac = table[n]
        return "Any", "Any", c, bits, bits, mac, False
    if n == "NULL_WITH_NULL_NULL":
        return "Null", "Null", "Null", 0, 0, "Null", False
    kx, rest = n.split("_WITH_")
    kx = kx.replace("_EXPORT", "")
    kxmap = {"NULL": ("Null", "Null"), "RSA": ("Rsa", "Rsa"), "DH_DSS": ("Dh", "Dss"), "DH_RSA": ("Dh", "Rsa"),
             "DHE_DSS": ("Dhe", "Dss"), "DHE_RSA": ("Dhe", "Rsa"), "DH_anon": ("Dhe", "Anonymous"),
             "KRB5": ("Krb5", "Krb5"), "PSK": ("Psk", "Psk"), "DHE_PSK": ("DhePsk", "Psk"),
             "PSK_DHE": ("DhePsk", "Psk"), "RSA_PSK": ("RsaPsk", "Rsa"), "ECDH_ECDSA": ("Ecdh", "Ecdsa"),
             "ECDHE_ECDSA": ("Ecdhe", "Ecdsa"), "ECDH_RSA": ("Ecdh", "Rsa"), "ECDHE_RSA": ("Ecdhe", "Rsa"),
             "ECDH_anon": ("Ecdhe", "Anonymous"), "SRP_SHA": ("Srp", "Srp"), "SRP_SHA_RSA": ("Srp", "Rsa"),
             "SRP_SHA_DSS": ("Srp", "Dss"), "ECDHE_PSK": ("EcdhePsk", "Psk"), "ECCPWD": ("Eccpwd", "Eccpwd")}
    k, a = kxmap[kx]
    m = re.match(r"^(.*?)(?:_(MD5|SHA|SHA256|SHA384))?$", rest)
    enc, mac = m.group(1), m.group(2)
    encmap = {"NULL": ("Null", 0, 0), "RC4_40": ("Rc4", 40, 40), "RC4_128": ("Rc4", 128, 128),
              "RC2_CBC_40": ("Rc2", 40, 40), "RC2_CBC_56": ("Rc2", 56, 56), "IDEA_CBC": ("Idea", 128, 128),
              "DES40_CBC": ("Des", 40, 40), "DES_CBC_40": ("Des", 40, 40), "DES_CBC": ("Des", 56, 56),
              "3DES_EDE_CBC": ("TripleDes", 168, 112), "SEED_CBC": ("Seed", 128, 128),
              "CHACHA20_POLY1305": ("ChaCha20Poly1305", 256, 256)}
    if enc in encmap:
        c, bits, strength = encmap[enc]
    else:
        mm = re.match(r"^(AES|CAMELLIA|ARIA)_(128|256)_(CBC|GCM|CCM|CCM_8)$", enc)
        if not mm:
            raise SystemExit("cannot parse cipher of " + name)
        fam = {"AES": "Aes", "CAMELLIA": "Camellia", "ARIA": "Aria"}[mm.group(1)]
        mode = {"CBC": "", "GCM": "Gcm", "CCM": "Ccm", "CCM_8": "Ccm8"}[mm.group(3)]
        c, bits, strength = fam + mode, int(mm.group(2)), int(mm.group(2))
    aead = c.endswith(("Gcm", "Ccm", "Ccm8")) or c == "ChaCha20Poly1305"
    macname = "Aead" if aead else {"MD5": "Md5", "SHA": "Sha1", "SHA256": "Sha256", "SHA384": "Sha384", None: "Null"}[mac]
    return k, a, c, bits, strength, macname, export


def iana_protocols(name, cipher, mac):
    if "_WITH_" not in name[4:]:
        return "Tls13", "Tls13"
    if mac in ("Sha256", "Sha384") or cipher.endswith(("Gcm", "Ccm", "Ccm8")) or cipher == "ChaCha20Poly1305":
        return "Tls12", "Tls12"
    if "_EXPORT" in name:
        return "Ssl3", "Tls10"  # RFC 4346 forbids negotiating export suites in TLS 1.1
    if cipher in ("Des", "Idea"):
        return "Ssl3", "Tls11"  # RFC 5246 appendix: DES and IDEA suites removed from TLS 1.2
    return "Ssl3", "Tls12"


def main():
    iana = []
    for line in (ROOT / "tools/tls/iana-suites.txt").read_text().splitlines():
        hexid, name = line.split()
        iana.append((int(hexid, 16), name))
    all_rows = openssl_ids("ALL:COMPLEMENTOFALL")
    if len(all_rows) < 100:
        sys.exit("openssl ciphers returned too few suites; is OpenSSL 3.0 installed?")
    classes = {}
    for alias in ("HIGH", "MEDIUM", "LOW", "FIPS", "COMPLEMENTOFDEFAULT"):
        for m in openssl_ids(alias):
            classes.setdefault(int(m.group(1) + m.group(2), 16), set()).add(alias)
    ossl = {}
    rank = 0
    for m in all_rows:
        sid = int(m.group(1) + m.group(2), 16)
        proto = m.group(5)
        if proto == "TLSv1.3":
            continue  # TLS 1.3 suites are not subject to cipher strings; their rank is unused.
        enc = m.group(8)
        bits = int(re.search(r"\((\d+)\)", enc).group(1)) if "(" in enc else 0
        cls = classes.get(sid, set())
        ossl[sid] = dict(name=m.group(4), proto=proto, kx=m.group(6), au=m.group(7), enc=enc, mac=m.group(9),
                         bits=bits, strength=bits, cls=cls, rank=rank, avail="Default", maxp="Tls12")
        rank += 1
    # TLS 1.3 suites OpenSSL knows (names equal the IANA names); CCM ones are not in the default
    # TLS 1.3 list but exist (`-ciphersuites`).
    tls13 = {0x1301, 0x1302, 0x1303, 0x1304, 0x1305}
    rank = 1000
    for (sid, name, minp, maxp, kx, au, enc, mac, fips, avail) in WEAK_ROWS:
        bits = int(re.search(r"\((\d+)\)", enc).group(1))
        cls = {"MEDIUM", "COMPLEMENTOFDEFAULT"} | ({"FIPS"} if fips else set())
        ossl[sid] = dict(name=name, proto=minp, kx=kx, au=au, enc=enc, mac=mac, bits=bits,
                         strength=112 if enc.startswith("3DES") else bits, cls=cls, rank=rank, avail=avail,
                         maxp=PROTO[maxp])
        rank += 1

    out = []
    out.append("// <auto-generated>")
    out.append("// Generated by tools/tls/gen_suites.py from the IANA registry (via .NET TlsCipherSuite),")
    out.append("// `openssl ciphers -V -stdname` of OpenSSL 3.0 and the rows of OpenSSL 3.0 ssl/s3_lib.c that")
    out.append("// a default build leaves out. Do not edit by hand; rerun the generator.")
    out.append("// </auto-generated>")
    for alias, target in (("Au", "TlsAuthentication"), ("Av", "OpenSslAvailability"), ("C", "OpenSslClasses"),
                          ("Enc", "TlsBulkCipher"), ("Kx", "TlsKeyExchange"), ("Mac", "TlsMac"), ("P", "TlsProtocol")):
        out.append(f"using {alias} = CertPolicy.Tls.{target};")
    out.append("")
    out.append("namespace CertPolicy.Tls;")
    out.append("")
    out.append("public static partial class CipherSuiteTable")
    out.append("{")
    out.append("    // id, IANA name, OpenSSL name, min/max protocol, Kx, Au, cipher, key bits, strength bits, MAC, classes,")
    out.append("    // OpenSSL availability, OpenSSL masks (mkey, auth, enc, mac), OpenSSL collection rank.")
    out.append("    private static readonly CipherSuiteInfo[] s_rows =")
    out.append("    [")
    known = set()
    for sid, name in sorted(iana):
        known.add(sid)
        k, a, c, bits, strength, mac, export = iana_columns(name)
        minp, maxp = iana_protocols(name, c, mac)
        o = ossl.get(sid)
        flags = []
        if export:
            flags.append("Export")
        if c == "Null":
            flags.append("ENull")
        if a == "Anonymous":
            flags.append("ANull")
        oname = "null"
        mk = au = en = mc = 0
        orank = -1
        avail = "None"
        if sid in tls13:
            oname = '"' + name + '"'
            avail = "Default"
            flags.append("High")  # listed by `openssl ciphers -v HIGH` (TLS 1.3 suites are always listed)
        elif o is not None:
            oname = '"' + o["name"] + '"'
            minp = PROTO[o["proto"]]
            maxp = o["maxp"]
            mk, au, en, mc = MKEY[o["kx"]], AUTH[o["au"]], ENC[o["enc"]], MAC[o["mac"]]
            orank = o["rank"]
            avail = o["avail"]
            if bits != o["bits"]:
                sys.exit(f"{name}: IANA bits {bits} != OpenSSL {o['bits']}")
            strength = o["strength"]
            for alias, flag in (("HIGH", "High"), ("MEDIUM", "Medium"), ("LOW", "Low"), ("FIPS", "Fips"),
                                ("COMPLEMENTOFDEFAULT", "NotDefault")):
                if alias in o["cls"]:
                    flags.append(flag)
            if o["enc"] == "None":
                flags.append("StrongNone")
        cls = " | ".join("C." + f for f in flags) if flags else "C.None"
        out.append(f'        new(0x{sid:04X}, "{name}", {oname}, P.{minp}, P.{maxp}, Kx.{k}, Au.{a}, Enc.{c}, {bits}, {strength}, '
                   f'Mac.{mac}, {cls}, Av.{avail}, 0x{mk:X}, 0x{au:X}, 0x{en:X}, 0x{mc:X}, {orank}),')
    missing = sorted(set(ossl) - known)
    if missing:
        sys.exit("OpenSSL suites missing from the IANA list: " + ", ".join(f"0x{x:04X}" for x in missing))
    out.append("    ];")
    out.append("}")
    OUT.write_text("\n".join(out) + "\n")
    print(f"wrote {OUT} ({len(iana)} rows, {len(ossl)} with OpenSSL names)")


if __name__ == "__main__":
    main()
