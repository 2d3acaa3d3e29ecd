namespace CertPolicy.Tls;

/// <summary>
/// R-T2..R-T5 (RULES.md) for a whole cipher string (<c>certpolicy ciphers STRING --check</c>): which of the suites the string
/// selects could a server or client negotiate below the floor? A suite is acceptable when some protocol the floor allows
/// carries it and <see cref="TlsFloor.Check"/> passes there; otherwise it is refused with the failures at the newest protocol
/// that can carry it (the most favourable case). Only the TLS &lt;= 1.2 suites are judged: a cipher string does not govern
/// TLS 1.3 suites (OpenSSL configures those with <c>-ciphersuites</c>). Not on a hot path (allocates).
/// </summary>
internal static class CipherStringJudge
{
    /// <summary>A suite of the selection the floor refuses.</summary>
    /// <param name="Row">The suite's row in <see cref="CipherSuiteTable"/>.</param>
    /// <param name="Protocol">The protocol the failures were found at.</param>
    /// <param name="Failures">The failed checks (never <see cref="TlsFloorFailures.None"/>).</param>
    internal readonly record struct Refusal(int Row, TlsProtocol Protocol, TlsFloorFailures Failures);

    /// <summary>The suites of <paramref name="selection"/> (TLS &lt;= 1.2, in the string's order) that <paramref name="floor"/> refuses.</summary>
    internal static List<Refusal> Judge(CipherSelection selection, TlsFloor floor)
    {
        ArgumentNullException.ThrowIfNull(selection);
        ArgumentNullException.ThrowIfNull(floor);
        var refused = new List<Refusal>();
        foreach (int row in selection.Rows)
        {
            if (!IsAcceptable(row, floor, out var at, out var failures))
            {
                refused.Add(new Refusal(row, at, failures));
            }
        }

        return refused;
    }

    /// <summary>Whether one suite is acceptable under the floor at some protocol it allows.</summary>
    internal static bool IsAcceptable(int row, TlsFloor floor, out TlsProtocol reportedAt, out TlsFloorFailures failures)
    {
        ref readonly var info = ref CipherSuiteTable.Row(row);
        reportedAt = TlsProtocol.Unknown;
        failures = TlsFloorFailures.None;
        var newestAllowed = TlsProtocol.Unknown;
        var newestValid = TlsProtocol.Unknown;
        foreach (var p in TlsProtocols.Ascending)
        {
            if (!info.IsValidFor(p))
            {
                continue;
            }

            newestValid = p;
            if ((floor.Protocols & TlsProtocols.ToSet(p)) == 0)
            {
                continue;
            }

            newestAllowed = p;
            if (TlsFloor.Check(p, info.Id, floor).IsAcceptable)
            {
                reportedAt = p;
                return true;
            }
        }

        // R-T4: no allowed protocol carries the suite at all, then the protocol failure is reported too.
        reportedAt = newestAllowed != TlsProtocol.Unknown ? newestAllowed : newestValid;
        failures = reportedAt == TlsProtocol.Unknown ? TlsFloorFailures.SuiteNotForProtocol : TlsFloor.Check(reportedAt, info.Id, floor).Failures;
        return false;
    }
}
