using System.Collections.Immutable;

namespace CertPolicy.MtaSts;

/// <summary>
/// The <c>_smtp._tls.DOMAIN</c> TXT record of SMTP TLS Reporting (RFC 8460 3):
/// <c>v=TLSRPTv1; rua=mailto:tlsrpt@example.com,https://reports.example.com/tlsrpt</c>. Says where senders send
/// their daily reports of TLS failures (including MTA-STS failures in mode <c>testing</c>). Does not look up DNS and
/// does not send reports.
/// </summary>
internal sealed class TlsRptRecord
{
    /// <summary>The version field, case-sensitive (RFC 8460 3 <c>tlsrpt-version</c>).</summary>
    internal const string Version = "v=TLSRPTv1";

    /// <summary>The most report URIs read from one <c>rua</c>.</summary>
    internal const int MaxUris = 32;

    private TlsRptRecord(ImmutableArray<Uri> rua, ImmutableArray<KeyValuePair<string, string>> extensions)
    {
        Rua = rua;
        Extensions = extensions;
    }

    /// <summary>The report URIs in order: <c>mailto:</c> and <c>https:</c> only.</summary>
    internal ImmutableArray<Uri> Rua { get; }

    /// <summary>Extension fields in order (RFC 8460 3 <c>tlsrpt-extension</c>).</summary>
    internal ImmutableArray<KeyValuePair<string, string>> Extensions { get; }

    /// <summary>
    /// Parses one TXT record (RFC 8460 3 ABNF): <c>v=TLSRPTv1</c> first, <c>;</c>-separated fields, <c>rua</c> required
    /// once with one or more comma-separated URIs (WSP allowed around the commas), each <c>mailto:</c> or <c>https:</c>
    /// (the schemes RFC 8460 3 defines). Never throws on data.
    /// </summary>
    /// <remarks>
    /// Our choice: a URI of another scheme is an error, not skipped: RFC 8460 defines only these two, and a report
    /// address nobody can send to is worth a clear message. A comma inside a URI must be written <c>%2C</c> (RFC 8460 3).
    /// </remarks>
    internal static bool TryParse(string txt, out TlsRptRecord? record, out MtaStsSyntaxError error)
    {
        ArgumentNullException.ThrowIfNull(txt);
        record = null;
        var fields = new List<TxtField>();
        if (!TxtFields.TrySplit(txt, Version, fields, out error))
        {
            return false;
        }

        ImmutableArray<Uri>? rua = null;
        var extensions = ImmutableArray.CreateBuilder<KeyValuePair<string, string>>();
        foreach (var f in fields)
        {
            if (f.Name == "v")
            {
                error = new(1, f.NameIndex + 1, "\"v=\" may appear only once, as the first field");
                return false;
            }

            if (f.Name == "rua")
            {
                if (rua is not null)
                {
                    error = new(1, f.NameIndex + 1, "\"rua\" appears twice");
                    return false;
                }

                if (!TryParseRua(f, out var uris, out error))
                {
                    return false;
                }

                rua = uris;
                continue;
            }

            int bad = MtaStsSyntax.InvalidTxtValueChar(f.Value);
            if (bad >= 0)
            {
                error = new(1, f.ValueIndex + bad + 1, "the value of \"" + f.Name + "\" may not hold " + MtaStsSyntax.Show(f.Value[bad]) + " (RFC 8460 3 tlsrpt-ext-value)");
                return false;
            }

            extensions.Add(new(f.Name, f.Value));
        }

        if (rua is null)
        {
            error = new(1, txt.Length + 1, "the record has no \"rua\" field (required, RFC 8460 3)");
            return false;
        }

        record = new TlsRptRecord(rua.Value, extensions.ToImmutable());
        error = default;
        return true;
    }

    /// <summary>
    /// Picks the record from every TXT record at <c>_smtp._tls.DOMAIN</c>: those not beginning with <c>v=TLSRPTv1</c> are
    /// discarded; exactly one must remain (RFC 8460 3: otherwise the domain does not implement TLSRPT).
    /// </summary>
    internal static bool TrySelect(IReadOnlyList<string> txtRecords, out TlsRptRecord? record, out MtaStsSyntaxError error)
    {
        record = null;
        return TxtFields.TrySelectOne(txtRecords, Version, "RFC 8460 3", out string? candidate, out error) && TryParse(candidate!, out record, out error);
    }

    // RFC 8460 3: tlsrpt-rua = %s"rua=" tlsrpt-uri *(*WSP "," *WSP tlsrpt-uri); tlsrpt-uri = URI (RFC 3986).
    private static bool TryParseRua(TxtField f, out ImmutableArray<Uri> uris, out MtaStsSyntaxError error)
    {
        var list = ImmutableArray.CreateBuilder<Uri>();
        uris = default;
        int pos = 0;
        string v = f.Value;
        while (true)
        {
            while (pos < v.Length && MtaStsSyntax.IsWsp(v[pos]))
            {
                pos++;
            }

            int start = pos;
            while (pos < v.Length && v[pos] != ',' && !MtaStsSyntax.IsWsp(v[pos]))
            {
                pos++;
            }

            int column = f.ValueIndex + start + 1;
            if (pos == start)
            {
                error = new(1, column, "an empty URI in \"rua\"");
                return false;
            }

            if (list.Count == MaxUris)
            {
                error = new(1, column, "more than " + MaxUris + " URIs in \"rua\"");
                return false;
            }

            if (!TryParseUri(v[start..pos], column, out var uri, out error))
            {
                return false;
            }

            list.Add(uri!);
            while (pos < v.Length && MtaStsSyntax.IsWsp(v[pos]))
            {
                pos++;
            }

            if (pos == v.Length)
            {
                break;
            }

            if (v[pos] != ',')
            {
                error = new(1, f.ValueIndex + pos + 1, "expected ',' between report URIs, found " + MtaStsSyntax.Show(v[pos]));
                return false;
            }

            pos++;
        }

        uris = list.ToImmutable();
        error = default;
        return true;
    }

    private static bool TryParseUri(string text, int column, out Uri? uri, out MtaStsSyntaxError error)
    {
        uri = null;
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] is <= ' ' or > '~')
            {
                error = new(1, column + i, "the report URI \"" + text + "\" holds " + MtaStsSyntax.Show(text[i]) + " (RFC 3986)");
                return false;
            }
        }

        if (text.StartsWith("mailto:", StringComparison.OrdinalIgnoreCase))
        {
            string addr = text[7..];
            int at = addr.IndexOf('@', StringComparison.Ordinal);
            int q = addr.IndexOf('?', StringComparison.Ordinal);
            string mailbox = q >= 0 ? addr[..q] : addr;
            if (at <= 0 || at >= mailbox.Length - 1 || mailbox.IndexOf('@', at + 1) >= 0)
            {
                error = new(1, column + 7, "\"" + text + "\" is not a mailto: URI with one address (local@domain)");
                return false;
            }
        }
        else if (!text.StartsWith("https:", StringComparison.OrdinalIgnoreCase))
        {
            int colon = text.IndexOf(':', StringComparison.Ordinal);
            error = new(1, column, colon > 0
                ? "the report URI scheme \"" + text[..colon] + "\" is not supported; use mailto: or https: (RFC 8460 3)"
                : "\"" + text + "\" is not a URI; use mailto:ADDRESS or https://HOST/PATH (RFC 8460 3)");
            return false;
        }

        if (!Uri.TryCreate(text, UriKind.Absolute, out uri)
            || (uri.Scheme == Uri.UriSchemeHttps && (string.IsNullOrEmpty(uri.Host) || !text.StartsWith("https://", StringComparison.OrdinalIgnoreCase))))
        {
            uri = null;
            error = new(1, column, "\"" + text + "\" is not a valid " + (text.StartsWith("https:", StringComparison.OrdinalIgnoreCase) ? "https://HOST/PATH" : "mailto:") + " URI (RFC 3986)");
            return false;
        }

        error = default;
        return true;
    }
}
