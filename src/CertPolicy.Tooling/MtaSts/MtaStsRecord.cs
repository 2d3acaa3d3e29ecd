using System.Collections.Immutable;

namespace CertPolicy.MtaSts;

/// <summary>
/// The <c>_mta-sts.DOMAIN</c> TXT record (RFC 8461 3.1): <c>v=STSv1; id=20260101T000000;</c>. Says that the domain
/// publishes a policy and which version it is; the policy itself is fetched over HTTPS (<see cref="MtaStsFetcher"/>).
/// Does not look up DNS (the caller passes the TXT strings, each record's strings already concatenated as RFC 8461
/// 3.1 requires) and does not check DNSSEC (MTA-STS does not need it).
/// </summary>
internal sealed class MtaStsRecord
{
    /// <summary>The version field: <c>sts-version</c>, case-sensitive (RFC 8461 3.1).</summary>
    internal const string Version = "v=STSv1";

    private MtaStsRecord(string id, ImmutableArray<KeyValuePair<string, string>> extensions)
    {
        Id = id;
        Extensions = extensions;
    }

    /// <summary>The policy id: 1 to 32 letters and digits (RFC 8461 3.1 <c>sts-id</c>); a change means a new policy.</summary>
    internal string Id { get; }

    /// <summary>Extension fields in order (RFC 8461 3.1 <c>sts-extension</c>); none is defined, all are kept.</summary>
    internal ImmutableArray<KeyValuePair<string, string>> Extensions { get; }

    /// <summary>
    /// Parses one TXT record (RFC 8461 3.1 ABNF): <c>v=STSv1</c> first, then <c>;</c>-separated fields, of which
    /// <c>id</c> is required once. Never throws on data.
    /// </summary>
    internal static bool TryParse(string txt, out MtaStsRecord? record, out MtaStsSyntaxError error)
    {
        ArgumentNullException.ThrowIfNull(txt);
        record = null;
        var fields = new List<TxtField>();
        if (!TxtFields.TrySplit(txt, Version, fields, out error))
        {
            return false;
        }

        string? id = null;
        var extensions = ImmutableArray.CreateBuilder<KeyValuePair<string, string>>();
        foreach (var f in fields)
        {
            if (f.Name == "v")
            {
                error = new(1, f.NameIndex + 1, "\"v=\" may appear only once, as the first field");
                return false;
            }

            if (f.Name == "id")
            {
                if (id is not null)
                {
                    error = new(1, f.NameIndex + 1, "\"id\" appears twice");
                    return false;
                }

                // RFC 8461 3.1: sts-id = %s"id=" 1*32(ALPHA / DIGIT)
                if (f.Value.Length > 32)
                {
                    error = new(1, f.ValueIndex + 33, "the id is longer than 32 characters (RFC 8461 3.1)");
                    return false;
                }

                for (int i = 0; i < f.Value.Length; i++)
                {
                    if (!char.IsAsciiLetterOrDigit(f.Value[i]))
                    {
                        error = new(1, f.ValueIndex + i + 1, "the id may hold only letters and digits; found " + MtaStsSyntax.Show(f.Value[i]) + " (RFC 8461 3.1)");
                        return false;
                    }
                }

                id = f.Value;
                continue;
            }

            int bad = MtaStsSyntax.InvalidTxtValueChar(f.Value);
            if (bad >= 0)
            {
                error = new(1, f.ValueIndex + bad + 1, "the value of \"" + f.Name + "\" may not hold " + MtaStsSyntax.Show(f.Value[bad]) + " (RFC 8461 3.1 sts-ext-value)");
                return false;
            }

            extensions.Add(new(f.Name, f.Value));
        }

        if (id is null)
        {
            error = new(1, txt.Length + 1, "the record has no \"id\" field (required, RFC 8461 3.1)");
            return false;
        }

        record = new MtaStsRecord(id, extensions.ToImmutable());
        error = default;
        return true;
    }

    /// <summary>
    /// Picks the record from every TXT record at <c>_mta-sts.DOMAIN</c>: those that do not begin with <c>v=STSv1</c> are
    /// discarded; exactly one must remain and parse (RFC 8461 3.1: otherwise the domain has no available policy).
    /// </summary>
    /// <param name="txtRecords">The TXT records, each one's strings concatenated.</param>
    /// <param name="record">The record when exactly one valid candidate exists.</param>
    /// <param name="error">Why there is none: no candidate, several, or the candidate's syntax error.</param>
    internal static bool TrySelect(IReadOnlyList<string> txtRecords, out MtaStsRecord? record, out MtaStsSyntaxError error)
    {
        record = null;
        return TxtFields.TrySelectOne(txtRecords, Version, "RFC 8461 3.1", out string? candidate, out error) && TryParse(candidate!, out record, out error);
    }
}
