module certpolicy/tools/go-x509-oracle

go 1.19
