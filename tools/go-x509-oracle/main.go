// Command go-x509-oracle is a second, independent chain verifier for CertPolicy's differential tests: it runs
// Go's crypto/x509 Certificate.Verify (the standard library only) over every chain of a manifest and prints one
// verdict line per chain. One process checks the whole corpus.
//
// Usage: go-x509-oracle MANIFEST.json
//
// The manifest is {"cases": [{"id", "leaf", "intermediates", "roots", "time", "dns", "eku"}]}: file names of PEM
// files (relative to the manifest's folder; a file may hold several certificates), the validation time in RFC 3339,
// the DNS name to check ("" = no name check) and the extended key usages the chain must allow ("serverAuth",
// "clientAuth", "emailProtection", "codeSigning", "timeStamping", "ocspSigning", "any"; every listed one is required,
// each checked by its own Verify call, because Go accepts a chain that allows any one of VerifyOptions.KeyUsages;
// an empty list is Go's default, serverAuth).
//
// Output, in manifest order, tab-separated: "ID\tok" or "ID\tfail\tGo's error text" (newlines in it become
// spaces). Exit 0 when every case was run, 2 when the manifest or a file cannot be read.
//
// Go version matters: Debian 12 ships Go 1.19, which lacks later crypto/x509 fixes (for example CVE-2025-61727,
// excluded dNSName subtrees against wildcard SANs, fixed in Go 1.24.11/1.25.5) and does no certificate
// policy validation (added in Go 1.24). The verdict line does not include the version; the caller records it (go version).
package main

import (
	"bufio"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

type chainCase struct {
	ID            string   `json:"id"`
	Leaf          string   `json:"leaf"`
	Intermediates []string `json:"intermediates"`
	Roots         []string `json:"roots"`
	Time          string   `json:"time"`
	DNS           string   `json:"dns"`
	EKU           []string `json:"eku"`
}

type manifest struct {
	Cases []chainCase `json:"cases"`
}

var ekus = map[string]x509.ExtKeyUsage{
	"serverAuth":      x509.ExtKeyUsageServerAuth,
	"clientAuth":      x509.ExtKeyUsageClientAuth,
	"emailProtection": x509.ExtKeyUsageEmailProtection,
	"codeSigning":     x509.ExtKeyUsageCodeSigning,
	"timeStamping":    x509.ExtKeyUsageTimeStamping,
	"ocspSigning":     x509.ExtKeyUsageOCSPSigning,
	"any":             x509.ExtKeyUsageAny,
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: go-x509-oracle MANIFEST.json")
		os.Exit(2)
	}

	data, err := os.ReadFile(os.Args[1])
	if err != nil {
		fail(err)
	}

	var m manifest
	if err := json.Unmarshal(data, &m); err != nil {
		fail(fmt.Errorf("%s: %w", os.Args[1], err))
	}

	dir := filepath.Dir(os.Args[1])
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for _, c := range m.Cases {
		verr, err := run(dir, c)
		if err != nil {
			out.Flush()
			fail(fmt.Errorf("case %s: %w", c.ID, err))
		}

		if verr == nil {
			fmt.Fprintf(out, "%s\tok\n", c.ID)
		} else {
			text := strings.NewReplacer("\n", " ", "\r", " ", "\t", " ").Replace(verr.Error())
			fmt.Fprintf(out, "%s\tfail\t%s\n", c.ID, text)
		}
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "go-x509-oracle:", err)
	os.Exit(2)
}

// parseError is a certificate Go refuses to parse: a "fail" verdict for the case, not a broken manifest.
type parseError struct{ err error }

func (p parseError) Error() string { return p.err.Error() }

// run returns Go's verification error (nil: valid) or an error reading the case.
func run(dir string, c chainCase) (error, error) {
	verr, err := verify(dir, c)
	var p parseError
	if errors.As(err, &p) {
		return p, nil
	}

	return verr, err
}

func verify(dir string, c chainCase) (error, error) {
	leafs, err := readCerts(dir, []string{c.Leaf})
	if err != nil {
		return nil, err
	}

	if len(leafs) != 1 {
		return nil, errors.New("the leaf file must hold exactly one certificate")
	}

	roots, intermediates := x509.NewCertPool(), x509.NewCertPool()
	rs, err := readCerts(dir, c.Roots)
	if err != nil {
		return nil, err
	}

	for _, r := range rs {
		roots.AddCert(r)
	}

	is, err := readCerts(dir, c.Intermediates)
	if err != nil {
		return nil, err
	}

	for _, i := range is {
		intermediates.AddCert(i)
	}

	at, err := time.Parse(time.RFC3339, c.Time)
	if err != nil {
		return nil, err
	}

	usages := []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	if len(c.EKU) > 0 {
		usages = usages[:0]
		for _, name := range c.EKU {
			u, ok := ekus[name]
			if !ok {
				return nil, fmt.Errorf("unknown EKU %q", name)
			}

			usages = append(usages, u)
		}
	}

	for _, u := range usages {
		opts := x509.VerifyOptions{
			DNSName:       c.DNS,
			Roots:         roots,
			Intermediates: intermediates,
			CurrentTime:   at,
			KeyUsages:     []x509.ExtKeyUsage{u},
		}
		if _, verr := leafs[0].Verify(opts); verr != nil {
			return verr, nil
		}
	}

	return nil, nil
}

// readCerts parses every CERTIFICATE block of the named PEM files; a parse error is a verdict, not a read error.
func readCerts(dir string, names []string) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	for _, name := range names {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}

		for {
			var block *pem.Block
			block, data = pem.Decode(data)
			if block == nil {
				break
			}

			if block.Type != "CERTIFICATE" {
				continue
			}

			cert, err := x509.ParseCertificate(block.Bytes)
			if err != nil {
				return nil, parseError{fmt.Errorf("%s: %w", name, err)}
			}

			certs = append(certs, cert)
		}
	}

	return certs, nil
}
