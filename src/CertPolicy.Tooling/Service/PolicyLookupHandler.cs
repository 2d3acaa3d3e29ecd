using CertPolicy.MtaSts;
using CertPolicy.Policy;

namespace CertPolicy.Service;

/// <summary>
/// Another source of TLS policy for a look-up key, consulted by <see cref="PolicyLookupHandler"/> after the table
/// has no entry for the key: the extension point for policies that do not come from a <c>tls_policy</c> file (MTA-STS,
/// issue 15, is built elsewhere and plugs in here). Called concurrently: implementations are thread-safe and return
/// quickly (a look-up blocks a Postfix delivery agent; a slow source should answer from a cache).
/// </summary>
internal interface IPolicySource
{
    /// <summary>
    /// The reply for <paramref name="key"/> exactly as Postfix sent it (<c>example.net</c>, <c>.example.net</c>,
    /// <c>[mx.example.net]:25</c>; any case), or null when this source has nothing for it (the next source is asked,
    /// and <c>NOTFOUND</c> is sent when none has). A source must not walk parent domains itself: smtp(8) asks for
    /// each parent key in turn (postfix-tls.md 1.3).
    /// </summary>
    SocketmapReply? Find(string key);
}

/// <summary>
/// Answers <c>smtp_tls_policy_maps = socketmap:inet:HOST:PORT:NAME</c> look-ups from a parsed <c>tls_policy</c>
/// table, as <c>postmap -q KEY hash:TABLE</c> answers for the same table: one verbatim, case-insensitive look-up per
/// request (<see cref="PolicyMap.TryGetExact"/>), no parent walk.
/// </summary>
/// <remarks>
/// <para>Why no walk: smtp(8) walks the parents itself and sends each candidate key (<c>a.b.example.net</c>, then
/// <c>.b.example.net</c>, <c>.example.net</c>, <c>.net</c>), to every table in order, including pattern tables such
/// as socketmap (postfix-tls.md 1.3; <c>tls_policy_lookup()</c> in <c>smtp_tls_policy.c</c> calls <c>maps_find()</c>
/// with no partial-key flag). Answering a parent entry for the full name here would change which entry wins when
/// several tables are listed. Keys arrive unfolded (socketmap is a pattern table, <c>DICT_FLAG_PATTERN</c>: no
/// lower-casing by the client), so the look-up ignores ASCII case as the table does.</para>
/// <para>Replies: a valid entry is <c>OK</c> + its value in canonical form (<see cref="TlsPolicy.ToCanonicalString"/>;
/// same meaning to Postfix, ignored attributes dropped). An invalid entry is <c>TEMP invalid policy entry</c>:
/// Postfix defers mail for a key whose value it cannot parse (postfix-tls.md 1.5, "client TLS configuration
/// problem"), and a TEMP reply defers it too (<c>DICT_ERR_RETRY</c>), without handing Postfix a value that a
/// different parser might read otherwise. A key written without a value is an invalid entry here (as in
/// <c>certpolicy policy lookup</c>, fail closed), although postmap drops that line. An unknown map name is
/// <c>PERM unknown map</c> (a configuration error: <c>DICT_ERR_CONFIG</c>).</para>
/// </remarks>
internal sealed class PolicyLookupHandler : ISocketmapHandler
{
    /// <summary>The default socketmap name (<c>socketmap:inet:127.0.0.1:PORT:tls_policy</c>).</summary>
    internal const string DefaultMapName = "tls_policy";

    private readonly string mapName;
    private readonly PolicyMap table;
    private readonly IPolicySource[] others;
    private readonly MtaStsPolicySource? mtaSts;
    private readonly MtaStsDecisionLog? decisions;

    /// <param name="mapName">The socketmap name served (compared ordinal: Postfix sends it as configured).</param>
    /// <param name="table">The table answered from.</param>
    /// <param name="others">Sources asked in order when the table has no entry for a key (see <see cref="IPolicySource"/>).</param>
    /// <param name="mtaSts">MTA-STS merged in (R-D2, <see cref="MtaStsMerge"/>), or null for the table alone.</param>
    /// <param name="log">One line per merge decision that MTA-STS changes or that hides a conflict, once per key and policy.</param>
    internal PolicyLookupHandler(string mapName, PolicyMap table, IEnumerable<IPolicySource>? others = null, MtaStsPolicySource? mtaSts = null, Action<string>? log = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(mapName);
        ArgumentNullException.ThrowIfNull(table);
        this.mapName = mapName;
        this.table = table;
        this.others = others?.ToArray() ?? [];
        this.mtaSts = mtaSts;
        decisions = mtaSts is null || log is null ? null : new MtaStsDecisionLog(log, mtaSts.Options.MaxEntries);
    }

    /// <summary>
    /// With MTA-STS (R-D2): for a key that is a domain name, the entry smtp(8) would take from this table (after its
    /// parent walk, so a <c>.parent</c> entry is never bypassed, hence never weakened) is merged with the domain's
    /// MTA-STS policy (<see cref="MtaStsMerge.Merge"/>); when MTA-STS makes it stricter, that is the answer. Otherwise,
    /// and for every other key, the answer is the table's as without MTA-STS (<see cref="Lookup"/>).
    /// </summary>
    public async ValueTask<SocketmapReply> LookupAsync(string mapName, string key, CancellationToken cancellationToken)
    {
        if (mtaSts is null || !string.Equals(mapName, this.mapName, StringComparison.Ordinal) || !MtaStsPolicySource.AppliesTo(key))
        {
            return Lookup(mapName, key);
        }

        var walk = table.Lookup(key);
        if (walk.Entry is { Policy: null })
        {
            return Lookup(mapName, key); // an invalid entry stays TEMP (Postfix defers): MTA-STS cannot repair it
        }

        var found = await mtaSts.GetAsync(key, cancellationToken).ConfigureAwait(false);
        var merged = MtaStsMerge.Merge(walk.Entry?.Policy, found.Policy);
        decisions?.Note(key, walk.Entry, found, merged);
        return merged.ChangesTable && merged.Policy is { } stricter
            ? new(SocketmapStatus.Ok, stricter.ToCanonicalString())
            : Lookup(mapName, key);
    }

    public SocketmapReply Lookup(string mapName, string key)
    {
        if (!string.Equals(mapName, this.mapName, StringComparison.Ordinal))
        {
            return new(SocketmapStatus.Perm, "unknown map");
        }

        if (table.TryGetExact(key, out var entry) && entry is not null)
        {
            return entry.Policy is { } policy
                ? new(SocketmapStatus.Ok, policy.ToCanonicalString())
                : new(SocketmapStatus.Temp, "invalid policy entry");
        }

        foreach (var source in others)
        {
            if (source.Find(key) is { } reply)
            {
                return reply;
            }
        }

        return SocketmapReply.NotFound;
    }
}
